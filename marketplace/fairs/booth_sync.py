"""The booth app's server side: what a phone caches to sell offline, and the batch sync of its queue.

Plain functions: they check, change rows and flush; the request commits once.
The contract with the app is docs/booth-app-protocol.md.

Rules of a sync (`sync_sales`):
- The body is {"sales": [...]} with at most MAX_BATCH sales, each an object with the six
  fields; anything else is a BadBatch (400) and records nothing.
- Each sale is answered in order. A phone id (`client_id`, unique) the server already has
  is never recorded again: the answer is that sale's status now (recorded, conflict, or
  cancelled once voided), or refused if the id belongs to another booth. A second copy of
  an id in the same batch gets the first copy's answer.
- A new sale is refused (and not stored) when its id is not a UUID, the product is not one
  the booth sells, the quantity is not 1..999, the price is not a whole number of đồng
  (0..MAX_PRICE_VND), the payment is not cash or transfer, `sold_at` is not an ISO time
  with its zone, falls outside the fair's dates or is more than FUTURE_SLACK ahead of the
  server; or the fair is not published (or closed), the booth or cooperative is not
  approved, or the fair ended more than LATE_SYNC ago.
- Otherwise it takes its stock (orders.services.take_stock, the same conditional UPDATE as
  an order) in a SAVEPOINT of its own, so one sale failing leaves the others. When the
  stock is gone it is stored as a CONFLICT that took nothing: a manager confirms it (with
  the stock physically left) or cancels it. The sale keeps the price the phone charged,
  `created_at` = when it was sold, `synced_at` = now, and who recorded it (the manager's
  user id, or the booth helper's id).
- Two batches carrying the same id at the same moment record it once: the unique column
  refuses the second INSERT, whose SAVEPOINT (with the stock it took) is rolled back, and
  the answer is then the stored sale's status.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from flask import url_for
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from sqlalchemy.exc import IntegrityError

from marketplace.catalog import lots
from marketplace.catalog.models import Product
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core.banks import bank_name
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import onsite
from marketplace.fairs.models import BoothStatus, FairStatus, OnSitePayment, OnSiteSale, OnSiteSaleStatus
from marketplace.fairs.pricing import fair_prices
from marketplace.orders.services import OutOfStock, take_stock
from marketplace.payments.vietqr import has_bank_account

logger = logging.getLogger(__name__)

MAX_BATCH = 200
FIELDS = ("id", "product_id", "quantity", "unit_price_vnd", "payment", "sold_at")
MAX_PRICE_VND = 10_000_000_000  # as the catalogue's importer: no product costs more
MAX_STOCK = 1_000_000_000
FUTURE_SLACK = timedelta(minutes=5)  # a phone's clock a little ahead is fine
LATE_SYNC = timedelta(days=7)  # a phone that comes back online after the fair still syncs


class BadBatch(ValueError):
    """The body is not a batch of sales: answered 400, nothing recorded."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def iso(moment: datetime | None) -> str | None:
    """A naive UTC time as the app reads it: ISO 8601 with Z."""
    return None if moment is None else moment.replace(microsecond=0).isoformat() + "Z"


# --- state -----------------------------------------------------------------------------------


def _image_url(product: Product) -> str | None:
    image = product.main_image
    return url_for("media.image", stem=image.stem, size="thumb") if image is not None else None


def _bank(cooperative) -> dict | None:
    if not has_bank_account(cooperative):
        return None
    return {
        "bin": cooperative.bank_bin,
        "bank_name": bank_name(cooperative.bank_bin),
        "account_number": cooperative.bank_account_number,
        "account_name": cooperative.bank_account_name or "",
    }


def today_totals(booth, now: datetime | None = None) -> dict:
    """The booth's standing recorded sales of the Vietnam day (conflicts and voids left out)."""
    totals = onsite.day_totals(onsite.sales_of_day(booth, now))
    return {key: totals[key] for key in ("count", "units", "total_vnd", "cash_vnd", "transfer_vnd")}


def booth_state(actor, now: datetime | None = None) -> dict:
    """What the phone caches: booth, fair, seller, products at the price now, bank, today, CSRF token."""
    now = now or utcnow()
    booth = actor.booth
    fair = booth.fair
    cooperative = booth.cooperative
    products = onsite.sellable_products(booth)
    prices = fair_prices([p.id for p in products], now)
    return {
        "booth": {
            "id": booth.id,
            "number": booth.number,
            "cooperative": {"name": cooperative.name, "slug": cooperative.slug},
            "fair": {
                "name": fair.name,
                "slug": fair.slug,
                "starts_at": iso(fair.starts_at),
                "ends_at": iso(fair.ends_at),
                "is_on": fair.is_on(now),
            },
        },
        "seller": {"kind": "manager" if actor.is_manager else "helper", "name": actor.name},
        "can_sell": onsite.can_sell(booth, now),
        "products": [
            {
                "id": p.id,
                "name": p.name,
                "unit": p.unit,
                "price_vnd": prices[p.id].price_vnd if p.id in prices else p.price_vnd,
                "regular_price_vnd": p.price_vnd,
                "stock": p.stock,
                "image_url": _image_url(p),
            }
            for p in products
        ],
        "bank": _bank(cooperative),
        "today": today_totals(booth, now),
        "csrf_token": generate_csrf(),
        "server_time": iso(now),
    }


