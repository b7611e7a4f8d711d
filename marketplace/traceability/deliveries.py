"""Which batches reached which buyers: the report an inspector asks for (TCVN 12850:2019, the
"one step forward" link of each lot), on the page and as CSV or XLSX.

A row is one receiver of one batch: an order (its number, customer and phone) or a sale at a
fair booth, with the units it kept (a cancelled part or a voided sale kept none). Agency staff
see every cooperative; a cooperative's managers their own (DeliveryQuery.cooperative_scope).
Filters come from the query string (read_filters); a filter that makes no sense is BadFilter,
shown as a message, never a 500.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core.routing import MAX_ID
from marketplace.extensions import db
from marketplace.fairs.models import Booth, Fair, OnSiteSale
from marketplace.orders.models import Order, OrderItem, OrderPart, PartStatus
from marketplace.traceability.batches import VIETNAM_OFFSET
from marketplace.traceability.models import Batch, BatchAllocation

MAX_LOT_FILTER = 20
MAX_ROWS = 50_000  # an export never holds more (the page shows PAGE_ROWS)
PAGE_ROWS = 200


class BadFilter(ValueError):
    """A filter of the report that makes no sense; the message says which and why."""


@dataclass(frozen=True)
class DeliveryQuery:
    cooperative_id: int | None = None
    product_id: int | None = None
    lot: str = ""
    date_from: date | None = None  # days in Vietnam, both included
    date_to: date | None = None
    cooperative_scope: int | None = None  # a cooperative's own report: always limited to it

    @property
    def is_filtered(self) -> bool:
        return any((self.cooperative_id, self.product_id, self.lot, self.date_from, self.date_to))


@dataclass(frozen=True)
class DeliveryRow:
    batch_id: int
    lot: str
    product: str
    unit: str
    cooperative: str
    kind: str  # "order" or "fair"
    order_number: str
    customer: str
    phone: str
    fair: str
    booth: str
    at: datetime  # naive UTC: when the order was placed or the sale made
    quantity: int

    @property
    def local_at(self) -> datetime:
        return self.at + VIETNAM_OFFSET


def _id(args: Mapping, name: str, label: str) -> int | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > MAX_ID:
        raise BadFilter(_("%(name)s: choose one from the list.", name=label))
    return int(value)


def _day(args: Mapping, name: str, label: str) -> date | None:
    value = (args.get(name) or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadFilter(_("%(name)s: give a date as YYYY-MM-DD.", name=label)) from None


def read_filters(args: Mapping, cooperative: Cooperative | None = None) -> DeliveryQuery:
    """The query the arguments ask for: cooperative (agency only), product, lot, from, to."""
    lot = (args.get("lot") or "").strip()
    if len(lot) > MAX_LOT_FILTER:
        raise BadFilter(_("Lot code: at most %(num)d characters.", num=MAX_LOT_FILTER))
    date_from = _day(args, "from", _("First day"))
    date_to = _day(args, "to", _("Last day"))
    if date_from and date_to and date_from > date_to:
        raise BadFilter(_("The first day comes after the last day."))
    return DeliveryQuery(
        cooperative_id=_id(args, "cooperative", _("Cooperative")) if cooperative is None else None,
        product_id=_id(args, "product", _("Product")),
        lot=lot,
        date_from=date_from,
        date_to=date_to,
        cooperative_scope=cooperative.id if cooperative is not None else None,
    )


def _utc_start(day: date) -> datetime:
    return datetime.combine(day, time()) - VIETNAM_OFFSET


def _where(query: DeliveryQuery, moment) -> list:
    conditions = []
    for coop_id in (query.cooperative_scope, query.cooperative_id):
        if coop_id is not None:
            conditions.append(Product.cooperative_id == coop_id)
    if query.product_id is not None:
        conditions.append(Batch.product_id == query.product_id)
    if query.lot:
        escaped = query.lot.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Batch.code.ilike(f"%{escaped}%", escape="\\"))
    if query.date_from is not None:
        conditions.append(moment >= _utc_start(query.date_from))
    if query.date_to is not None:
        conditions.append(moment < _utc_start(query.date_to) + timedelta(days=1))
    return conditions


KEPT = BatchAllocation.quantity - BatchAllocation.returned
_BATCH_COLUMNS = (Batch.id, Batch.code, Product.name, Product.unit, Cooperative.name)


def _order_rows(query: DeliveryQuery, limit: int):
    statement = (
        sa.select(
            *_BATCH_COLUMNS, Order.number, Order.contact_name, Order.contact_phone, Order.created_at, sa.func.sum(KEPT)
        )
        .select_from(BatchAllocation)
        .join(Batch, BatchAllocation.batch_id == Batch.id)
        .join(Product, Batch.product_id == Product.id)
        .join(Cooperative, Product.cooperative_id == Cooperative.id)
        .join(OrderItem, BatchAllocation.order_item_id == OrderItem.id)
        .join(OrderPart, OrderItem.part_id == OrderPart.id)
        .join(Order, OrderPart.order_id == Order.id)
        .where(KEPT > 0, OrderPart.status != PartStatus.CANCELLED, *_where(query, Order.created_at))
        .group_by(Batch.id, Product.id, Cooperative.id, Order.id)
        .order_by(Order.created_at.desc(), Order.id.desc(), Batch.id)
        .limit(limit)
    )
    for batch_id, lot, product, unit, coop, number, name, phone, at, quantity in db.session.execute(statement):
        yield DeliveryRow(
            batch_id, lot, product, unit, coop, "order", number or "", name, phone, "", "", at, int(quantity)
        )


def _sale_rows(query: DeliveryQuery, limit: int):
    statement = (
        sa.select(*_BATCH_COLUMNS, Fair.name, Booth.number, OnSiteSale.created_at, sa.func.sum(KEPT))
        .select_from(BatchAllocation)
        .join(Batch, BatchAllocation.batch_id == Batch.id)
        .join(Product, Batch.product_id == Product.id)
        .join(Cooperative, Product.cooperative_id == Cooperative.id)
        .join(OnSiteSale, BatchAllocation.on_site_sale_id == OnSiteSale.id)
        .join(Booth, OnSiteSale.booth_id == Booth.id)
        .join(Fair, Booth.fair_id == Fair.id)
        .where(KEPT > 0, OnSiteSale.voided_at.is_(None), *_where(query, OnSiteSale.created_at))
        .group_by(Batch.id, Product.id, Cooperative.id, OnSiteSale.id, Booth.id, Fair.id)
        .order_by(OnSiteSale.created_at.desc(), OnSiteSale.id.desc(), Batch.id)
        .limit(limit)
    )
    for batch_id, lot, product, unit, coop, fair, booth, at, quantity in db.session.execute(statement):
        yield DeliveryRow(batch_id, lot, product, unit, coop, "fair", "", "", "", fair, booth or "", at, int(quantity))


def delivery_rows(query: DeliveryQuery, limit: int = MAX_ROWS) -> list[DeliveryRow]:
    """The report's rows, newest first: orders and fair sales together, at most `limit`."""
    rows = [*_order_rows(query, limit), *_sale_rows(query, limit)]
    rows.sort(key=lambda r: (r.at, r.batch_id), reverse=True)
    return rows[:limit]


def receiver_text(row: DeliveryRow) -> str:
    """ "DH-2026-000123 · Nguyễn Thị Lan · 0912345678", or the fair and booth."""
    if row.kind == "order":
        return " · ".join(p for p in (row.order_number, row.customer, row.phone) if p)
    return _("%(fair)s, booth %(booth)s", fair=row.fair, booth=row.booth or "—")


def headings() -> list[str]:
    return [
        _("Lot code"),
        _("Product"),
        _("Cooperative"),
        _("Receiver"),
        _("Order number"),
        _("Customer"),
        _("Phone"),
        _("Fair"),
        _("Booth"),
        _("Date"),
        _("Quantity"),
        _("Unit"),
    ]


def export_row(row: DeliveryRow) -> list:
    """One row of the CSV and XLSX files (the caller guards text cells: safe_cell, append_xlsx_row)."""
    return [
        row.lot,
        row.product,
        row.cooperative,
        _("Order") if row.kind == "order" else _("Fair sale"),
        row.order_number,
        row.customer,
        row.phone,
        row.fair,
        row.booth,
        row.local_at.strftime("%Y-%m-%d %H:%M"),
        row.quantity,
        row.unit,
    ]
