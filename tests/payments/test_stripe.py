"""Card payments through Stripe (localstripe): PaymentIntents, the card pages, refunds of
cancelled parts and the expiry of unpaid orders."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.core.formatting import format_vnd
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import Order, PartStatus, PaymentStatus
from marketplace.payments import stripe_payments
from marketplace.payments.models import Refund
from tests import factories as f
from tests.payments.conftest import card_order, deliver, pay


def reload(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def pay_url(order, token=None) -> str:
    return f"/orders/{order.number}/pay?token={order.tracking_token if token is None else token}"


@pytest.fixture
def two_coops(app):
    """An order from two cooperatives, with their delivery fees: 2 × 150.000 + 30.000 and 250.000 + 25.000."""
    lychee_coop = f.cooperative("HTX Vải thiều Lục Ngạn", delivery_fee_vnd=30_000, free_delivery_from_vnd=900_000)
    honey_coop = f.cooperative("HTX Mật ong Sóc Sơn", delivery_fee_vnd=25_000)
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=150_000, stock=10)
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=3)
    manager = f.manager(lychee_coop)
    f.commit()
    return type("Shop", (), locals())


# --- PaymentIntents --------------------------------------------------------------------------------


def test_the_payment_intent_asks_for_the_order_total_in_whole_dong_once(two_coops, stripe_api):
    order = card_order((two_coops.lychee, 2), (two_coops.honey, 1))
    intent = stripe_api.v1.payment_intents.retrieve(order.stripe_payment_intent_id)
    assert order.total_vnd == 605_000
    assert (intent.amount, intent.currency) == (605_000, "vnd")
    assert intent.metadata["order_number"] == order.number
    count = len(stripe_api.v1.payment_intents.list(params={"limit": 100}).data)

    # Showing the card page again, or the checkout retrying, reuses it.
    assert stripe_payments.start_card_payment(order) == intent.client_secret
    assert stripe_payments.client_secret_for(order) == intent.client_secret
    assert reload(order).stripe_payment_intent_id == intent.id
    assert len(stripe_api.v1.payment_intents.list(params={"limit": 100}).data) == count


def test_a_retried_creation_sends_the_same_idempotency_key(honey, stripe_api, monkeypatch):
    order = card_order((honey, 1), start=False)
    keys = []
    create = stripe_api.v1.payment_intents.create
    monkeypatch.setattr(
        stripe_api.v1.payment_intents,
        "create",
        lambda params, options: keys.append(options["idempotency_key"]) or create(params, options),
    )

    stripe_payments.start_card_payment(order)
    order.stripe_payment_intent_id = None  # as if that transaction had been rolled back
    stripe_payments.start_card_payment(order)

    assert len(keys) == 2 and keys[0] == keys[1] and order.number in keys[0]


def test_stripe_out_of_reach_refuses_with_a_friendly_message(app, honey):
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # nothing listens there
    order = card_order((honey, 1), start=False)
    with pytest.raises(stripe_payments.PaymentUnavailable) as refused:
        stripe_payments.start_card_payment(order)
    assert "thử lại" in refused.value.message.lower()  # "try again", in the default Vietnamese
    assert order.stripe_payment_intent_id is None


# --- the card pages ---------------------------------------------------------------------------------


def test_the_card_page_shows_the_amount_and_hands_stripe_js_the_client_secret(client, honey, stripe_api):
    order = card_order((honey, 2))
    intent = stripe_api.v1.payment_intents.retrieve(order.stripe_payment_intent_id)

    response = client.get(pay_url(order))

    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert order.number in html and format_vnd(order.total_vnd) in html
    assert f'data-client-secret="{intent.client_secret}"' in html and 'data-stripe-key="pk_test_marketplace"' in html
    assert "js/card-payment.js" in html and "<script>" not in html
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com" in policy and "frame-src" in policy
    assert response.headers["Cache-Control"] == "no-store"
    # Other pages keep the strict policy.
    assert "stripe" not in client.get("/").headers["Content-Security-Policy"]


@pytest.mark.parametrize("token", ["", "wrong-token"])
def test_the_card_page_needs_the_orders_token(client, honey, token):
    order = card_order((honey, 1))
    assert client.get(pay_url(order, token)).status_code == 404
    assert client.get(f"/orders/{order.number}/pay/done?token={token}").status_code == 404


def test_no_card_page_for_cash_orders_or_without_stripe_keys(client, app, honey):
    cash = f.order([(honey, 1)], payment_method="cod")
    card = card_order((honey, 1))
    assert client.get(pay_url(cash)).status_code == 404
    app.config["STRIPE_SECRET_KEY"] = ""
    assert client.get(pay_url(card)).status_code == 404


def test_coming_back_from_stripe_never_marks_the_order_paid(client, honey, stripe_api):
    order = card_order((honey, 1))
    intent = pay(stripe_api, order)
    back = (
        f"/orders/{order.number}/pay/done?token={order.tracking_token}"
        f"&payment_intent={intent.id}&redirect_status=succeeded"
    )

    waiting = client.get(back)
    assert "Đang xử lý thanh toán" in waiting.get_data(as_text=True)  # "Payment processing"
    assert reload(order).payment_status == PaymentStatus.UNPAID

    deliver(client, "payment_intent.succeeded", intent)
    assert "Đã nhận thanh toán" in client.get(back).get_data(as_text=True)  # "Payment received"
    # Paid: the card page now sends the customer to the receipt instead of asking again.
    assert client.get(pay_url(order)).headers["Location"].startswith(f"/orders/{order.number}/pay/done")


def test_a_failed_payment_offers_another_try(client, honey, stripe_api):
    order = card_order((honey, 1))
    intent = stripe_api.v1.payment_intents.retrieve(order.stripe_payment_intent_id)
    deliver(client, "payment_intent.payment_failed", intent)

    html = client.get(f"/orders/{order.number}/pay/done?token={order.tracking_token}").get_data(as_text=True)
    assert "Thanh toán không thành công" in html and pay_url(order).replace("&", "&amp;") in html


# --- refunds of cancelled parts ------------------------------------------------------------------


def test_cancelling_a_paid_part_refunds_exactly_that_part_through_stripe(client, two_coops, stripe_api):
    order = card_order((two_coops.lychee, 2), (two_coops.honey, 1))
    intent = pay(stripe_api, order)
    deliver(client, "payment_intent.succeeded", intent)
    order = reload(order)
    _honey_part, lychee_part = order.parts

    services.change_part_status(
        lychee_part, PartStatus.CANCELLED, by=two_coops.manager, actor="cooperative", reason="Hết hàng do mưa bão"
    )
    db.session.commit()

    order = reload(order)
    assert (order.payment_status, order.refunded_vnd) == (PaymentStatus.PARTIALLY_REFUNDED, 330_000)
    refund = db.session.scalar(sa.select(Refund))
    assert (refund.part_id, refund.amount_vnd, refund.status) == (lychee_part.id, 330_000, "succeeded")
    assert stripe_api.v1.charges.retrieve(intent.latest_charge.id).amount_refunded == 330_000

    services.change_part_status(order.parts[0], PartStatus.CANCELLED, actor="customer")
    db.session.commit()

    order = reload(order)
    assert (order.payment_status, order.refunded_vnd) == (PaymentStatus.REFUNDED, 605_000)
    assert [p.refunded_vnd for p in order.parts] == [275_000, 330_000]
    assert stripe_api.v1.charges.retrieve(intent.latest_charge.id).amount_refunded == 605_000


def test_when_stripe_cannot_refund_the_part_is_not_cancelled(app, client, two_coops, stripe_api):
    order = card_order((two_coops.lychee, 1))
    deliver(client, "payment_intent.succeeded", pay(stripe_api, order))
    part = reload(order).parts[0]
    app.config["STRIPE_API_BASE"] = "http://127.0.0.1:9"  # Stripe out of reach

    with pytest.raises(stripe_payments.PaymentUnavailable):
        services.change_part_status(
            part, PartStatus.CANCELLED, by=two_coops.manager, actor="cooperative", reason="Hết hàng"
        )
    db.session.rollback()

    order = reload(order)
    assert order.parts[0].status == PartStatus.PLACED and order.payment_status == PaymentStatus.PAID
    assert stock_of(two_coops.lychee) == 9 and db.session.scalar(sa.select(Refund)) is None


# --- expiry ------------------------------------------------------------------------------------------


def overdue(order) -> Order:
    order.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    return order


def test_expiry_cancels_the_payment_intent_and_gives_the_stock_back(honey, stripe_api):
    order = overdue(card_order((honey, 2)))
    assert stock_of(honey) == 3

    assert services.expire_due_orders() == [order.number]
    db.session.commit()

    order = reload(order)
    assert order.expired_at is not None and order.payment_status == PaymentStatus.UNPAID
    assert stock_of(honey) == 5
    assert stripe_api.v1.payment_intents.retrieve(order.stripe_payment_intent_id).status == "canceled"


def test_an_order_paid_in_stripe_does_not_expire_even_before_the_webhook(honey, stripe_api):
    order = overdue(card_order((honey, 2)))
    pay(stripe_api, order)  # paid; the webhook is still on its way

    assert services.expire_due_orders() == []
    db.session.commit()

    order = reload(order)
    assert order.expired_at is None and order.payment_status == PaymentStatus.PAID and order.paid_at is not None
    assert order.parts[0].status == PartStatus.PLACED and stock_of(honey) == 3


def test_a_payment_arriving_for_an_expired_order_is_refunded_in_full(client, honey, stripe_api):
    order = overdue(card_order((honey, 2)))
    intent = pay(stripe_api, order)
    # The expiry ran without hearing of the payment (as if the PaymentIntent could not be
    # consulted and was assumed cancelled): stock given back, parts cancelled.
    intent_id, order.stripe_payment_intent_id = order.stripe_payment_intent_id, None
    services.expire_order(order)
    order.stripe_payment_intent_id = intent_id
    db.session.commit()

    assert deliver(client, "payment_intent.succeeded", intent).status_code == 200

    order = reload(order)
    assert (order.payment_status, order.refunded_vnd) == (PaymentStatus.REFUNDED, order.total_vnd)
    assert sum(r.amount_vnd for r in db.session.scalars(sa.select(Refund))) == order.total_vnd
    assert stripe_api.v1.charges.retrieve(intent.latest_charge.id).amount_refunded == order.total_vnd
    assert stock_of(honey) == 5  # not taken again
