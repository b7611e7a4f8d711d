"""Placing orders, moving their parts through their statuses, giving stock back, expiry.

Plain functions: they validate, change rows, flush, and raise Refused (or OutOfStock)
when a rule says no; they never commit. The caller commits once, or rolls back, which
also undoes any stock already taken by a refused order.

Stock is taken with one conditional UPDATE per product (`stock = stock - n WHERE
stock >= n`), checked by what it returns: on SQLite and PostgreSQL alike, two buyers
of the last unit cannot both succeed, without holding locks while the order is built.
Products are updated in id order so concurrent orders lock rows in the same order.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, defer, joinedload

from marketplace.catalog import lots
from marketplace.catalog.models import Product, ProductStatus
from marketplace.catalog.pricing import adjusted_price_column, adjusted_prices
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core import content_version, geo, throttle
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.core.phone import InvalidPhone, normalise_vn_phone
from marketplace.extensions import db
from marketplace.orders import payment_methods, sources
from marketplace.orders.cart import delivery_fee_vnd
from marketplace.orders.labels import STATUS_LABELS
from marketplace.orders.models import (
    DeliveryMethod,
    Order,
    OrderItem,
    OrderPart,
    OrderStatusChange,
    PartStatus,
    PaymentStatus,
)
from marketplace.search.changes import log_products

logger = logging.getLogger(__name__)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_LINES = 100
MAX_QUANTITY = 999

# Who may move a part where. A customer only cancels before confirmation.
TRANSITIONS: dict[PartStatus, set[PartStatus]] = {
    PartStatus.PLACED: {PartStatus.CONFIRMED, PartStatus.CANCELLED},
    PartStatus.CONFIRMED: {PartStatus.SHIPPED, PartStatus.CANCELLED},
    PartStatus.SHIPPED: {PartStatus.DELIVERED},
    PartStatus.DELIVERED: {PartStatus.COMPLETED},
    PartStatus.COMPLETED: set(),
    PartStatus.CANCELLED: set(),
}


class OutOfStock(Refused):
    """A line asks for more than is left; nothing of the order is written."""

    def __init__(self, product: Product, remaining: int):
        super().__init__(
            _("Only %(remaining)d left of %(name)s.", remaining=remaining, name=product.name)
            if remaining
            else _("%(name)s is sold out.", name=product.name),
            field="items",
        )
        self.product = product
        self.remaining = remaining


@dataclass
class Checkout:
    """What the checkout form (or the API) collected. Validated by place_order."""

    name: str
    phone: str
    email: str
    province_code: int | None
    ward_code: int | None
    street: str
    payment_method: str  # a registered payment method's code (orders.payment_methods)
    # {cooperative id: DeliveryMethod or its value}; a cooperative left out gets home delivery.
    delivery: dict[int, DeliveryMethod | str] = field(default_factory=dict)
    note: str = ""
    # {cooperative id: booth id} for a fair_booth delivery: which booth (the web form names it;
    # left out, the cooperative's booth at a fair that is on now).
    booths: dict[int, int] = field(default_factory=dict)


# --- placing an order ----------------------------------------------------------------------------


def _clean_checkout(checkout: Checkout) -> dict:
    """Validated, normalised contact and address, or Refused naming the field."""
    name = " ".join((checkout.name or "").split())
    if not name:
        raise Refused(_("Enter your full name."), field="name")
    if len(name) > 120:
        raise Refused(_("The name is too long."), field="name")
    try:
        phone = normalise_vn_phone(checkout.phone or "")
    except InvalidPhone:
        raise Refused(_("Enter a Vietnamese mobile number, such as 0912 345 678."), field="phone") from None
    email = _clean_email(checkout.email)
    province, ward = geo.check_place(
        checkout.province_code, checkout.ward_code, required=True, messages=geo.ADDRESS_MESSAGES
    )
    street = " ".join((checkout.street or "").split())
    if not street:
        raise Refused(_("Enter the street address."), field="street")
    if len(street) > 200:
        raise Refused(_("The street address is too long."), field="street")
    note = (checkout.note or "").strip()
    if len(note) > 1000:
        raise Refused(_("The note is too long."), field="note")
    method = checkout.payment_method
    if payment_methods.get(method) is None:
        raise Refused(_("Choose a payment method."), field="payment_method")
    return {
        "contact_name": name,
        "contact_phone": phone,
        "contact_email": email,
        "province_code": province,
        "ward_code": ward,
        "street": street,
        "note": note,
        "payment_method": method,
    }


def _clean_email(value: str | None) -> str:
    """The contact email lower-cased, or "" when none is given (the phone is the contact);
    one that is given must be a valid address of at most 254 characters (email-validator, no
    DNS look-up)."""
    email = (value or "").strip().lower()
    if not email:
        return ""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise Refused(_("Enter a valid email address."), field="email") from None
    return email


def _merge_lines(lines) -> dict[int, int]:
    """[(product id, quantity)] -> {product id: total quantity}, validated."""
    quantities: dict[int, int] = {}
    for product_id, quantity in lines:
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise Refused(_("Quantity must be at least 1."), field="items")
        quantities[product_id] = quantities.get(product_id, 0) + quantity
    if not quantities:
        raise Refused(_("Your cart is empty."), field="items")
    if len(quantities) > MAX_LINES or any(q > MAX_QUANTITY for q in quantities.values()):
        raise Refused(_("That is more than one order can hold."), field="items")
    return quantities


# The statements of placing an order are built once, with parameters: building them
# costs more of a checkout's CPU than running them (measured with bench/checkout.py).


@cache
def _take_stock_statement():
    products = Product.__table__
    return (
        sa.update(products)
        .where(products.c.id == sa.bindparam("product_id"), products.c.stock >= sa.bindparam("quantity"))
        .values(stock=products.c.stock - sa.bindparam("quantity"))
        .returning(products.c.stock)
    )


@cache
def _order_products_statement():
    """An order's products (:ids) with their cooperatives and their fair prices at :at, in one
    query; not their long descriptions, which an order does not copy."""
    return (
        sa.select(Product, adjusted_price_column(sa.bindparam("at", type_=sa.DateTime())))
        .where(Product.id.in_(sa.bindparam("ids", expanding=True)))
        .options(defer(Product.description), joinedload(Product.cooperative).defer(Cooperative.description))
    )


def take_stock(product: Product, quantity: int) -> int:
    """Take `quantity` of a product's stock, atomically; returns what is left, or raises
    OutOfStock (with what is left) leaving the stock as it was."""
    remaining = db.session.execute(
        _take_stock_statement(), {"product_id": product.id, "quantity": quantity}
    ).scalar_one_or_none()
    if remaining is None:
        products = Product.__table__
        left = db.session.execute(sa.select(products.c.stock).where(products.c.id == product.id)).scalar_one()
        raise OutOfStock(product, left)
    db.session.expire(product, ["stock"])
    content_version.stock_changed(db.session, remaining + quantity, remaining)
    if remaining == 0:
        log_products(db.session, [product.id])  # it now shows as sold out in search
    return remaining


def give_stock_back(product_id: int, quantity: int, *, order_item_id=None, on_site_sale_id=None) -> None:
    """What an order item (or an on-site sale) took goes back on sale. A product whose stock is
    kept by batch gets back only the units whose batch is not recalled (catalog.lots)."""
    products = Product.__table__
    keeper = lots.keeper()
    if keeper is not None and db.session.scalar(
        sa.select(products.c.stock_by_batch).where(products.c.id == product_id)
    ):
        quantity = keeper.give_back(product_id, quantity, order_item_id=order_item_id, on_site_sale_id=on_site_sale_id)
        if not quantity:
            return
    now_stock = db.session.execute(
        sa.update(products)
        .where(products.c.id == product_id)
        .values(stock=products.c.stock + quantity)
        .returning(products.c.stock)
    ).scalar_one_or_none()
    if now_stock is not None:
        content_version.stock_changed(db.session, now_stock - quantity, now_stock)
    if now_stock is not None and now_stock == quantity:
        log_products(db.session, [product_id])  # back in stock in search
    product = db.session.identity_map.get(db.session.identity_key(Product, product_id))
    if product is not None:  # loaded in this session: read the new stock next time
        db.session.expire(product, ["stock"])


def _reserve_order_id() -> int | None:
    """On PostgreSQL, the next order id from its sequence, so that the number (made from the
    id) goes in with the INSERT rather than in a second UPDATE of a busy table. SQLite has
    no sequences: None, and the id comes from the INSERT."""
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return db.session.execute(_next_order_id_statement()).scalar_one()


@cache
def _next_order_id_statement():
    return sa.select(sa.func.nextval(sa.func.pg_get_serial_sequence(Order.__table__.name, "id")))


def order_number(order: Order) -> str:
    year = order.created_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(VIETNAM).year
    return f"DH-{year}-{order.id:06d}"


def place_order(lines, checkout: Checkout, *, user=None, now: datetime | None = None, source=None) -> Order:
    """One order for `lines` ([(product id, quantity)], as a cart holds them), split into
    one part per cooperative; stock is taken for every line or for none.

    Each item costs the product's current price at `now`: its fair price while one
    applies (catalog.pricing; then regular_price_vnd keeps the price it replaced), a
    snapshot that stays after the fair. `source` (a fairs.attribution.Source, or None)
    records the fair and booth whose QR code, or the promotion activity whose link, brought
    the customer (orders.sources); it never changes prices or who may buy, and a source
    whose fair is gone or a draft is ignored.

    Raises Refused naming the field at fault, or OutOfStock naming the product and
    what is left. The payment method (orders.payment_methods) must be offered to every
    cooperative of the order; it sets the payment status the order starts with, and orders
    paid in advance (card) expire, giving their stock back, after ORDER_PAYMENT_TIMEOUT_MINUTES
    unless paid. The caller starts the payment (payment_methods.of(order).start).
    """
    now = now or utcnow()
    contact = _clean_checkout(checkout)
    quantities = _merge_lines(lines)
    products: dict[int, Product] = {}
    fair: dict[int, int] = {}  # {product id: its fair price now}, for those that have one
    for product, fair_price in db.session.execute(  # products, cooperatives and fair prices: one query
        _order_products_statement(), {"ids": list(quantities), "at": now}
    ):
        products[product.id] = product
        if fair_price is not None:
            fair[product.id] = fair_price
    for product_id in quantities:
        product = products.get(product_id)
        if (
            product is None
            or product.status != ProductStatus.ACTIVE
            or product.cooperative.status != CooperativeStatus.APPROVED
        ):
            raise Refused(
                _("%(name)s is no longer for sale.", name=product.name)
                if product
                else _("This product is not for sale."),
                field="items",
            )
    cooperatives: dict[int, Cooperative] = {}
    for product in products.values():
        cooperatives[product.cooperative_id] = product.cooperative
    method = payment_methods.get(contact["payment_method"])
    if not method.available(list(cooperatives.values())):
        raise Refused(_("This payment method is not available for this order."), field="payment_method")
    delivery, booths = _delivery_choices(checkout.delivery, cooperatives, checkout.booths, now)
    for product_id in sorted(quantities):
        # What the query just read is as fresh as what the UPDATE would read: an order it
        # shows short is refused without taking (and giving back) stock for its other lines.
        if products[product_id].stock < quantities[product_id]:
            raise OutOfStock(products[product_id], products[product_id].stock)
    for product_id in sorted(quantities):  # one lock order for every order: no deadlocks
        take_stock(products[product_id], quantities[product_id])

    order = Order(
        id=_reserve_order_id(),
        tracking_token=secrets.token_urlsafe(24),
        user_id=user.id if user is not None and getattr(user, "is_authenticated", False) else None,
        items_total_vnd=0,
        delivery_total_vnd=0,
        total_vnd=0,
        created_at=now,
        expires_at=now + timedelta(minutes=current_app.config["ORDER_PAYMENT_TIMEOUT_MINUTES"])
        if method.paid_in_advance
        else None,
        payment_status=method.status_on_placing,
        paid_at=now if method.status_on_placing == PaymentStatus.PAID else None,
        **contact,
        **_source_columns(source),
    )
    for cooperative_id in sorted(cooperatives, key=lambda cid: cooperatives[cid].name):
        part = OrderPart(
            cooperative=cooperatives[cooperative_id],  # kept: serialising the order needs no reload
            cooperative_id=cooperative_id,
            delivery_method=delivery[cooperative_id],
            booth_id=booths.get(cooperative_id),
            items_total_vnd=0,
            delivery_fee_vnd=0,
            total_vnd=0,
            created_at=now,
        )
        for product_id in sorted(quantities):
            product = products[product_id]
            if product.cooperative_id != cooperative_id:
                continue
            quantity = quantities[product_id]
            fair_price = fair.get(product_id)
            unit_price = fair_price if fair_price is not None else product.price_vnd
            part.items.append(
                OrderItem(
                    product_id=product.id,
                    product_name=product.name,
                    sku=product.sku,
                    unit=product.unit,
                    unit_price_vnd=unit_price,
                    regular_price_vnd=product.price_vnd if fair_price is not None else None,
                    quantity=quantity,
                    line_total_vnd=unit_price * quantity,
                )
            )
        part.items_total_vnd = sum(item.line_total_vnd for item in part.items)
        part.delivery_fee_vnd = delivery_fee_vnd(
            cooperatives[cooperative_id], part.delivery_method, part.items_total_vnd
        )
        part.total_vnd = part.items_total_vnd + part.delivery_fee_vnd
        part.history.append(
            OrderStatusChange(
                from_status=None,
                to_status=PartStatus.PLACED,
                actor="customer",
                created_at=now,
                changed_by_id=order.user_id,
            )
        )
        order.parts.append(part)
    order.items_total_vnd = sum(p.items_total_vnd for p in order.parts)
    order.delivery_total_vnd = sum(p.delivery_fee_vnd for p in order.parts)
    order.total_vnd = order.items_total_vnd + order.delivery_total_vnd
    if order.id is not None:
        order.number = order_number(order)
    db.session.add(order)
    db.session.flush()
    if order.number is None:
        order.number = order_number(order)
        db.session.flush()
    for part in order.parts:  # products kept by batch: which batches the units come from
        for item in part.items:
            lots.take(products[item.product_id], item.quantity, order_item_id=item.id)
    logger.info("Order %s placed: %d parts, %d VND", order.number, len(order.parts), order.total_vnd)
    return order


def _delivery_choices(
    chosen: dict, cooperatives: dict[int, Cooperative], chosen_booths: dict | None, now: datetime
) -> tuple[dict[int, DeliveryMethod], dict[int, int]]:
    """({cooperative id: delivery method}, {cooperative id: booth id} of the booth pickups)."""
    choices = {}
    for cooperative_id, cooperative in cooperatives.items():
        value = (chosen or {}).get(cooperative_id, DeliveryMethod.HOME)
        try:
            method = DeliveryMethod(value)
        except ValueError:
            raise Refused(_("Choose how %(name)s delivers.", name=cooperative.name), field="delivery") from None
        if method == DeliveryMethod.PICKUP and not cooperative.offers_pickup:
            raise Refused(_("%(name)s does not offer pickup.", name=cooperative.name), field="delivery")
        choices[cooperative_id] = method
    at_booth = [cid for cid, method in choices.items() if method == DeliveryMethod.FAIR_BOOTH]
    if not at_booth:
        return choices, {}
    booths = _pickup_booths(at_booth, chosen_booths or {}, now)
    for cid in at_booth:
        _check_booth(booths.get(cid), cooperatives[cid], now)
    return choices, {cid: booths[cid].id for cid in at_booth}


def _pickup_booths(cooperative_ids: list[int], chosen: dict[int, int], now: datetime) -> dict:
    """{cooperative id: the booth it picks up at}: the chosen booth (whatever its state, to
    say what is wrong with it), else its booth at a fair on now. One query."""
    from marketplace.fairs.models import Booth, BoothStatus, Fair, FairStatus

    wanted = {cid: chosen[cid] for cid in cooperative_ids if chosen.get(cid) is not None}
    on_now = sa.and_(
        Booth.status == BoothStatus.APPROVED,
        Fair.status == FairStatus.PUBLISHED,
        Fair.starts_at <= now,
        Fair.ends_at > now,
    )
    rows = db.session.scalars(
        sa.select(Booth)
        .join(Booth.fair)
        .options(contains_eager(Booth.fair))
        .where(Booth.cooperative_id.in_(cooperative_ids), sa.or_(Booth.id.in_(list(wanted.values())), on_now))
        .order_by(Fair.ends_at, Booth.id)
    ).all()
    found = {}
    for cid in cooperative_ids:
        mine = [b for b in rows if b.cooperative_id == cid]
        if cid in wanted:
            found[cid] = next((b for b in mine if b.id == wanted[cid]), None)
        else:  # the one ending first, when a cooperative is at two fairs at once
            found[cid] = next((b for b in mine if b.is_approved and b.fair.is_on(now)), None)
    return found


def _check_booth(booth, cooperative: Cooperative, now: datetime) -> None:
    """Refused saying why the customer cannot pick up at this booth now, if they cannot."""
    if booth is None or not booth.is_approved:
        raise Refused(
            _("%(name)s has no booth at a fair that is on now: choose another delivery.", name=cooperative.name),
            field="delivery",
        )
    if not booth.fair.is_on(now):
        raise Refused(
            _(
                "%(fair)s is not on now, so pickup at booth %(number)s is not possible: choose another delivery.",
                fair=booth.fair.name,
                number=booth.number or "",
            ),
            field="delivery",
        )


def fair_booths_on(cooperative_ids, now: datetime | None = None) -> dict[int, list]:
    """{cooperative id: [its approved booths at fairs on now, the one ending first first]}, fairs
    loaded (one query): the cart and checkout offer pickup at each."""
    from marketplace.fairs.models import Booth, BoothStatus, Fair, FairStatus

    ids = list(cooperative_ids)
    if not ids:
        return {}
    now = now or utcnow()
    rows = db.session.scalars(
        sa.select(Booth)
        .join(Booth.fair)
        .options(contains_eager(Booth.fair))
        .where(
            Booth.cooperative_id.in_(ids),
            Booth.status == BoothStatus.APPROVED,
            Fair.status == FairStatus.PUBLISHED,
            Fair.starts_at <= now,
            Fair.ends_at > now,
        )
        .order_by(Fair.ends_at, Booth.id)
    ).all()
    found: dict[int, list] = {}
    for booth in rows:
        found.setdefault(booth.cooperative_id, []).append(booth)
    return found


# --- attribution -----------------------------------------------------------------------------------


def source_of(source):
    """(fair, booth or None) that an order placed with `source` is credited to (orders.sources:
    the fairs resolve it), or None."""
    return sources.credited(source, "fair")


def source_activity_of(source):
    """The promotion activity that an order placed with `source` is credited to (orders.sources:
    promotion resolves it), or None."""
    return sources.credited(source, "activity")


def _source_columns(source) -> dict:
    found = sources.credit(source)
    return found.columns if found is not None else {}


# --- statuses ------------------------------------------------------------------------------------


def allowed_next(part: OrderPart, actor: str) -> list[PartStatus]:
    """The statuses `actor` (customer, cooperative, system) may move this part to now."""
    targets = TRANSITIONS[part.status]
    if actor == "customer":
        targets = targets & {PartStatus.CANCELLED} if part.status == PartStatus.PLACED else set()
    elif actor == "cooperative" and _awaiting_payment(part.order):
        targets = targets & {PartStatus.CANCELLED}
    return [s for s in PartStatus if s in targets]


def _awaiting_payment(order: Order) -> bool:
    """A method paid in advance (card) not paid yet: the cooperatives wait before confirming."""
    return order.payment_status == PaymentStatus.UNPAID and payment_methods.of(order).paid_in_advance


def change_part_status(
    part: OrderPart, to_status: PartStatus | str, *, by=None, actor: str, reason: str = "", now: datetime | None = None
) -> OrderStatusChange:
    """Move one cooperative's part of an order, recording who, when and why.

    Refused for an illegal move (with the current status in the message), for a
    cooperative cancelling without a reason, and for confirming an order paid in advance
    (card) that is not paid yet. Cancelling gives the stock back, then the payment method
    does what it does (card: refunds a paid part); delivering collects cash on delivery.
    """
    now = now or utcnow()
    try:
        to_status = PartStatus(to_status)
    except ValueError:
        raise Refused(_("Unknown status."), field="status") from None
    reason = (reason or "").strip()
    if to_status not in allowed_next(part, actor):
        if to_status == PartStatus.CONFIRMED and _awaiting_payment(part.order) and part.status == PartStatus.PLACED:
            raise Refused(str(payment_methods.of(part.order).awaiting_payment), field="status")
        raise Refused(
            _(
                "An order part that is %(current)s cannot become %(target)s.",
                current=STATUS_LABELS[part.status].lower(),
                target=STATUS_LABELS[to_status].lower(),
            ),
            field="status",
        )
    if to_status == PartStatus.CANCELLED and actor == "cooperative" and not reason:
        raise Refused(_("Give the customer a reason for cancelling."), field="reason")
    if len(reason) > 1000:
        raise Refused(_("The reason is too long."), field="reason")
    change = OrderStatusChange(
        from_status=part.status,
        to_status=to_status,
        reason=reason,
        actor=actor,
        changed_by_id=getattr(by, "id", None),
        created_at=now,
    )
    part.history.append(change)
    part.status = to_status
    order = part.order
    method = payment_methods.of(order)
    if to_status == PartStatus.CANCELLED:
        part.cancel_reason = reason or None
        for item in part.items:
            if item.product_id is not None:
                give_stock_back(item.product_id, item.quantity, order_item_id=item.id)
        method.part_cancelled(part)  # card: refunds what was paid for the part
    elif to_status == PartStatus.DELIVERED and method.paid_on_delivery:
        _record_payment_received(part, by, now)  # cash collected on delivery
    if to_status == PartStatus.DELIVERED:
        _count_units_sold(part)
    _update_cash_payment_status(order, now)
    db.session.flush()
    logger.info("Order %s part %s: %s -> %s by %s", order.number, part.id, change.from_status, to_status, actor)
    return change


def _count_units_sold(part: OrderPart) -> None:
    """Products' "sold" figure: every counted part passes through delivered exactly once.
    One UPDATE per product (concurrent deliveries both count); it changes the storefront."""
    for item in part.items:
        if item.product_id is not None:
            db.session.execute(
                sa.update(Product)
                .where(Product.id == item.product_id)
                .values(units_sold=Product.units_sold + item.quantity)
                .execution_options(synchronize_session=False)
            )
            product = db.session.identity_map.get(db.session.identity_key(Product, item.product_id))
            if product is not None:
                db.session.expire(product, ["units_sold"])


def mark_payment_received(part: OrderPart, *, by, now: datetime | None = None) -> None:
    """The cooperative received the bank transfer (or the cash) for its part."""
    now = now or utcnow()
    order = part.order
    method = payment_methods.of(order)
    if not method.recorded_by_hand:
        raise Refused(str(method.not_recorded_by_hand), field="payment")
    if part.status == PartStatus.CANCELLED:
        raise Refused(_("This part of the order is cancelled."), field="payment")
    if part.payment_received_at is not None:
        raise Refused(_("The payment was already recorded."), field="payment")
    _record_payment_received(part, by, now)
    _update_cash_payment_status(order, now)
    db.session.flush()


def _record_payment_received(part: OrderPart, by, now: datetime) -> None:
    if part.payment_received_at is None:
        part.payment_received_at = now
        part.payment_received_by_id = getattr(by, "id", None)


def _update_cash_payment_status(order: Order, now: datetime) -> None:
    """Orders whose parts' payments the cooperatives record (cash, transfer) are paid once
    every part still going has been paid."""
    if order.payment_status != PaymentStatus.UNPAID or not payment_methods.of(order).recorded_by_hand:
        return
    live = [p for p in order.parts if p.status != PartStatus.CANCELLED]
    if live and all(p.payment_received_at is not None for p in live):
        order.payment_status = PaymentStatus.PAID
        order.paid_at = now


def order_status(order: Order) -> PartStatus:
    """One status for the whole order: its least advanced live part (all cancelled: cancelled)."""
    live = [p.status for p in order.parts if p.status != PartStatus.CANCELLED]
    if not live:
        return PartStatus.CANCELLED
    order_of = list(PartStatus)
    return min(live, key=order_of.index)


@dataclass
class Cancellation:
    """What cancel_order did: the parts it cancelled, the live parts it could not (already
    confirmed or further along), and those refused meanwhile [(part, message)] (a card refund
    Stripe would not make)."""

    cancelled: list[OrderPart]
    kept: list[OrderPart]
    refused: list[tuple[OrderPart, str]] = field(default_factory=list)


def cancel_order(
    order: Order, *, by, actor: str = "customer", reason: str = "", now: datetime | None = None
) -> Cancellation:
    """Cancel every part of the order that `actor` may still cancel, each through
    change_part_status (its own history entry, stock given back, a card-paid part refunded).
    Each part in its own savepoint: a part refused on the way (its refund failed) stays as it
    was while the others, whose refunds are made, stay cancelled. Refused when none is cancelled."""
    now = now or utcnow()
    live = [p for p in order.parts if p.status != PartStatus.CANCELLED]
    cancellable = [p for p in live if PartStatus.CANCELLED in allowed_next(p, actor)]
    if not cancellable:
        raise Refused(_("No part of this order can be cancelled any more."), field="status")
    done = Cancellation([], [p for p in live if p not in cancellable])
    for part in cancellable:
        try:
            with db.session.begin_nested():
                change_part_status(part, PartStatus.CANCELLED, by=by, actor=actor, reason=reason, now=now)
        except Refused as error:
            done.refused.append((part, error.message))
        else:
            done.cancelled.append(part)
    if not done.cancelled:
        raise Refused(done.refused[0][1], field="status")
    return done


# --- buying again ----------------------------------------------------------------------------------


@dataclass
class ReorderResult:
    """What reorder put in the cart and what it could not do as before:
    added [(name, quantity)], unavailable [name] (no longer for sale), sold_out [name],
    repriced [(name, paid, today's price)], limited [(name, ordered, quantity in the cart)],
    refused [the cart's message] (the cart is full)."""

    added: list[tuple[str, int]] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)
    sold_out: list[str] = field(default_factory=list)
    repriced: list[tuple[str, int, int]] = field(default_factory=list)
    limited: list[tuple[str, int, int]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def reorder(order: Order, user, session, now: datetime | None = None) -> ReorderResult:
    """Put the order's items that are still for sale in the visitor's cart, at today's prices,
    within stock: a line the cart already holds is raised to the quantity ordered (never
    lowered, so buying again twice does not double it). Flushes, never commits."""
    from marketplace.catalog.queries import public_products
    from marketplace.orders import cart as carts

    wanted: dict[int, int] = {}
    paid: dict[int, int] = {}
    names: dict[int, str] = {}
    result = ReorderResult()
    for part in order.parts:
        for item in part.items:
            if item.product_id is None:  # deleted since
                result.unavailable.append(item.product_name)
                continue
            wanted[item.product_id] = wanted.get(item.product_id, 0) + item.quantity
            paid.setdefault(item.product_id, item.unit_price_vnd)
            names.setdefault(item.product_id, item.product_name)
    products = {
        p.id: p for p in db.session.scalars(public_products(with_category=False).where(Product.id.in_(list(wanted))))
    }
    fair = adjusted_prices(list(products), now)
    in_cart = {line.product.id: line.quantity for line in carts.load_cart(user, session).lines}
    for product_id, quantity in wanted.items():
        product = products.get(product_id)
        if product is None:
            result.unavailable.append(names[product_id])
            continue
        if product.stock <= 0:
            result.sold_out.append(product.name)
            continue
        have = in_cart.get(product_id, 0)
        try:
            if have == 0:
                kept = carts.add_to_cart(user, session, product_id, min(quantity, carts.MAX_QUANTITY))
            elif have < quantity:
                kept = carts.set_cart_quantity(user, session, product_id, quantity)
            else:
                kept = have
        except Refused as error:  # the cart is full
            result.refused.append(error.message)
            continue
        result.added.append((product.name, kept))
        today = fair[product_id].price_vnd if product_id in fair else product.price_vnd
        if today != paid[product_id]:
            result.repriced.append((product.name, paid[product_id], today))
        if kept < quantity:
            result.limited.append((product.name, quantity, kept))
    db.session.flush()
    return result


# --- expiry ---------------------------------------------------------------------------------------


def due_for_expiry(now: datetime | None = None):
    now = now or utcnow()
    return (
        sa.select(Order)
        .where(
            Order.payment_method.in_(payment_methods.codes(lambda method: method.paid_in_advance)),
            Order.payment_status == PaymentStatus.UNPAID,
            Order.expired_at.is_(None),
            Order.expires_at <= now,
        )
        .order_by(Order.id)
    )


def expire_order(order: Order, *, now: datetime | None = None) -> bool:
    """Cancel an unpaid order paid in advance (card) whose time ran out, giving its stock back;
    False when it was paid meanwhile, or its method says not now (Stripe says its payment
    succeeded, or cannot be asked)."""
    now = now or utcnow()
    if order.payment_status != PaymentStatus.UNPAID or order.expired_at is not None:
        return False
    if not payment_methods.of(order).may_expire(order):
        return False
    for part in order.parts:
        if part.status != PartStatus.CANCELLED:
            change_part_status(
                part, PartStatus.CANCELLED, actor="system", reason=_("Payment not received in time."), now=now
            )
    order.expired_at = now
    db.session.flush()
    logger.info("Order %s expired unpaid", order.number)
    return True


def expire_due_orders(now: datetime | None = None, limit: int = 500) -> list[str]:
    """Expire every due unpaid order paid in advance (card; at most `limit`); returns their numbers.
    Rows are locked (PostgreSQL: skipping those another process holds) so a payment
    arriving at the same moment and the expiry never both win."""
    query = due_for_expiry(now).limit(limit)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True, of=Order)
    expired = []
    for order in db.session.scalars(query).all():
        if expire_order(order, now=now):
            expired.append(order.number)
    return expired


# --- finding orders ---------------------------------------------------------------------------------


LOOKUP_LIMIT = throttle.Limit("order_lookup", "ORDER_LOOKUP_MAX_FAILURES", "ORDER_LOOKUP_WINDOW_MINUTES")


def lookup_guest_order(number: str, phone_or_email: str, client: str) -> Order | None:
    """find_guest_order for a guest's lookup form, slowed down against guessing: lookups count
    per client (throttle.client_key()) and per order number, before the order is looked at, so
    of many parallel guesses only the limit's number are tried; a lookup that finds the order is
    given back. Past the limit even a right answer is refused (TooManyAttempts) until the window
    has passed. The count is committed at once, whatever the request answers."""
    keys = (client, "order:" + (number or "").strip().upper())
    taken = throttle.take(LOOKUP_LIMIT, *keys)
    if not taken:
        raise throttle.TooManyAttempts(
            _(
                "Too many attempts to find an order. Please wait %(minutes)d minutes and try again.",
                minutes=taken.wait_minutes,
            )
        )
    order = find_guest_order(number, phone_or_email)
    if order is not None:
        throttle.give_back(LOOKUP_LIMIT, *keys)
    return order


def find_guest_order(number: str, phone_or_email: str) -> Order | None:
    """The order with this number whose contact phone or email is the one given."""
    number = (number or "").strip().upper()
    contact = (phone_or_email or "").strip()
    if not number or not contact:
        return None
    order = db.session.scalar(sa.select(Order).where(Order.number == number))
    if order is None:
        return None
    if "@" in contact:  # an order placed without an email ("") is found by its phone only
        matches = bool(order.contact_email) and contact.lower() == order.contact_email
    else:
        try:
            matches = normalise_vn_phone(contact) == order.contact_phone
        except InvalidPhone:
            matches = False
    return order if matches else None


def order_by_token(number: str, token: str) -> Order | None:
    if not token:
        return None
    order = db.session.scalar(sa.select(Order).where(Order.number == number))
    if order is None or not secrets.compare_digest(order.tracking_token, token):
        return None
    return order


def orders_of_customer(user):
    return sa.select(Order).where(Order.user_id == user.id).order_by(Order.created_at.desc(), Order.id.desc())


def parts_of_cooperative(cooperative: Cooperative, status: PartStatus | None = None):
    query = (
        sa.select(OrderPart)
        .join(Order)
        .where(OrderPart.cooperative_id == cooperative.id)
        .order_by(Order.created_at.desc(), OrderPart.id.desc())
    )
    if status is not None:
        query = query.where(OrderPart.status == status)
    return query
