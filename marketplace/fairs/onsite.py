"""Sales made at a fair booth, recorded by the cooperative's staff, and voiding mistakes.

Plain functions: they check, change rows and flush; the caller commits once (or rolls
back, which also returns stock a refused sale took).

Rules:
- A sale is recorded only while the fair is on (published, start inclusive, end
  exclusive), only at an approved booth of an approved cooperative, and only for a
  product the booth showcases that is still active: what the booth shows is what it
  sells there (add a product to the booth to sell it on site).
- The unit price is the product's price now by the one fair-price rule
  (fairs.pricing.current_price_vnd): the fair price while the fair is on.
- Stock is taken with the same conditional UPDATE as an online order
  (orders.services.take_stock), so an on-site sale and an online order can never both
  have the last unit; OutOfStock says what is left.
- A void needs a reason, gives the stock back (a booth-app conflict took none, so gives
  none: fairs.booth_sync), and keeps the row with who, when and why. A sale is voided once: the second try is refused (a conditional UPDATE, so
  two people voiding at the same moment cannot both give the stock back).
- What counts (day totals here, the fair's results, the promotion reports): recorded sales,
  or conflicts once a manager confirmed them, not voided (`counted`, OnSiteSale.counts).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.catalog import lots
from marketplace.catalog.models import Product, ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import (
    Booth,
    BoothProduct,
    BoothStatus,
    OnSitePayment,
    OnSiteSale,
    OnSiteSaleStatus,
)
from marketplace.fairs.pricing import current_price_vnd
from marketplace.orders.services import give_stock_back, take_stock

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
UTC = ZoneInfo("UTC")
MAX_QUANTITY = 999
MAX_REASON = 500


def counted():
    """SQL condition for the on-site sales that count in results and reports: recorded (or a
    confirmed conflict) and not voided; the Python twin is OnSiteSale.counts."""
    return sa.and_(OnSiteSale.status == OnSiteSaleStatus.RECORDED, OnSiteSale.voided_at.is_(None))


def sellable_products(booth: Booth) -> list[Product]:
    """The products this booth may sell on site: those it showcases that are active."""
    return list(
        db.session.scalars(
            sa.select(Product)
            .join(BoothProduct, BoothProduct.product_id == Product.id)
            .where(
                BoothProduct.booth_id == booth.id,
                Product.status == ProductStatus.ACTIVE,
                Product.cooperative_id == booth.cooperative_id,
            )
            .order_by(Product.name, Product.id)
        )
    )


def can_sell(booth: Booth, now: datetime | None = None) -> bool:
    return (
        booth.status == BoothStatus.APPROVED
        and booth.fair.is_on(now or utcnow())
        and booth.cooperative.status == CooperativeStatus.APPROVED
    )


def _quantity(value) -> int:
    try:
        quantity = int(value)
    except (TypeError, ValueError):
        raise Refused(_("Quantity must be a whole number of at least 1."), field="quantity") from None
    if isinstance(value, bool) or quantity < 1:
        raise Refused(_("Quantity must be a whole number of at least 1."), field="quantity")
    if quantity > MAX_QUANTITY:
        raise Refused(_("At most %(max)d at a time.", max=MAX_QUANTITY), field="quantity")
    return quantity


def record_sale(booth: Booth, product_id, quantity, payment, by, now: datetime | None = None) -> OnSiteSale:
    """Record `quantity` of a showcased product sold at `booth`, paid `payment` (cash or
    transfer), taking its stock. Raises Refused (naming the field) or OutOfStock."""
    now = now or utcnow()
    if booth.status != BoothStatus.APPROVED:
        raise Refused(_("Only an approved booth records sales."))
    if not booth.fair.is_on(now):
        raise Refused(_("Sales are recorded only while the fair is on."))
    if booth.cooperative.status != CooperativeStatus.APPROVED:
        raise Refused(_("This cooperative cannot sell at the moment."))
    try:
        product_id = int(product_id)
    except (TypeError, ValueError):
        raise Refused(_("Choose a product."), field="product_id") from None
    product = next((p for p in sellable_products(booth) if p.id == product_id), None)
    if product is None:
        raise Refused(_("Choose one of the booth's products."), field="product_id")
    quantity = _quantity(quantity)
    try:
        payment = OnSitePayment(payment)
    except ValueError:
        raise Refused(_("Choose cash or transfer."), field="payment") from None
    unit_price = current_price_vnd(product, now)
    take_stock(product, quantity)  # OutOfStock leaves everything as it was
    sale = OnSiteSale(
        booth_id=booth.id,
        product_id=product.id,
        product_name=product.name,
        unit=product.unit,
        quantity=quantity,
        unit_price_vnd=unit_price,
        total_vnd=unit_price * quantity,
        payment=payment,
        recorded_by_id=by.id if by is not None else None,
        created_at=now,
    )
    db.session.add(sale)
    db.session.flush()
    lots.take(product, quantity, on_site_sale_id=sale.id)  # products kept by batch: which batches
    return sale


def void_sale(
    sale: OnSiteSale, reason: str, by, now: datetime | None = None, *, only_conflict: bool = False
) -> OnSiteSale:
    """Void a mistaken sale: the stock it took goes back (a conflict synced from the booth app
    took none, so gives none); the row stays with who, when and why. `only_conflict`: void it
    only while it is a conflict (a manager cancelling one that another just confirmed fails)."""
    now = now or utcnow()
    reason = " ".join((reason or "").split())
    if not reason:
        raise Refused(_("Say why this sale is voided."), field="reason")
    if len(reason) > MAX_REASON:
        raise Refused(_("The reason is too long (at most %(max)d characters).", max=MAX_REASON), field="reason")
    table = OnSiteSale.__table__
    conditions = [table.c.id == sale.id, table.c.voided_at.is_(None)]
    if only_conflict:
        conditions.append(table.c.status == OnSiteSaleStatus.CONFLICT)
    # RETURNING the status the row has when it is voided: a conflict confirmed meanwhile has
    # taken its place in the stock and gives it back; one still in conflict gives nothing.
    status = db.session.execute(
        sa.update(table)
        .where(*conditions)
        .values(voided_at=now, voided_by_id=by.id if by is not None else None, void_reason=reason)
        .returning(table.c.status)
    ).scalar_one_or_none()
    db.session.expire(sale)
    if status is None:
        raise Refused(_("This sale was already resolved.") if only_conflict else _("This sale was already voided."))
    if sale.product_id is not None and OnSiteSaleStatus(status) == OnSiteSaleStatus.RECORDED:
        give_stock_back(sale.product_id, sale.quantity, on_site_sale_id=sale.id)
    return sale


def vietnam_day_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Today in Vietnam as naive UTC [start, end)."""
    now = now or utcnow()
    local = now.replace(tzinfo=UTC).astimezone(VIETNAM)
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    start_utc = start.astimezone(UTC).replace(tzinfo=None)
    return start_utc, start_utc + timedelta(days=1)


