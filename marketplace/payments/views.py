"""Card payment page, the Stripe webhook and the VietQR picture to save.

Each request is one transaction (core.transaction): committed after a successful answer,
rolled back after any other, so a webhook event answered 503 is not recorded and Stripe
delivers it again.
"""

from __future__ import annotations

import json
import logging
import re
import time

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.exc import IntegrityError

from marketplace.core import input_guard
from marketplace.core.errors import api_error
from marketplace.core.security import CONTENT_SECURITY_POLICY
from marketplace.core.transaction import roll_back
from marketplace.extensions import csrf, db
from marketplace.orders import services
from marketplace.orders.models import Order, PaymentStatus
from marketplace.orders.views import _token, viewable_order
from marketplace.payments import bank_transfer, card, stripe_payments, vietqr
from marketplace.payments.models import StripeEvent

logger = logging.getLogger(__name__)

bp = Blueprint("payments", __name__)

# Seconds a webhook signature's timestamp may be away from now, in either direction (Stripe's default).
WEBHOOK_TOLERANCE = 300

# Stripe.js and its Payment Element (iframes talking to Stripe's API), on the card page only.
STRIPE_SOURCES = {
    "script-src": "https://js.stripe.com",
    "frame-src": "https://js.stripe.com https://hooks.stripe.com",
    "connect-src": "https://api.stripe.com",
    "img-src": "https://*.stripe.com",
}


def card_page_policy() -> str:
    directives = [d.split(" ", 1) for d in CONTENT_SECURITY_POLICY.split("; ")]
    policy = {name: value for name, value in directives}
    for name, sources in STRIPE_SOURCES.items():
        policy[name] = f"{policy.get(name, '')} {sources}".strip()
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def _card_order_or_404(number: str) -> Order:
    order = services.order_by_token(number, request.args.get("token", ""))
    if order is None or order.payment_method != card.CODE or not card.card_payments_enabled():
        abort(404)
    return order


def order_page_url(order: Order) -> str:
    """The customer's page of the order, to go back to."""
    return url_for("orders.order_page", number=order.number, token=order.tracking_token)


@bp.get("/orders/<number>/pay")
def card_payment(number: str):
    order = _card_order_or_404(number)
    if order.payment_status != PaymentStatus.UNPAID or order.expired_at is not None:
        return redirect(url_for("payments.card_return", number=order.number, token=order.tracking_token))
    error = None
    client_secret = None
    try:
        # Starts a PaymentIntent when the checkout's own one failed; kept with this page's answer.
        client_secret = stripe_payments.client_secret_for(order)
    except stripe_payments.PaymentUnavailable as refused:
        error = refused.message  # answered 503: nothing is kept
    response = current_app.make_response(
        render_template(
            "payments/card.html",
            order=order,
            client_secret=client_secret,
            error=error,
            order_url=order_page_url(order),
            publishable_key=current_app.config["STRIPE_PUBLISHABLE_KEY"],
            return_url=url_for("payments.card_return", number=order.number, token=order.tracking_token, _external=True),
        )
    )
    if error:
        response.status_code = 503
    response.headers["Content-Security-Policy"] = card_page_policy()
    response.headers["Cache-Control"] = "no-store"  # holds the client secret
    return response