# --- sync ------------------------------------------------------------------------------------


def _check_shape(payload) -> list[dict]:
    if not isinstance(payload, dict) or not isinstance(payload.get("sales"), list):
        raise BadBatch('The body must be a JSON object {"sales": [...]}.')
    sales = payload["sales"]
    if len(sales) > MAX_BATCH:
        raise BadBatch(f"At most {MAX_BATCH} sales in one batch.")
    for number, sale in enumerate(sales, 1):
        if not isinstance(sale, dict):
            raise BadBatch(f"Sale {number} is not an object.")
        missing = [name for name in FIELDS if name not in sale]
        if missing:
            raise BadBatch(f"Sale {number} lacks {', '.join(missing)}.")
        if not isinstance(sale["id"], str) or not 0 < len(sale["id"]) <= 64:
            raise BadBatch(f"Sale {number}: id must be a string (a UUID).")
    return sales


def _client_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Refused(_("This sale's id is not valid; the app must give each sale a new id.")) from None


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _sold_at(value) -> datetime:
    if not isinstance(value, str) or len(value) > 40:
        raise Refused(_("The time of the sale is not valid."))
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(_("The time of the sale is not valid.")) from None
    if moment.tzinfo is None:
        raise Refused(_("The time of the sale is not valid."))
    return moment.astimezone(UTC).replace(tzinfo=None)


def _booth_refusal(booth, now: datetime) -> str | None:
    """Why no new sale of this batch can be recorded at the booth, or None."""
    fair = booth.fair
    if fair.status not in (FairStatus.PUBLISHED, FairStatus.CLOSED):
        return _("The fair is not published.")
    if booth.status != BoothStatus.APPROVED:
        return _("Only an approved booth records sales.")
    if booth.cooperative.status != CooperativeStatus.APPROVED:
        return _("This cooperative cannot sell at the moment.")
    if now > fair.ends_at + LATE_SYNC:
        return _("The fair ended more than %(days)d days ago: sales can no longer be synced.", days=LATE_SYNC.days)
    return None


def _validate(sale: dict, booth, products: dict[int, Product], now: datetime):
    """(product, quantity, unit price, payment, sold at) of a new sale, or Refused."""
    product_id = sale["product_id"]
    product = products.get(product_id) if _whole(product_id) else None
    if product is None:
        raise Refused(_("The booth no longer sells this product."))
    quantity = sale["quantity"]
    if not _whole(quantity) or quantity < 1:
        raise Refused(_("Quantity must be a whole number of at least 1."))
    if quantity > onsite.MAX_QUANTITY:
        raise Refused(_("At most %(max)d at a time.", max=onsite.MAX_QUANTITY))
    price = sale["unit_price_vnd"]
    if not _whole(price) or not 0 <= price <= MAX_PRICE_VND:
        raise Refused(_("The price must be a whole number of đồng."))
    try:
        payment = OnSitePayment(sale["payment"])
    except (ValueError, TypeError):
        raise Refused(_("Choose cash or transfer.")) from None
    sold_at = _sold_at(sale["sold_at"])
    fair = booth.fair
    if not fair.starts_at <= sold_at < fair.ends_at:
        raise Refused(_("The time of the sale is outside the fair's dates."))
    if sold_at > now + FUTURE_SLACK:
        raise Refused(_("The time of the sale is in the future: check the phone's clock."))
    return product, quantity, price, payment, sold_at


def _answer(client: str, sale: OnSiteSale | None, reason: str = "") -> dict:
    if sale is None:
        return {"id": client, "status": "refused", "sale_id": None, "reason": reason}
    status = "cancelled" if sale.voided_at is not None else sale.status.value
    return {"id": client, "status": status, "sale_id": sale.id, "reason": reason}


def _stored(client_id: str) -> OnSiteSale | None:
    return db.session.scalar(
        sa.select(OnSiteSale).where(OnSiteSale.client_id == client_id).execution_options(populate_existing=True)
    )


def _known(client: str, client_id: str, booth) -> dict | None:
    existing = _stored(client_id)
    if existing is None:
        return None
    if existing.booth_id != booth.id:
        return _answer(client, None, _("This sale id belongs to another booth."))
    return _answer(client, existing)


