"""Card payments through Stripe: PaymentIntents, webhook events, cancellation, refunds.

VND has no minor unit, so a PaymentIntent's amount is the order's total in whole đồng.
An order becomes paid only from data Stripe itself gave us (a signed webhook event, or
the PaymentIntent read back from the API), and only when its id, amount and currency
are the order's: never from the customer's browser coming back.

Like the order services, these functions change rows and flush; the caller commits
once, or rolls back. Each call to Stripe that creates something carries an idempotency
key derived from the order, so a retried request never charges or refunds twice.

Statuses only move forward (unpaid → paid → partially refunded → refunded): events may
arrive late, twice or out of order and change nothing they should not.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders import payment_methods
from marketplace.orders.models import Order, OrderPart, PartStatus, PaymentStatus
from marketplace.payments.models import Refund

if TYPE_CHECKING:
    import stripe

logger = logging.getLogger(__name__)

CARD = "card"  # the card method's code (payments.card)
CURRENCY = "vnd"
# Seconds to wait for Stripe; a checkout should not hang for the library's default 80.
TIMEOUT = 20
REFUND_STATUSES = {"pending", "succeeded", "failed", "canceled"}
PAYMENT_STATUS_ORDER = [
    PaymentStatus.UNPAID,
    PaymentStatus.PAID,
    PaymentStatus.PARTIALLY_REFUNDED,
    PaymentStatus.REFUNDED,
]


class PaymentUnavailable(payment_methods.PaymentUnavailable):
    """Stripe could not be reached or refused the request; nothing was changed here."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _(
                "Card payment is not available right now. Please try again in a few minutes or choose another payment method."
            ),
            field="payment_method",
        )


# --- the Stripe client ----------------------------------------------------------------------------
# `stripe` is imported by the functions that call it, not here: the library (with requests and
# aiohttp) is ~15 MB in every web process, and most never take a card payment. Importing
# this module (payments.card does, when the app starts) stays cheap.


def client() -> stripe.StripeClient:
    """This app's Stripe client: its own key and API address (STRIPE_API_BASE, e.g. localstripe
    in tests), so nothing is set on the `stripe` module for every app in the process."""
    import stripe

    config = current_app.config
    key = config.get("STRIPE_SECRET_KEY") or ""
    if not key:
        raise PaymentUnavailable()
    base = config.get("STRIPE_API_BASE") or stripe.DEFAULT_API_BASE
    clients = current_app.extensions.setdefault("stripe_clients", {})
    if (key, base) not in clients:
        clients[(key, base)] = stripe.StripeClient(
            key,
            base_addresses={"api": base},
            max_network_retries=2,  # safe: every POST carries an idempotency key
            http_client=stripe.RequestsClient(timeout=TIMEOUT),
        )
    return clients[(key, base)]


def field_of(obj, name: str, default=None):
    """A field of a Stripe object or a plain dict (webhook payloads), or `default`."""
    try:
        value = obj[name]
    except (KeyError, TypeError, IndexError):
        return default
    return default if value is None else value


def _id_of(value) -> str | None:
    """An expandable field: either the id itself or the object holding it."""
    if isinstance(value, str):
        return value
    return field_of(value, "id")


# --- starting a payment ---------------------------------------------------------------------------


def start_card_payment(order: Order) -> str:
    """Create the order's PaymentIntent (once) and return its client secret for the card page."""
    if order.payment_method != CARD:
        raise ValueError(f"Order {order.number} is not paid by card")
    if order.stripe_payment_intent_id:
        return client_secret_for(order)
    import stripe

    try:
        intent = client().v1.payment_intents.create(
            params={
                "amount": order.total_vnd,
                "currency": CURRENCY,
                "payment_method_types": ["card"],
                "metadata": {"order_number": order.number, "order_id": str(order.id)},
            },
            options={"idempotency_key": _payment_key(order)},
        )
    except stripe.StripeError as error:
        logger.warning("Stripe refused a PaymentIntent for order %s: %s", order.number, error)
        raise PaymentUnavailable() from None
    order.stripe_payment_intent_id = intent.id
    db.session.flush()
    logger.info("Order %s: PaymentIntent %s for %d VND", order.number, intent.id, order.total_vnd)
    return intent.client_secret


