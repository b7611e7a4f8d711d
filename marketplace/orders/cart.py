"""The cart: in the session for guests, stored (CartItem rows) for signed-in customers,
merged when a guest signs in. Functions flush but never commit.

A cart remembers, per product, the quantity and the price when it was added, so a
price change since then is shown rather than hidden, and quantities are kept
within stock. Prices are current prices (catalog.pricing): a fair price while its fair
is on, so a fair starting or ending after a line was added shows as a price change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import session as browser_session
from flask_babel import gettext as _
from flask_login import user_logged_in
from sqlalchemy.orm import selectinload

from marketplace.catalog.models import Product
from marketplace.catalog.pricing import AdjustedPrice, adjusted_prices, current_price_vnd
from marketplace.catalog.queries import public_products
from marketplace.cooperatives.models import Cooperative
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders.models import CartItem, DeliveryMethod

SESSION_KEY = "cart"
# Bounds what one cart line or one cart may hold (a cart is not a wholesale order form).
MAX_QUANTITY = 999
MAX_LINES = 100


@dataclass
class CartLine:
    product: Product
    quantity: int
    price_seen_vnd: int
    fair_price: AdjustedPrice | None = None  # the product's fair price now, if it has one

    @property
    def unit_price_vnd(self) -> int:
        """The current price: the fair price while one applies."""
        return self.fair_price.price_vnd if self.fair_price else self.product.price_vnd

    @property
    def line_total_vnd(self) -> int:
        return self.unit_price_vnd * self.quantity

    @property
    def price_changed(self) -> bool:
        return self.price_seen_vnd != self.unit_price_vnd

    @property
    def available(self) -> bool:
        return self.product.is_public and self.product.stock > 0

    @property
    def short(self) -> bool:
        """More in the cart than is left."""
        return self.quantity > self.product.stock


@dataclass
class CartGroup:
    """One cooperative's lines, with what delivering them costs."""

    cooperative: Cooperative
    lines: list[CartLine] = field(default_factory=list)
    # The cooperative's approved booths at fairs on now (fair loaded): pickup there is offered.
    booths: list = field(default_factory=list)

    @property
    def items_total_vnd(self) -> int:
        return sum(line.line_total_vnd for line in self.lines)

    @property
    def delivery_methods(self) -> list[DeliveryMethod]:
        methods = [DeliveryMethod.HOME]
        if self.cooperative.offers_pickup:
            methods.append(DeliveryMethod.PICKUP)
        if self.booths:
            methods.append(DeliveryMethod.FAIR_BOOTH)
        return methods

    @property
    def delivery_options(self) -> list[DeliveryOption]:
        """What the checkout offers: home, pickup if offered, and pickup at each booth."""
        from marketplace.orders.labels import DELIVERY_LABELS, booth_pickup_label

        options = [
            DeliveryOption(method.value, str(DELIVERY_LABELS[method]), self.delivery_fee_vnd(method))
            for method in self.delivery_methods
            if method != DeliveryMethod.FAIR_BOOTH
        ]
        for booth in self.booths:
            options.append(
                DeliveryOption(
                    f"{DeliveryMethod.FAIR_BOOTH.value}-{booth.id}",
                    booth_pickup_label(booth),
                    self.delivery_fee_vnd(DeliveryMethod.FAIR_BOOTH),
                    booth,
                )
            )
        return options

    def delivery_fee_vnd(self, method: DeliveryMethod = DeliveryMethod.HOME) -> int:
        return delivery_fee_vnd(self.cooperative, method, self.items_total_vnd)

    @property
    def free_delivery_missing_vnd(self) -> int | None:
        """How much more makes home delivery free (None: never free, or already free)."""
        threshold = self.cooperative.free_delivery_from_vnd
        if threshold is None or self.items_total_vnd >= threshold:
            return None
        return threshold - self.items_total_vnd

    def chosen_option(self, value: str | None) -> DeliveryOption:
        """The delivery option a checkout chose by its form value ("home", "pickup",
        "fair_booth-<booth id>"); home delivery when it names none of the options."""
        options = self.delivery_options
        return next((option for option in options if option.value == value), options[0])


@dataclass(frozen=True)
class DeliveryOption:
    """One delivery choice of a cart group: the form value ("home", "pickup",
    "fair_booth-<booth id>"), its label, its fee, and the booth of a booth pickup."""

    value: str
    label: str
    fee_vnd: int
    booth: object = None


@dataclass(frozen=True)
class GroupTotal:
    """What one cooperative's part of a checkout costs with the delivery chosen for it."""

    group: CartGroup
    option: DeliveryOption

    @property
    def fee_vnd(self) -> int:
        return self.option.fee_vnd

    @property
    def total_vnd(self) -> int:
        return self.group.items_total_vnd + self.option.fee_vnd