@bp.get("/orders/<number>/pay/done")
def card_return(number: str):
    """Where Stripe sends the customer back. Shows what our database knows: only the
    signed webhook (or the expiry's check with Stripe) marks an order paid."""
    order = _card_order_or_404(number)
    response = current_app.make_response(
        render_template(
            "payments/card_return.html",
            order=order,
            outcome=payment_outcome(order),
            order_url=order_page_url(order),
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def payment_outcome(order: Order) -> str:
    """succeeded, expired, failed (the last word from Stripe was a failure) or processing."""
    if order.payment_status != PaymentStatus.UNPAID:
        return "succeeded"
    if order.expired_at is not None:
        return "expired"
    last = db.session.scalar(
        sa.select(StripeEvent.type)
        .where(StripeEvent.order_id == order.id, StripeEvent.type.like("payment_intent.%"))
        .order_by(StripeEvent.received_at.desc(), StripeEvent.id.desc())
        .limit(1)
    )
    return "failed" if last == "payment_intent.payment_failed" else "processing"


@bp.get("/orders/<number>/parts/<int:part_id>/vietqr.png")
def vietqr_png(number: str, part_id: int):
    """The VietQR code of a part still to be paid by transfer, as a PNG to save and scan from
    the phone's gallery. Shown to whoever may see the order page; anyone else gets a 404."""
    order = viewable_order(number, _token(request.args.get("token")))
    part = next((part for part in order.parts if part.id == part_id), None)
    if part is None or not bank_transfer.awaits_transfer(part):
        abort(404)
    transfer = bank_transfer.transfer_for(part)  # None (logged) when it cannot be made
    if transfer is None:
        abort(404)
    response = current_app.make_response(vietqr.qr_png(transfer.payload))
    response.mimetype = "image/png"
    response.headers["Content-Disposition"] = f'attachment; filename="{png_name(order, part)}"'
    response.headers["Cache-Control"] = "private, no-store"  # an order's bank details
    return response


def signed_at(header: str) -> int:
    """The timestamp (t=) of a Stripe-Signature header that verified."""
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t":
            return int(value)
    raise ValueError("no timestamp")


def png_name(order: Order, part) -> str:
    """vietqr-DH-2026-000123-htx-mat-ong-tan-son.png (ASCII only, safe in a header)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", (part.cooperative.slug or "").lower()).strip("-")
    return f"vietqr-{order.number}-{slug}.png" if slug else f"vietqr-{order.number}-{part.id}.png"


@bp.post("/payments/stripe/webhook")
@csrf.exempt
def stripe_webhook():
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    if not secret:
        return api_error(404, "Stripe webhooks are not configured")
    import stripe  # here, not at the top: see payments.stripe_payments

    payload, header = request.get_data(), request.headers.get("Stripe-Signature")
    try:
        stripe.WebhookSignature.verify_header(payload, header, secret, tolerance=WEBHOOK_TOLERANCE)
        event = json.loads(payload)  # plain data, read as sent: check_event looks at its types
    except (ValueError, TypeError, AttributeError, RecursionError, stripe.SignatureVerificationError):
        return api_error(400, "Invalid payload or signature")
    if signed_at(header) > time.time() + WEBHOOK_TOLERANCE:  # Stripe's library checks only the past
        logger.warning("Stripe webhook refused: signed %s s in the future", int(signed_at(header) - time.time()))
        return api_error(400, "Invalid payload or signature")
    event_id, kind = stripe_payments.field_of(event, "id"), stripe_payments.field_of(event, "type")
    if not isinstance(event_id, str) or not isinstance(kind, str) or not event_id or len(event_id) > 255:
        return api_error(400, "Invalid event")
    try:
        input_guard.check_json(event)  # whatever its Content-Type said
        stripe_payments.check_event(event)
    except input_guard.BadInput as bad:
        logger.error("Stripe event %s (%s) refused: %s", event_id, kind, bad)
        return api_error(400, "Invalid event", {bad.field: bad.reason})
    except stripe_payments.MalformedEvent as malformed:  # signed, so ours to look into; nothing recorded
        logger.error("Stripe event %s (%s) refused, malformed: %s", event_id, kind, malformed)
        return api_error(400, "Invalid event", {malformed.field: malformed.reason})
    if db.session.scalar(sa.select(StripeEvent.id).where(StripeEvent.event_id == event_id)) is not None:
        return jsonify(received=True, duplicate=True)
    # The event first: a concurrent delivery of the same event stops at its unique id.
    record = StripeEvent(event_id=event_id, type=kind[:100])
    db.session.add(record)
    try:
        db.session.flush()
    except IntegrityError:
        roll_back()  # now: a session whose flush failed cannot even commit nothing after the answer
        return jsonify(received=True, duplicate=True)
    try:
        order = stripe_payments.handle_event(event)
    except stripe_payments.PaymentUnavailable:  # rolled back with this answer: Stripe delivers the event again later
        logger.warning("Stripe event %s (%s) postponed: Stripe unavailable", event_id, kind)
        return api_error(503, "Try again later")
    record.order_id = order.id if order is not None else None
    return jsonify(received=True)
