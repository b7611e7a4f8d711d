"""Card payment through Stripe: offered when Stripe is configured; paid in advance on the card
page the checkout leads to (payments.views), marked paid by Stripe's webhook; cancelling a
paid part refunds it, and an order left unpaid expires once its PaymentIntent is cancelled.
Talking to Stripe is payments.stripe_payments'."""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from marketplace.orders.models import PartStatus, PaymentStatus
from marketplace.orders.payment_methods import PaymentMethodType
from marketplace.orders.services import order_status
from marketplace.payments import stripe_payments

CODE = stripe_payments.CARD


def card_payments_enabled() -> bool:
    return bool(current_app.config.get("STRIPE_SECRET_KEY") and current_app.config.get("STRIPE_PUBLISHABLE_KEY"))


class Card(PaymentMethodType):
    code = CODE
    label = _l("Card")
    api_availability = "card when the marketplace takes cards"
    paid_in_advance = True
    awaiting_payment = _l("This order is waiting for its card payment.")
    recorded_by_hand = False
    not_recorded_by_hand = _l("Card payments are recorded by Stripe, not by hand.")
    templates = {"order_summary": "payments/card/order_summary.html"}
    api_properties = {
        "client_secret": {
            "type": "string",
            "description": "Card orders, in the answer to placeOrder only: the Stripe PaymentIntent client secret.",
        },
    }

    def available(self, cooperatives) -> bool:
        return card_payments_enabled()

    def start(self, order) -> dict:
        return {"client_secret": stripe_payments.start_card_payment(order)}

    def next_url(self, order) -> str:
        return url_for("payments.card_payment", number=order.number, token=order.tracking_token)

    def details(self, order) -> dict:
        """{"pay_url": where the order is paid}, None when it is paid, expired or cancelled."""
        unpaid = order.payment_status == PaymentStatus.UNPAID and order.expired_at is None
        if not unpaid or order_status(order) == PartStatus.CANCELLED:
            return {"pay_url": None}
        return {"pay_url": url_for("payments.card_payment", number=order.number, token=order.tracking_token)}

    def part_cancelled(self, part) -> None:
        if part.order.payment_status in (PaymentStatus.PAID, PaymentStatus.PARTIALLY_REFUNDED):
            stripe_payments.refund_part(part)

    def may_expire(self, order) -> bool:
        return not order.stripe_payment_intent_id or stripe_payments.cancel_payment(order)

    def cancellation_note(self, part) -> str | None:
        if part.refunded_vnd > 0:
            return _l("The amount paid by card for this part is refunded to your card.")
        return None
