"""Customer-facing cart, checkout and order pages.

Each action is one transaction (core.transaction): the view parses, checks access, calls
the cart or order services and answers; a success is committed after it, a refusal writes
nothing. Emails are queued in that transaction and sent after the commit (marketplace.mail.queue).
An order is shown to whoever holds its tracking token (guests,
email links) and to its signed-in owner; anyone else gets a 404.
"""

from __future__ import annotations

import json
import logging
import re

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from marketplace.core import throttle
from marketplace.core.errors import Refused
from marketplace.core.formatting import format_vnd
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt, roll_back
from marketplace.extensions import db
from marketplace.orders import cart as carts
from marketplace.orders import idempotency, notifications, payment_methods, services, sources
from marketplace.orders.forms import CheckoutForm, LookupForm
from marketplace.orders.labels import STATUS_LABELS
from marketplace.orders.models import CartItem, DeliveryMethod, Order, OrderPart, PartStatus

bp = Blueprint("orders", __name__)
logger = logging.getLogger(__name__)

PER_PAGE = 20
ORDER_NUMBER = re.compile(r"DH-\d{4}-\d{6,12}")
CHECKOUT_FIELDS = {"name", "phone", "email", "province_code", "ward_code", "street", "payment_method", "note"}


@bp.app_context_processor
def cart_in_header():
    def cart_count() -> int:
        """Items in the visitor's cart, for the header link."""
        if current_user.is_authenticated:
            try:
                return db.session.scalar(
                    sa.select(sa.func.coalesce(sa.func.sum(CartItem.quantity), 0)).where(
                        CartItem.user_id == current_user.id
                    )
                )
            except sa.exc.SQLAlchemyError:  # an error page while the database is failing: no count
                roll_back()  # so that the page can still be drawn with this session
                logger.exception("Could not count the cart of user %s", current_user.id)
                return 0
        stored = session.get(carts.SESSION_KEY) or {}
        return sum(v[0] for v in stored.values() if isinstance(v, list) and v and isinstance(v[0], int))

    return {"cart_count": cart_count}