def _record(actor, client_id: str, fields, now: datetime) -> OnSiteSale | None:
    """Store one new sale in a SAVEPOINT; None if another batch stored this id first."""
    product, quantity, price, payment, sold_at = fields
    try:
        with db.session.begin_nested():
            status = OnSiteSaleStatus.RECORDED
            try:
                take_stock(product, quantity)
            except OutOfStock:
                status = OnSiteSaleStatus.CONFLICT  # nothing taken; a manager resolves it
            sale = OnSiteSale(
                booth_id=actor.booth.id,
                product_id=product.id,
                product_name=product.name,
                unit=product.unit,
                quantity=quantity,
                unit_price_vnd=price,
                total_vnd=price * quantity,
                payment=payment,
                recorded_by_id=actor.user.id if actor.user is not None else None,
                helper_id=actor.helper.id if actor.helper is not None else None,
                created_at=sold_at,
                synced_at=now,
                client_id=client_id,
                status=status,
            )
            db.session.add(sale)
            db.session.flush()
            if status == OnSiteSaleStatus.RECORDED:
                lots.take(product, quantity, on_site_sale_id=sale.id)  # kept by batch: which batches
    except IntegrityError:
        # Only the unique client id can fail here (every other value was checked):
        # another batch with this sale committed first; its SAVEPOINT gave the stock back.
        return None
    return sale


def sync_sales(actor, payload, now: datetime | None = None) -> list[dict]:
    """Record a batch from the phone's queue, each id once; one answer per sale, in order."""
    now = now or utcnow()
    sales = _check_shape(payload)
    booth = actor.booth
    products = {p.id: p for p in onsite.sellable_products(booth)}
    booth_refusal = _booth_refusal(booth, now)
    answers: list[dict] = []
    seen: dict[str, dict] = {}
    for sale in sales:
        client = sale["id"]
        try:
            client_id = _client_id(client)
        except Refused as refused:
            answers.append(_answer(client, None, refused.message))
            continue
        if client_id in seen:
            answers.append({**seen[client_id], "id": client})
            continue
        answer = _known(client, client_id, booth)
        if answer is None:
            try:
                if booth_refusal:
                    raise Refused(booth_refusal)
                fields = _validate(sale, booth, products, now)
            except Refused as refused:
                answer = _answer(client, None, refused.message)
            else:
                stored = _record(actor, client_id, fields, now)
                if stored is None:
                    answer = _known(client, client_id, booth)
                    if answer is None:  # not a duplicate id after all: a bug, not the phone's fault
                        raise RuntimeError(f"Sale {client_id} refused by the database")
                else:
                    answer = _answer(client, stored)
                    logger.info(
                        "Booth %s synced sale %s (%s): %d VND",
                        booth.id,
                        stored.id,
                        stored.status.value,
                        stored.total_vnd,
                    )
        seen[client_id] = answer
        answers.append(answer)
    return answers


# --- conflicts -------------------------------------------------------------------------------


def conflicts(booth) -> list[OnSiteSale]:
    """The booth's conflict sales waiting for a manager, oldest sale first."""
    return list(
        db.session.scalars(
            sa.select(OnSiteSale)
            .where(
                OnSiteSale.booth_id == booth.id,
                OnSiteSale.status == OnSiteSaleStatus.CONFLICT,
                OnSiteSale.voided_at.is_(None),
            )
            .order_by(OnSiteSale.created_at, OnSiteSale.id)
        )
    )


def _stock_left(value) -> int:
    text = str(value if value is not None else "").strip().replace(".", "").replace(" ", "")
    if not (text.isascii() and text.isdigit()) or len(text) > 10 or int(text) > MAX_STOCK:
        raise Refused(
            _("Enter the stock you have left after this sale: a whole number, 0 or more."), field="stock_left"
        )
    return int(text)


def confirm_conflict(sale: OnSiteSale, stock_left, by, now: datetime | None = None) -> OnSiteSale:
    """The sale did happen: it counts from now on, and the product's stock becomes `stock_left`
    (what the manager physically has left after it). Once: a conditional UPDATE."""
    now = now or utcnow()
    stock_left = _stock_left(stock_left)
    table = OnSiteSale.__table__
    confirmed = db.session.execute(
        sa.update(table)
        .where(
            table.c.id == sale.id,
            table.c.status == OnSiteSaleStatus.CONFLICT,
            table.c.voided_at.is_(None),
        )
        .values(status=OnSiteSaleStatus.RECORDED, resolved_at=now, resolved_by_id=by.id if by else None)
    ).rowcount
    db.session.expire(sale)
    if confirmed != 1:
        raise Refused(_("This sale was already resolved."))
    keeper = lots.keeper()
    if sale.product is not None and sale.product.stock_by_batch and keeper is not None:
        # The units gone come off the product's batches, first-expiring first, as the sale's.
        keeper.set_stock(sale.product, stock_left, on_site_sale_id=sale.id, sold=sale.quantity, by=by)
    elif sale.product is not None:
        from marketplace.catalog.services import set_stock

        set_stock(sale.product, stock_left)
    logger.info("Conflict sale %s confirmed; stock of product %s set to %d", sale.id, sale.product_id, stock_left)
    return sale


def cancel_conflict(sale: OnSiteSale, reason: str, by, now: datetime | None = None) -> OnSiteSale:
    """The sale did not happen: voided with the reason; no stock comes back (none was taken)."""
    if sale.status != OnSiteSaleStatus.CONFLICT or sale.voided_at is not None:
        raise Refused(_("This sale was already resolved."))
    return onsite.void_sale(sale, reason, by, now, only_conflict=True)