@dataclass(frozen=True)
class CheckoutTotals:
    """A checkout's figures for its delivery choices: what place_order will charge."""

    groups: list[GroupTotal]

    @property
    def items_total_vnd(self) -> int:
        return sum(g.group.items_total_vnd for g in self.groups)

    @property
    def delivery_total_vnd(self) -> int:
        return sum(g.fee_vnd for g in self.groups)

    @property
    def total_vnd(self) -> int:
        return self.items_total_vnd + self.delivery_total_vnd


@dataclass
class Cart:
    groups: list[CartGroup]

    @property
    def lines(self) -> list[CartLine]:
        return [line for group in self.groups for line in group.lines]

    @property
    def quantity(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def items_total_vnd(self) -> int:
        return sum(group.items_total_vnd for group in self.groups)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    def totals(self, delivery: dict[int, str] | None = None) -> CheckoutTotals:
        """The figures for {cooperative id: delivery option value} (home where none is given),
        each fee from delivery_fee_vnd as place_order charges it."""
        delivery = delivery or {}
        return CheckoutTotals(
            [GroupTotal(group, group.chosen_option(delivery.get(group.cooperative.id))) for group in self.groups]
        )

    @property
    def has_problems(self) -> bool:
        """Something to fix before checkout: a line no longer for sale or above stock."""
        return any(not line.available or line.short for line in self.lines)


def delivery_fee_vnd(cooperative: Cooperative, method: DeliveryMethod, items_total_vnd: int) -> int:
    """Home delivery costs the cooperative's flat fee, nothing from its threshold; pickup is free."""
    if method != DeliveryMethod.HOME:
        return 0
    threshold = cooperative.free_delivery_from_vnd
    if threshold is not None and items_total_vnd >= threshold:
        return 0
    return cooperative.delivery_fee_vnd


# --- where a cart lives ------------------------------------------------------------------------


def _entries(user, session) -> dict[int, tuple[int, int]]:
    """{product_id: (quantity, price_seen_vnd)} of the current cart."""
    if user is not None and user.is_authenticated:
        rows = db.session.execute(
            sa.select(CartItem.product_id, CartItem.quantity, CartItem.price_seen_vnd)
            .where(CartItem.user_id == user.id)
            .order_by(CartItem.id)
        )
        return {pid: (qty, price) for pid, qty, price in rows}
    stored = session.get(SESSION_KEY) or {}
    entries = {}
    for key, value in stored.items():
        try:
            entries[int(key)] = (int(value[0]), int(value[1]))
        except (TypeError, ValueError, IndexError):
            continue  # a damaged cookie value: forget that line
    return entries


def _save(user, session, product: Product, quantity: int, price_seen_vnd: int | None = None) -> None:
    if user is not None and user.is_authenticated:
        item = db.session.scalar(
            sa.select(CartItem).where(CartItem.user_id == user.id, CartItem.product_id == product.id)
        )
        if quantity <= 0:
            if item is not None:
                db.session.delete(item)
        elif item is None:
            db.session.add(
                CartItem(
                    user_id=user.id,
                    product_id=product.id,
                    quantity=quantity,
                    price_seen_vnd=product.price_vnd if price_seen_vnd is None else price_seen_vnd,
                )
            )
        else:
            item.quantity = quantity
        db.session.flush()
        return
    stored = dict(session.get(SESSION_KEY) or {})
    key = str(product.id)
    if quantity <= 0:
        stored.pop(key, None)
    else:
        previous = stored.get(key)
        seen = previous[1] if previous else (product.price_vnd if price_seen_vnd is None else price_seen_vnd)
        stored[key] = [quantity, seen]
    session[SESSION_KEY] = stored


def _public_product(product_id) -> Product:
    product = db.session.scalar(public_products().where(Product.id == product_id)) if product_id else None
    if product is None:
        raise Refused(_("This product is not for sale."), field="product_id")
    return product


def _within_stock(product: Product, quantity: int) -> int:
    if product.stock <= 0:
        raise Refused(_("%(name)s is sold out.", name=product.name), field="quantity")
    return min(quantity, product.stock, MAX_QUANTITY)


# --- actions -------------------------------------------------------------------------------------


def add_to_cart(user, session, product_id: int, quantity: int = 1) -> int:
    """Add `quantity` of a public product; the cart's quantity, kept within stock, is returned
    (compare it with what was asked to tell the person it was limited)."""
    if quantity < 1:
        raise Refused(_("Quantity must be at least 1."), field="quantity")
    product = _public_product(product_id)
    entries = _entries(user, session)
    if product.id not in entries and len(entries) >= MAX_LINES:
        raise Refused(_("Your cart is full."), field="product_id")
    current = entries.get(product.id, (0, product.price_vnd))[0]
    wanted = _within_stock(product, current + quantity)
    # The price the customer sees now (a fair price during the fair), to tell them of a change later.
    _save(user, session, product, wanted, None if product.id in entries else current_price_vnd(product))
    return wanted


def set_cart_quantity(user, session, product_id: int, quantity: int) -> int:
    """Set a line's quantity (0 removes it); returns the quantity kept, within stock."""
    if quantity < 0:
        raise Refused(_("Quantity must be at least 1."), field="quantity")
    if product_id not in _entries(user, session):
        raise Refused(_("This product is not in your cart."), field="product_id")
    product = db.session.get(Product, product_id)
    if quantity == 0 or product is None:
        if product is not None:
            _save(user, session, product, 0)
        else:
            remove_lines(user, session, [product_id])
        return 0
    product = _public_product(product_id)
    kept = _within_stock(product, quantity)
    _save(user, session, product, kept)
    return kept


def remove_lines(user, session, product_ids) -> None:
    """Drop lines (a removal, or what an order just bought)."""
    product_ids = set(product_ids)
    if user is not None and user.is_authenticated:
        db.session.execute(sa.delete(CartItem).where(CartItem.user_id == user.id, CartItem.product_id.in_(product_ids)))
        return
    stored = {k: v for k, v in (session.get(SESSION_KEY) or {}).items() if k not in {str(i) for i in product_ids}}
    session[SESSION_KEY] = stored


def init_app(app) -> None:
    """A guest's cart joins the account's whenever someone signs in (registration included):
    accounts knows nothing of carts, Flask-Login's signal tells orders."""
    user_logged_in.connect(_merge_on_sign_in)


def _merge_on_sign_in(_app, user, **_extra) -> None:
    merge_guest_cart(user, browser_session)


def merge_guest_cart(user, session) -> None:
    """At sign-in: the guest's lines join the stored cart (quantities added, within stock)."""
    guest = _entries(None, session)
    if not guest:
        return
    stored = _entries(user, session)
    products = {p.id: p for p in db.session.scalars(public_products().where(Product.id.in_(guest)))}
    for product_id, (quantity, price_seen) in guest.items():
        product = products.get(product_id)
        if product is None or product.stock <= 0:
            continue
        have = stored.get(product_id, (0, price_seen))
        _save(user, session, product, min(have[0] + quantity, product.stock, MAX_QUANTITY), have[1])
    session.pop(SESSION_KEY, None)


def load_cart(user, session, at: datetime | None = None) -> Cart:
    """The cart with its products, grouped by cooperative (in the order lines were added),
    priced at `at` (now): fair prices and the booths to pick up at in one query each.

    Lines of products that were deleted are dropped; products no longer public stay,
    marked unavailable, so the person sees what happened."""
    return _cart_of(_entries(user, session), at)


def _cart_of(entries: dict[int, tuple[int, int]], at: datetime | None = None) -> Cart:
    """A Cart of {product id: (quantity, price seen)}: load_cart's work, for any set of lines."""
    if not entries:
        return Cart([])
    at = at or utcnow()
    products = {
        p.id: p
        for p in db.session.scalars(
            sa.select(Product)
            .where(Product.id.in_(entries))
            .options(selectinload(Product.cooperative), selectinload(Product.images))
        )
    }
    fair = adjusted_prices(products, at)
    groups: dict[int, CartGroup] = {}
    for product_id, (quantity, price_seen) in entries.items():
        product = products.get(product_id)
        if product is None:
            continue
        group = groups.setdefault(product.cooperative_id, CartGroup(product.cooperative))
        group.lines.append(CartLine(product, quantity, price_seen, fair.get(product_id)))
    if groups:
        from marketplace.orders.services import fair_booths_on

        for cooperative_id, booths in fair_booths_on(groups, at).items():
            groups[cooperative_id].booths = booths
    return Cart(list(groups.values()))


# --- "Mua ngay": one product straight to checkout, the cart left as it is --------------------------

BUY_NOW_KEY = "buy_now"


def set_buy_now(session, product_id: int | None, quantity: int) -> int:
    """Remember one public product and quantity to check out on its own (replacing any earlier
    one), validated like add_to_cart; returns the quantity kept, within stock."""
    if quantity < 1:
        raise Refused(_("Quantity must be at least 1."), field="quantity")
    product = _public_product(product_id)
    kept = _within_stock(product, quantity)
    session[BUY_NOW_KEY] = {str(product.id): [kept, current_price_vnd(product)]}
    return kept


def _buy_now_entries(session) -> dict[int, tuple[int, int]]:
    stored = session.get(BUY_NOW_KEY)
    if not isinstance(stored, dict) or len(stored) != 1:
        return {}
    try:
        ((key, value),) = stored.items()
        return {int(key): (int(value[0]), int(value[1]))}
    except (TypeError, ValueError, IndexError):
        return {}  # a damaged cookie value: nothing to buy


def load_buy_now(session, at: datetime | None = None) -> Cart:
    """The remembered buy-now line as a one-line Cart (empty when there is none)."""
    return _cart_of(_buy_now_entries(session), at)


def forget_buy_now(session) -> None:
    session.pop(BUY_NOW_KEY, None)