def _whole_number(text: str | None) -> int | None:
    text = (text or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        return None
    return int(text)


# --- the cart ----------------------------------------------------------------------------------


@bp.post("/cart/add")
def add_to_cart():
    product_id, quantity = (
        _whole_number(request.form.get("product_id")),
        _whole_number(request.form.get("quantity", "1")),
    )
    if quantity is None:
        flash(_("Quantity must be at least 1."), "error")
        return redirect(url_for("orders.cart"))
    before = _quantity_in_cart(product_id)
    with attempt() as outcome:  # a refusal is flashed, on the cart's page
        kept = carts.add_to_cart(current_user, session, product_id, quantity)
    if not outcome.done:
        return redirect(url_for("orders.cart"))
    flash(_("Added to your cart."), "success")
    _flash_if_limited(product_id, kept, before + quantity)
    return redirect(url_for("orders.cart"))


@bp.get("/cart")
def cart():
    current = carts.load_cart(current_user, session)
    return render_template("orders/cart.html", cart=current)


@bp.post("/cart/update")
def update_cart():
    product_id, quantity = _whole_number(request.form.get("product_id")), _whole_number(request.form.get("quantity"))
    if quantity is None:
        flash(_("Enter a quantity of 0 or more."), "error")
        return redirect(url_for("orders.cart"))
    with attempt() as outcome:
        kept = carts.set_cart_quantity(current_user, session, product_id, quantity)
    if not outcome.done:
        return redirect(url_for("orders.cart"))
    if kept == 0:
        flash(_("Removed from your cart."), "success")
    else:
        flash(_("Your cart is updated."), "success")
        _flash_if_limited(product_id, kept, quantity)
    return redirect(url_for("orders.cart"))


@bp.post("/cart/remove")
def remove_from_cart():
    product_id = _whole_number(request.form.get("product_id"))
    if product_id is not None:
        carts.remove_lines(current_user, session, [product_id])
    flash(_("Removed from your cart."), "success")
    return redirect(url_for("orders.cart"))


def _quantity_in_cart(product_id: int | None) -> int:
    return next((l.quantity for l in carts.load_cart(current_user, session).lines if l.product.id == product_id), 0)


def _flash_if_limited(product_id: int, kept: int, wanted: int) -> None:
    """Say so when the cart holds less than was asked for (kept within stock)."""
    if kept >= wanted:
        return
    line = next((l for l in carts.load_cart(current_user, session).lines if l.product.id == product_id), None)
    if line is not None:
        flash(
            _(
                "Only %(stock)d of %(name)s are left: your cart holds %(kept)d.",
                stock=line.product.stock,
                name=line.product.name,
                kept=kept,
            ),
            "warning",
        )


# --- checkout -----------------------------------------------------------------------------------


def _delivery_choices(cart) -> tuple[dict[int, str], dict[int, int]]:
    """({cooperative id: "home"|"pickup"|"fair_booth"}, {cooperative id: booth id}) as chosen on
    the form (home when nothing was chosen; "fair_booth-<booth id>" for pickup at a booth)."""
    delivery, booths = {}, {}
    for group in cart.groups:
        value = request.form.get(f"delivery-{group.cooperative.id}", DeliveryMethod.HOME.value)
        method, _dash, booth = value.partition("-")
        if method == DeliveryMethod.FAIR_BOOTH.value:
            booth_id = _whole_number(booth)
            if booth_id is None:
                method = value  # not a booth: place_order refuses it by name
            else:
                booths[group.cooperative.id] = booth_id
        delivery[group.cooperative.id] = method if method == DeliveryMethod.FAIR_BOOTH.value else value
    return delivery, booths


def _current_source():
    """Where this browser's orders are credited (read by the hook the fairs register), or None."""
    return sources.current_source()


@bp.route("/checkout", methods=["GET", "POST"])
def checkout():
    key = _form_key()
    sent = idempotency.find(_key_scope(), key) if key else None
    if sent is not None:  # this form placed its order already (back, and sent again)
        return _sent_again(sent)
    current = _checkout_cart()
    if current.is_empty or (request.method == "GET" and current.has_problems):
        return _not_ready(current)
    methods = payment_methods.offered_for(group.cooperative for group in current.groups)
    form = CheckoutForm(payment_methods=methods)
    if request.method == "GET" and current_user.is_authenticated:
        form.name.data = current_user.full_name
        form.email.data = current_user.email
        form.phone.data = current_user.phone or ""
    address_book = _address_book(form)
    delivery, booths = _delivery_choices(current) if request.method == "POST" else ({}, {})
    source = _current_source()
    general_error, delivery_error, status = None, None, 200
    # "Update total" (the page without JavaScript): the same page with the chosen delivery's
    # figures and everything typed kept; nothing is checked or placed.
    recalculate = request.method == "POST" and "recalculate" in request.form
    if not recalculate and form.validate_on_submit():
        checkout_data = form.checkout(delivery)
        checkout_data.booths = booths
        held = _hold_key(key) if key else None
        if held is not None and held.answered:  # sent twice at once: the other sending placed it
            _forget_bought(current)  # from this answer's session too (a guest's cart is in it)
            return _sent_again(held)
        try:
            order = _place(current, checkout_data, source)
        except Refused as error:
            # Now, not after the answer: the page shows the cart again, with the stock the refused
            # order took back where it was.
            roll_back()
            status = 409 if isinstance(error, services.OutOfStock) else 422
            if error.field in CHECKOUT_FIELDS:
                getattr(form, error.field).errors.append(error.message)
            elif error.field == "delivery":
                delivery_error = error.message
            else:
                general_error = error.message
        else:
            _remember_address(order)
            placed = _placed(order, current)
            if held is not None:
                idempotency.remember(held, placed.status_code, location=placed.location)
            return placed
    elif request.method == "POST" and not recalculate:
        status = 422
    chosen = {cid: f"{method}-{booths[cid]}" if cid in booths else method for cid, method in delivery.items()}
    shown = _checkout_cart() if status != 200 else current
    return render_template(
        "orders/checkout.html",
        form=form,
        cart=shown,
        totals=shown.totals(chosen),
        general_error=general_error,
        delivery_error=delivery_error,
        buy_now=_buying_now(),
        payment_methods={method.code: method for method in methods},
        address_book=address_book,
        source=services.source_of(source),
        source_activity=services.source_activity_of(source),
        scanned_at=source.scanned_at if source is not None else None,
    ), status


def _form_key() -> str | None:
    """The checkout form's key, as sent (None on a page view, or when it is missing or malformed)."""
    key = request.form.get("idempotency_key") if request.method == "POST" else None
    return key if key and idempotency.valid_key(key) else None


def _key_scope() -> str:
    return f"checkout:{current_user.id}" if current_user.is_authenticated else "checkout"


def _hold_key(key: str):
    """The form's key held for the order about to be placed, or the answer already stored for it;
    409 in the unlikely case that another sending holds it still without an answer."""
    sent = sorted((name, value) for name, value in request.form.items(multi=True) if name != "csrf_token")
    try:
        return idempotency.hold(
            _key_scope(),
            key,
            idempotency.fingerprint(json.dumps(sent, ensure_ascii=True).encode()),
            user_id=current_user.id if current_user.is_authenticated else None,
        )
    except idempotency.KeyInUse:
        abort(409)


def _sent_again(sent):
    """Where the first sending of this checkout form went: the order it placed (or its payment page)."""
    flash(_("This order was sent already: here it is."), "warning")
    return redirect(sent.response_location or url_for("orders.cart"))


def _buying_now() -> bool:
    """A "Mua ngay" checkout: the one line /buy-now remembered, not the cart."""
    return request.args.get("buy_now") == "1"


def _checkout_cart():
    """What this checkout buys: the buy-now line, or the cart."""
    return carts.load_buy_now(session) if _buying_now() else carts.load_cart(current_user, session)


def _not_ready(current):
    """Back to where the lines can be fixed: the cart, or the buy-now product's page."""
    if not _buying_now():
        flash(
            _("Your cart is empty.")
            if current.is_empty
            else _("Fix the lines marked in your cart before checking out."),
            "warning",
        )
        return redirect(url_for("orders.cart"))
    if current.is_empty:
        flash(_("There is nothing to buy now: choose a product first."), "warning")
        return redirect(url_for("orders.cart"))
    product = current.lines[0].product
    flash(_("%(name)s is no longer available in that quantity.", name=product.name), "warning")
    if product.is_public:
        return redirect(url_for("catalog.product", slug=product.slug))
    return redirect(url_for("orders.cart"))


def _forget_bought(current) -> None:
    """An order is placed: its lines leave the cart, or the buy-now line is forgotten (the cart stays)."""
    if _buying_now():
        carts.forget_buy_now(session)
    else:
        carts.remove_lines(current_user, session, [line.product.id for line in current.lines])


def _address_book(form) -> dict:
    """A signed-in customer's saved addresses for the checkout page. On a first visit their
    default, or their own one chosen with ?address=<id> (anyone else's id is ignored), fills
    the form's name, phone and address."""
    from marketplace.accounts import addresses
    from marketplace.core import geo
    from marketplace.core.phone import format_vn_phone

    if not current_user.is_authenticated:
        return {"saved": [], "chosen": None, "can_save": False}
    saved = addresses.addresses_of(current_user)
    chosen = None
    if request.method == "GET" and saved:
        chosen = addresses.address_of(current_user, request.args.get("address")) or saved[0]  # the default first
        form.name.data, form.phone.data = chosen.recipient_name, format_vn_phone(chosen.phone)
        form.province_code.data, form.ward_code.data = chosen.province_code, chosen.ward_code
        form.street.data = chosen.street
        form.ward_code.choices = [form.ward_code.choices[0], *geo.wards(chosen.province_code)]
    return {"saved": saved, "chosen": chosen.id if chosen else None, "can_save": len(saved) < addresses.MAX_ADDRESSES}


def _remember_address(order: Order) -> None:
    """With "save this address" ticked: keep the order's address in the customer's address book
    (unless they have it already); their first becomes their default."""
    if not (current_user.is_authenticated and request.form.get("save_address")):
        return
    from marketplace.accounts import addresses

    try:  # in a savepoint: whatever happens to the address book, the order stands
        with db.session.begin_nested():
            addresses.remember_address(
                current_user,
                addresses.AddressData(
                    recipient_name=order.contact_name,
                    phone=order.contact_phone,
                    province_code=order.province_code,
                    ward_code=order.ward_code,
                    street=order.street,
                ),
            )
    except sa.exc.SQLAlchemyError:
        logger.exception("The address of order %s was not saved for user %s", order.number, current_user.id)


def _place(current, checkout_data, source=None):
    """Place the order and start its payment (card: its PaymentIntent), in the request's one transaction."""
    lines = [(line.product.id, line.quantity) for line in current.lines]
    order = services.place_order(lines, checkout_data, user=current_user, source=source)
    payment_methods.of(order).start(order)  # PaymentUnavailable is a Refused: handled like any other
    return order


def _placed(order: Order, current):
    next_url = payment_methods.of(order).next_url(order)  # card: its payment page
    _forget_bought(current)
    notifications.order_placed(order)  # queued in the order's transaction, sent after the commit
    logger.info("Order %s placed from the web checkout", order.number)
    if next_url:
        return redirect(next_url)
    flash(_("Thank you! Your order %(number)s is placed.", number=order.number), "success")
    return redirect(url_for("orders.order_page", number=order.number, token=order.tracking_token))


@bp.post("/buy-now")
def buy_now():
    """ "Mua ngay": check out one product at once; the cart is left as it is."""
    product_id, quantity = (
        _whole_number(request.form.get("product_id")),
        _whole_number(request.form.get("quantity", "1")),
    )
    if quantity is None or quantity < 1:
        flash(_("Quantity must be at least 1."), "error")
        return redirect(url_for("orders.cart"))
    with attempt() as outcome:  # a refusal is flashed, on the cart's page
        kept = carts.set_buy_now(session, product_id, quantity)
    if not outcome.done:
        return redirect(url_for("orders.cart"))
    if kept < quantity:
        flash(_("Only %(kept)d are left: you are buying %(kept)d.", kept=kept), "warning")
    return redirect(url_for("orders.checkout", buy_now=1))


# --- following an order -----------------------------------------------------------------------------


def _token(value: str | None) -> str:
    """A tracking token as sent; anything that cannot be one (too long, not ASCII) is no token."""
    value = value or ""
    return value if len(value) <= 100 and value.isascii() else ""


def viewable_order(number: str, token: str) -> Order:
    """The order for its token holder, or for its signed-in owner; otherwise 404."""
    if not ORDER_NUMBER.fullmatch(number):
        abort(404)
    order = services.order_by_token(number, token) if token else None
    if order is None and current_user.is_authenticated:
        order = db.session.scalar(sa.select(Order).where(Order.number == number, Order.user_id == current_user.id))
    if order is None:
        abort(404)
    return order


def _order_url(order: Order, token: str) -> str:
    if token:
        return url_for("orders.order_page", number=order.number, token=token)
    return url_for("orders.order_page", number=order.number)


@bp.get("/orders/<number>")
def order_page(number: str):
    token = _token(request.args.get("token"))
    order = viewable_order(number, token)
    method = payment_methods.of(order)
    return render_template(
        "orders/order.html",
        order=order,
        token=token if order.tracking_token == token else "",
        status=services.order_status(order),
        payment_method=method,
        payment=method.details(order),
        cancellable={p.id for p in order.parts if PartStatus.CANCELLED in services.allowed_next(p, "customer")},
    )


@bp.post("/orders/<number>/parts/<int:part_id>/cancel")
def cancel_part(number: str, part_id: int):
    token = _token(request.form.get("token"))
    order = viewable_order(number, token)
    part = db.session.get(OrderPart, part_id)
    if part is None or part.order_id != order.id:
        abort(404)
    user = current_user if current_user.is_authenticated else None
    with attempt() as outcome:  # a refusal is flashed, on the order's page
        services.change_part_status(part, PartStatus.CANCELLED, by=user, actor="customer")
    if outcome.done:
        logger.info("Order %s part %s cancelled by the customer", order.number, part.id)
        flash(_("Your order from %(cooperative)s is cancelled.", cooperative=part.cooperative.name), "success")
    return redirect(_order_url(order, token if order.tracking_token == token else ""))


@bp.post("/orders/<number>/cancel")
def cancel_order(number: str):
    """ "Huỷ đơn hàng": every part the customer may still cancel, at once."""
    token = _token(request.form.get("token"))
    order = viewable_order(number, token)
    user = current_user if current_user.is_authenticated else None
    with attempt() as outcome:  # a refusal is flashed, on the order's page
        done = services.cancel_order(order, by=user)
    if outcome.done:
        logger.info("Order %s cancelled by the customer (%d parts)", order.number, len(done.cancelled))
        cancelled = ", ".join(part.cooperative.name for part in done.cancelled)
        flash(_("Your order is cancelled from: %(cooperatives)s.", cooperatives=cancelled), "success")
        for part in done.kept:
            flash(
                _(
                    "The part from %(cooperative)s is %(status)s and could not be cancelled; contact the cooperative "
                    "if you need to.",
                    cooperative=part.cooperative.name,
                    status=STATUS_LABELS[part.status].lower(),
                ),
                "warning",
            )
        for part, message in done.refused:
            flash(
                _(
                    "The part from %(cooperative)s could not be cancelled: %(reason)s",
                    cooperative=part.cooperative.name,
                    reason=message,
                ),
                "error",
            )
    return redirect(_order_url(order, token if order.tracking_token == token else ""))


@bp.post("/orders/<number>/reorder")
def reorder(number: str):
    """ "Mua lại": the order's products still for sale go into the cart at today's prices."""
    token = _token(request.form.get("token"))
    order = viewable_order(number, token)
    result = services.reorder(order, current_user, session)
    _flash_reorder(result, order.number)
    return redirect(url_for("orders.cart"))


def _flash_reorder(result, number: str) -> None:
    """Say what buying again put in the cart and everything that is not as it was."""
    if result.added:
        flash(
            ngettext(
                "%(num)d product from order %(number)s is in your cart.",
                "%(num)d products from order %(number)s are in your cart.",
                len(result.added),
                number=number,
            ),
            "success",
        )
    else:
        flash(_("Nothing from order %(number)s could be put in your cart.", number=number), "error")
    if result.unavailable:
        flash(_("No longer for sale: %(names)s.", names=", ".join(result.unavailable)), "warning")
    if result.sold_out:
        flash(_("Sold out: %(names)s.", names=", ".join(result.sold_out)), "warning")
    for name, paid, today in result.repriced:
        flash(
            _(
                "The price of %(name)s has changed: %(old)s → %(new)s.",
                name=name,
                old=format_vnd(paid),
                new=format_vnd(today),
            ),
            "warning",
        )
    for name, ordered, kept in result.limited:
        flash(
            _(
                "Only %(kept)d of %(name)s are left (you ordered %(ordered)d): your cart holds %(kept)d.",
                name=name,
                kept=kept,
                ordered=ordered,
            ),
            "warning",
        )
    for message in dict.fromkeys(result.refused):
        flash(message, "error")


@bp.get("/account/orders")
@login_required
def history():
    query = services.orders_of_customer(current_user).options(
        selectinload(Order.parts).selectinload(OrderPart.cooperative)
    )
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    statuses = {order.id: services.order_status(order) for order in page.items}
    return render_template("orders/history.html", page=page, statuses=statuses)


@bp.route("/orders/lookup", methods=["GET", "POST"])
def lookup():
    form = LookupForm()
    status = 200
    if form.validate_on_submit():
        try:
            order = services.lookup_guest_order(form.number.data, form.contact.data, throttle.client_key())
        except throttle.TooManyAttempts as refused:
            form.number.errors.append(refused.message)
            return render_template("orders/lookup.html", form=form), 429
        if order is not None:
            return redirect(url_for("orders.order_page", number=order.number, token=order.tracking_token))
        form.number.errors.append(_("We found no order with this number and phone or email. Check both."))
        status = 422
    elif request.method == "POST":
        status = 422
    return render_template("orders/lookup.html", form=form), status
