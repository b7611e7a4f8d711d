"""Demo batches (lots) with their trace pages: some products with a GTIN (GS1 Digital Link QR
codes), some without (short links), and one recalled batch, so the trace page shows a recall.

Dates count back from the day of loading; short codes are derived from the product and lot so
every fresh demo has the same links. Loading again adds only what is missing (by product + code)
and never changes a GTIN someone set.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.demo import data
from marketplace.extensions import db
from marketplace.traceability import gs1, lots
from marketplace.traceability.batches import SHORT_CODE_ALPHABET, SHORT_CODE_LENGTH, today
from marketplace.traceability.models import Batch


@dataclass(frozen=True)
class LotData:
    code: str
    produced_days_ago: int
    shelf_days: int | None  # best before = produced + shelf days
    quantity: int
    place: str = ""
    notes: str = ""
    recall_reason: str = ""
    # Units still on sale; None for every lot of a product: the product's counted stock is spread
    # over its lots newest first (traceability.lots.adopt_counted_stock).
    stock: int | None = None


@dataclass(frozen=True)
class ProductLots:
    cooperative: str
    sku: str
    gtin_body: str | None  # 12 digits; the check digit is added
    lots: tuple[LotData, ...]


PRODUCTS = (
    ProductLots(
        "htx-thanh-nien-vai-thieu-luc-ngan",
        "VT-TUOI-KG",
        "893604512001",
        (
            LotData("VT-2606-A1", 160, 10, 1_200, "Đồi vải thôn Bãi Chợ", "Thu hái sáng sớm, sơ chế trong ngày."),
            LotData("VT-2606-B2", 155, 10, 900, "Vườn vải Phượng Sơn", "Quy trình VietGAP, không dùng chất bảo quản."),
        ),
    ),
    ProductLots(
        "htx-thanh-nien-nong-san-phuc-hoa",
        "PH-VAI-SOM-SAY",
        "893604512002",
        (
            LotData(
                "PHS-2607/01",
                120,
                365,
                300,
                "Xưởng sấy Phúc Hòa",
                "Sấy lạnh 48 giờ, đóng túi hút chân không.",
                stock=0,  # sold out
            ),
            # Sold to two customers (RECALL_ORDERS), then recalled: its remaining units are withdrawn.
            LotData(
                "PHS-2608/02",
                90,
                365,
                250,
                "Xưởng sấy Phúc Hòa",
                "Sấy lạnh 48 giờ.",
                recall_reason="Kiểm tra định kỳ phát hiện độ ẩm vượt mức cho phép ở một số túi: "
                "có nguy cơ nấm mốc. Người mua ngừng sử dụng và liên hệ HTX để được đổi hàng.",
                stock=40,
            ),
            LotData(
                "PHS-2611/03",
                20,
                365,
                200,
                "Xưởng sấy Phúc Hòa",
                "Sấy lạnh 48 giờ, kiểm tra độ ẩm từng mẻ.",
                stock=75,
            ),
        ),
    ),
    ProductLots(
        "htx-thanh-nien-mat-ong-son-dong",
        "MO-PHAN-HOA",
        None,
        (
            LotData("MO-26-03", 60, 730, 180, "Đàn ong rừng Tuấn Mậu", "Mật ong khai thác tự nhiên, lọc lạnh."),
            LotData("MO-26-04", 20, 730, 150, "Đàn ong rừng Tuấn Mậu"),
        ),
    ),
    ProductLots(
        "htx-thanh-nien-nong-san-phuc-hoa",
        "PH-CHE-BUP",
        None,
        (LotData("CHE-2610", 45, 540, 400, "Đồi chè Phúc Hòa", "Chè búp sao tay, không dùng thuốc diệt cỏ."),),
    ),
)


# The customers who bought units of the recalled lot before its recall (demo accounts, so they can
# sign in and see the lot named on their order), with the units and how many days ago.
RECALL_ORDERS = (("khachhang@demo-htx.vn", 2, 12), ("khachhang2@demo-htx.vn", 1, 8))
RECALLED_BY = "tinhdoan@demo-htx.vn"  # agency staff record the recall
RECALL_DAYS_AGO = 2


def _short_code(sku: str, code: str, taken: set[str]) -> str:
    """The same code on every fresh demo (derived from the product and lot), avoiding clashes."""
    salt = 0
    while True:
        digest = hashlib.sha256(f"demo-batch:{sku}:{code}:{salt}".encode()).digest()
        short = "".join(SHORT_CODE_ALPHABET[b % len(SHORT_CODE_ALPHABET)] for b in digest[:SHORT_CODE_LENGTH])
        if short not in taken:
            return short
        salt += 1


def load_batches() -> int:
    """Create the demo batches that are missing; returns how many were created."""
    day = today()
    taken = set(db.session.scalars(sa.select(Batch.short_code)))
    created = 0
    to_recall: list[tuple[Batch, LotData]] = []
    for item in PRODUCTS:
        product = db.session.scalar(
            sa.select(Product)
            .join(Cooperative, Product.cooperative_id == Cooperative.id)
            .where(Cooperative.slug == item.cooperative, Product.sku == item.sku)
        )
        if product is None:
            continue
        if item.gtin_body and product.gtin is None:
            gtin = gs1.normalise_gtin(item.gtin_body + str(gs1.check_digit(item.gtin_body)))
            if db.session.scalar(sa.select(Product.id).where(Product.gtin == gtin)) is None:
                product.gtin = gtin
        existing = set(db.session.scalars(sa.select(Batch.code).where(Batch.product_id == product.id)))
        cooperative = product.cooperative
        created_before = created
        for lot in item.lots:
            if lot.code in existing:
                continue
            produced_on = day - timedelta(days=lot.produced_days_ago)
            short = _short_code(item.sku, lot.code, taken)
            taken.add(short)
            batch = Batch(
                product=product,
                code=lot.code,
                short_code=short,
                produced_on=produced_on,
                best_before=produced_on + timedelta(days=lot.shelf_days) if lot.shelf_days else None,
                quantity=lot.quantity,
                province_code=cooperative.province_code,
                ward_code=cooperative.ward_code,
                place_name=lot.place,
                notes=lot.notes,
            )
            if lot.stock is not None:
                batch.stock = lot.stock
            db.session.add(batch)
            created += 1
            if lot.recall_reason:
                to_recall.append((batch, lot))
        if created > created_before:
            db.session.flush()
            if any(lot.stock is not None for lot in item.lots):
                product.stock_by_batch = True
                product.stock = sum(
                    b.stock for b in db.session.scalars(sa.select(Batch).where(Batch.product_id == product.id))
                )
            else:
                lots.adopt_counted_stock(product)  # the stock the demo counted, now held by its lots
    db.session.flush()
    for batch, lot in to_recall:
        _sell_then_recall(batch, lot.recall_reason)
    return created


def _sell_then_recall(batch: Batch, reason: str) -> None:
    """Two demo customers received units of the lot (delivered orders, placed through place_order
    so the units come from it), then agency staff recalled it: the recall page lists them and their
    notices are queued."""
    from marketplace.accounts.models import User
    from marketplace.core import geo
    from marketplace.orders.models import PartStatus
    from marketplace.orders.services import Checkout, change_part_status, place_order
    from marketplace.traceability.recall import recall_batch

    now = datetime.now(UTC).replace(tzinfo=None)
    province = geo.find_province(data.PROVINCE)
    for email, units, days_ago in RECALL_ORDERS:
        user = db.session.scalar(sa.select(User).where(User.email == email))
        if user is None:
            continue
        checkout = Checkout(
            name=user.full_name,
            phone=user.phone or "0903 218 467",
            email=user.email,
            province_code=province,
            ward_code=geo.find_ward(province, "Phường Kinh Bắc"),
            street="Số 8 ngõ 12 Đường Ngô Gia Tự",
            payment_method="cod",
        )
        when = now - timedelta(days=days_ago)
        order = place_order([(batch.product_id, units)], checkout, user=user, now=when)
        for part in order.parts:
            for step, status in enumerate((PartStatus.CONFIRMED, PartStatus.SHIPPED, PartStatus.DELIVERED)):
                change_part_status(part, status, actor="cooperative", now=when + timedelta(days=step + 1))
    staff = db.session.scalar(sa.select(User).where(User.email == RECALLED_BY))
    recall_batch(batch, reason, staff, now=now - timedelta(days=RECALL_DAYS_AGO))