def _payment_key(order: Order) -> str:
    # The creation time too: a development database starting again from order 1 must not
    # meet the PaymentIntent of an older order 1 (Stripe keeps keys for 24 hours).
    return f"order-{order.number}-{int(order.created_at.timestamp())}"


def client_secret_for(order: Order) -> str:
    """The client secret of the order's PaymentIntent, to show the card page again."""
    if not order.stripe_payment_intent_id:
        return start_card_payment(order)
    import stripe

    try:
        intent = client().v1.payment_intents.retrieve(order.stripe_payment_intent_id)
    except stripe.StripeError as error:
        logger.warning("Could not read PaymentIntent of order %s: %s", order.number, error)
        raise PaymentUnavailable() from None
    return intent.client_secret


# --- what Stripe tells us -------------------------------------------------------------------------


def _locked_order(payment_intent_id: str | None) -> Order | None:
    """The order of this PaymentIntent, read afresh and locked (PostgreSQL) against the
    expiry or a refund running at the same moment."""
    if not payment_intent_id:
        return None
    return db.session.scalar(
        sa.select(Order)
        .where(Order.stripe_payment_intent_id == payment_intent_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _is_orders_payment(order: Order, intent) -> bool:
    """A succeeded PaymentIntent for exactly this order's amount, in đồng."""
    return (
        field_of(intent, "id") == order.stripe_payment_intent_id
        and field_of(intent, "status") == "succeeded"
        and field_of(intent, "amount") == order.total_vnd
        and str(field_of(intent, "currency", "")).lower() == CURRENCY
    )


class MalformedEvent(ValueError):
    """A signed event whose fields are not what Stripe sends: nothing is done with it."""

    def __init__(self, field: str, reason: str):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


_ID = "an id (a string)"
_EXPANDABLE = "an id or an object with an id"
_AMOUNT = "a whole number of đồng, at least 0"
# What each event this module acts on must carry, as handle_event and its helpers read it:
# {field of data.object: (kind of value, required)}. A field may be null where not required.
EVENT_FIELDS = {
    "payment_intent.succeeded": {"id": (_ID, True), "amount": (_AMOUNT, False), "currency": (str, False)},
    "payment_intent.payment_failed": {"id": (_ID, True), "last_payment_error": (dict, False)},
    "charge.refunded": {
        "payment_intent": (_EXPANDABLE, False),
        "amount": (_AMOUNT, False),
        "amount_refunded": (_AMOUNT, False),
        "currency": (str, False),
        "status": (str, False),
        "paid": (bool, False),
        "refunds": (dict, False),
    },
}
REFUND_FIELDS = {
    "id": (_ID, True),
    "status": (str, False),
    "payment_intent": (_EXPANDABLE, False),
    "amount": (_AMOUNT, False),
}
for _kind in ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"):
    EVENT_FIELDS[_kind] = REFUND_FIELDS
# The largest amount an order can have (BIGINT): a larger one is no payment of ours.
MAX_AMOUNT = 2**63 - 1


def _check_value(value, kind, field: str) -> None:
    if kind == _ID:
        ok = isinstance(value, str) and 0 < len(value) <= 255
    elif kind == _EXPANDABLE:
        ok = (isinstance(value, str) and 0 < len(value) <= 255) or (
            isinstance(value, dict) and isinstance(value.get("id"), str) and 0 < len(value["id"]) <= 255
        )
    elif kind == _AMOUNT:
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_AMOUNT
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise MalformedEvent(field, kind if isinstance(kind, str) else f"must be a {kind.__name__}")


def check_event(event) -> None:
    """Refuse (MalformedEvent) an event whose data.object is missing, or whose fields this
    module reads have the wrong types: `amount_refunded: "abc"` was a 500 deep in a refund."""
    data = field_of(event, "data")
    obj = field_of(data, "object")
    if not isinstance(data, dict) or not isinstance(obj, dict):
        raise MalformedEvent("data.object", "required, an object")
    for name, (kind, required) in EVENT_FIELDS.get(field_of(event, "type"), {}).items():
        value = obj.get(name)
        if value is None:
            if required:
                raise MalformedEvent(f"data.object.{name}", "required")
            continue
        _check_value(value, kind, f"data.object.{name}")
    if field_of(event, "type") == "charge.refunded" and obj.get("refunds") is not None:
        refunds = obj["refunds"].get("data")
        if refunds is not None and not isinstance(refunds, list):
            raise MalformedEvent("data.object.refunds.data", "must be a list")
        for n, refund in enumerate(refunds or []):
            if not isinstance(refund, dict):
                raise MalformedEvent(f"data.object.refunds.data[{n}]", "must be an object")
            for name, (kind, required) in REFUND_FIELDS.items():
                value = refund.get(name)
                if value is None:
                    if required:
                        raise MalformedEvent(f"data.object.refunds.data[{n}].{name}", "required")
                    continue
                _check_value(value, kind, f"data.object.refunds.data[{n}].{name}")


def handle_event(event) -> Order | None:
    """Apply one verified webhook event; returns the order it concerned (or None).
    Unknown event types and events for no order of ours change nothing."""
    kind = field_of(event, "type", "")
    obj = field_of(field_of(event, "data", {}), "object", {})
    if kind == "payment_intent.succeeded":
        order = _locked_order(field_of(obj, "id"))
        if order is not None:
            if _is_orders_payment(order, obj):
                _mark_paid(order)
            else:
                logger.error(
                    "PaymentIntent %s does not match order %s (amount %s %s); not marked paid",
                    field_of(obj, "id"),
                    order.number,
                    field_of(obj, "amount"),
                    field_of(obj, "currency"),
                )
        return order
    if kind == "payment_intent.payment_failed":
        order = _locked_order(field_of(obj, "id"))
        if order is not None:  # recorded with the event; a failure never un-pays an order
            logger.info(
                "Card payment failed for order %s: %s",
                order.number,
                field_of(field_of(obj, "last_payment_error", {}), "message", "no reason given"),
            )
        return order
    if kind == "charge.refunded":
        return _sync_charge_refunds(obj)
    if kind in ("refund.created", "refund.updated", "refund.failed", "charge.refund.updated"):
        return _sync_refund(obj)
    return None


def _mark_paid(order: Order, now: datetime | None = None) -> None:
    """The order's payment succeeded (verified by the caller). Parts cancelled meanwhile,
    or the whole order when it had already expired and given its stock back, are
    refunded at once."""
    if order.payment_status != PaymentStatus.UNPAID:
        return
    order.payment_status = PaymentStatus.PAID
    order.paid_at = now or utcnow()
    db.session.flush()
    logger.info("Order %s paid by card", order.number)
    if order.expired_at is not None:
        logger.warning("Order %s was paid after it expired; refunding it in full", order.number)
    for part in order.parts:
        if part.status == PartStatus.CANCELLED and part.refunded_vnd < part.total_vnd:
            refund_part(part)


def _sync_charge_refunds(charge) -> Order | None:
    """A charge was refunded (by us, or from Stripe's dashboard): catch up with its total."""
    order = _locked_order(_id_of(field_of(charge, "payment_intent")))
    if order is None:
        return None
    unpaid = order.payment_status == PaymentStatus.UNPAID
    if unpaid and not (
        field_of(charge, "status") == "succeeded"
        and field_of(charge, "paid", True)
        and field_of(charge, "amount") == order.total_vnd
        and str(field_of(charge, "currency", "")).lower() == CURRENCY
    ):
        return order
    # Counted before any automatic refund below, which then gives back only what is left.
    refunded = min(int(field_of(charge, "amount_refunded", 0)), order.total_vnd)
    order.refunded_vnd = max(order.refunded_vnd, refunded)
    if unpaid:  # the success event has not arrived yet; the charge itself shows the payment
        _mark_paid(order)
    for refund in field_of(field_of(charge, "refunds", {}), "data", []) or []:
        _update_refund_row(refund)
    _settle_payment_status(order)
    db.session.flush()
    return order


def _sync_refund(refund) -> Order | None:
    row = _update_refund_row(refund)
    if row is not None:
        db.session.flush()
        return row.order
    return _locked_order(_id_of(field_of(refund, "payment_intent")))


def _update_refund_row(refund) -> Refund | None:
    row = db.session.scalar(sa.select(Refund).where(Refund.stripe_refund_id == field_of(refund, "id")))
    status = field_of(refund, "status")
    if row is None or status not in REFUND_STATUSES or status == row.status:
        return row
    if row.status == "pending":  # pending ends once, as succeeded, failed or canceled
        row.status = status
        if status in ("failed", "canceled"):
            logger.error(
                "Refund %s of order %s %s: pay the customer back by hand",
                row.stripe_refund_id,
                row.order.number,
                status,
            )
    return row


def _settle_payment_status(order: Order) -> None:
    if order.refunded_vnd >= order.total_vnd:
        target = PaymentStatus.REFUNDED
    elif order.refunded_vnd > 0:
        target = PaymentStatus.PARTIALLY_REFUNDED
    else:
        return
    if PAYMENT_STATUS_ORDER.index(target) > PAYMENT_STATUS_ORDER.index(order.payment_status):
        order.payment_status = target


# --- cancelling and refunding -----------------------------------------------------------------------


def cancel_payment(order: Order) -> bool:
    """Cancel the order's PaymentIntent before the order expires. True when it is cancelled;
    False when the order must not expire now: Stripe says the payment succeeded (the order
    is then marked paid from that data), it is still processing, or Stripe cannot be asked."""
    import stripe

    try:
        payments = client().v1.payment_intents
    except PaymentUnavailable:  # no key configured any more: cannot know, so do not expire
        logger.warning("Order %s not expired: Stripe is not configured", order.number)
        return False
    try:
        payments.cancel(order.stripe_payment_intent_id)
        return True
    except stripe.InvalidRequestError:
        pass  # not cancellable: see why below
    except stripe.StripeError as error:
        logger.warning("Could not cancel the PaymentIntent of order %s: %s", order.number, error)
        return False
    try:
        intent = payments.retrieve(order.stripe_payment_intent_id)
    except stripe.StripeError as error:
        logger.warning("Could not read the PaymentIntent of order %s: %s", order.number, error)
        return False
    status = field_of(intent, "status")
    if status == "canceled":
        return True
    if status == "succeeded" and _is_orders_payment(order, intent):
        _mark_paid(order)
    else:
        logger.warning("Order %s not expired: its PaymentIntent is %s", order.number, status)
    return False


def refund_part(part: OrderPart) -> Refund | None:
    """Give back through Stripe what the customer paid for a cancelled part (what is not
    refunded yet). Raises PaymentUnavailable when Stripe refuses: the caller rolls back."""
    order = part.order
    # Lock the order row and read its refunds afresh: a charge.refunded event for this very
    # refund may be processed at the same time, and must not count it twice.
    locked = db.session.execute(sa.select(Order.refunded_vnd).where(Order.id == order.id).with_for_update()).one()
    if order.payment_status not in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
        return None
    already = max(locked.refunded_vnd, order.refunded_vnd)
    amount = min(part.total_vnd - part.refunded_vnd, order.total_vnd - already)
    if amount <= 0:
        return None
    import stripe

    try:
        refund = client().v1.refunds.create(
            params={
                "payment_intent": order.stripe_payment_intent_id,
                "amount": amount,
                "metadata": {"order_number": order.number, "order_part_id": str(part.id)},
            },
            options={"idempotency_key": f"refund-part-{part.id}-{order.stripe_payment_intent_id}"},
        )
    except stripe.StripeError as error:
        logger.warning("Stripe refused to refund part %s of order %s: %s", part.id, order.number, error)
        raise PaymentUnavailable(
            _("The card refund could not be made right now, so nothing was cancelled. Please try again later.")
        ) from None
    status = field_of(refund, "status", "pending")
    row = Refund(
        order_id=order.id,
        part_id=part.id,
        amount_vnd=amount,
        stripe_refund_id=refund.id,
        status=status if status in REFUND_STATUSES else "pending",
    )
    db.session.add(row)
    part.refunded_vnd += amount
    order.refunded_vnd = already + amount
    _settle_payment_status(order)
    db.session.flush()
    logger.info("Order %s part %s: refunded %d VND (%s)", order.number, part.id, amount, refund.id)
    return row