def sales_of_day(booth: Booth, now: datetime | None = None) -> list[OnSiteSale]:
    """The booth's sales recorded today (Vietnam time), newest first, voided ones included."""
    start, end = vietnam_day_bounds(now)
    return list(
        db.session.scalars(
            sa.select(OnSiteSale)
            .where(OnSiteSale.booth_id == booth.id, OnSiteSale.created_at >= start, OnSiteSale.created_at < end)
            .order_by(OnSiteSale.created_at.desc(), OnSiteSale.id.desc())
        )
    )


def day_totals(sales: list[OnSiteSale]) -> dict:
    """Counts and sums of the sales that stand (voided ones and conflicts left out), by payment too."""
    standing = [s for s in sales if s.counts]
    by_payment = {p: sum(s.total_vnd for s in standing if s.payment == p) for p in OnSitePayment}
    return {
        "count": len(standing),
        "units": sum(s.quantity for s in standing),
        "total_vnd": sum(s.total_vnd for s in standing),
        "cash_vnd": by_payment[OnSitePayment.CASH],
        "transfer_vnd": by_payment[OnSitePayment.TRANSFER],
        "voided": sum(1 for s in sales if s.voided_at is not None),
        "conflicts": sum(1 for s in sales if s.voided_at is None and s.status == OnSiteSaleStatus.CONFLICT),
    }
