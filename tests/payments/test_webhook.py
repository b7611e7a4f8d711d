"""The Stripe webhook: signed events only, each once, states only moving forward."""

from __future__ import annotations

import json
import time

import pytest
import sqlalchemy as sa
import stripe

from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import Order, PartStatus, PaymentStatus
from marketplace.payments.models import Refund, StripeEvent
from tests.payments.conftest import (
    STRIPE_CONFIG,
    WEBHOOK_SECRET,
    card_order,
    deliver,
    event_payload,
    pay,
    signed,
)


def reload(order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def events() -> list[tuple[str, int | None]]:
    return [(e.type, e.order_id) for e in db.session.scalars(sa.select(StripeEvent).order_by(StripeEvent.id))]


@pytest.fixture
def paid_intent(honey, stripe_api):
    """An order whose payment succeeded in Stripe; our database has not heard of it yet."""
    order = card_order((honey, 2))
    return order, pay(stripe_api, order)


def test_a_signed_success_event_marks_the_order_paid(client, paid_intent):
    order, intent = paid_intent
    assert intent.status == "succeeded"

    response = deliver(client, "payment_intent.succeeded", intent)

    assert response.status_code == 200
    order = reload(order)
    assert order.payment_status == PaymentStatus.PAID and order.paid_at is not None
    assert events() == [("payment_intent.succeeded", order.id)]


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no Stripe-Signature at all
        {"Stripe-Signature": "t=1,v1=deadbeef"},
        "other secret",
        "tampered",
    ],
)
def test_an_unsigned_or_badly_signed_event_is_refused_and_changes_nothing(client, paid_intent, headers):
    order, intent = paid_intent
    payload = event_payload("payment_intent.succeeded", intent)
    if headers == "other secret":
        headers = signed(payload, "whsec_someone_else")
    elif headers == "tampered":  # signed, then changed on the way
        headers = signed(payload)
        payload = payload.replace('"payment_intent.succeeded"', '"payment_intent.succeeded" ')

    response = client.post("/payments/stripe/webhook", data=payload, content_type="application/json", headers=headers)

    assert response.status_code == 400
    assert reload(order).payment_status == PaymentStatus.UNPAID
    assert events() == []


@pytest.mark.parametrize("payload", ["not json at all", "[1, 2]", '{"object": "event"}', '"evt"'])
def test_a_signed_body_that_is_no_event_is_refused(client, app, payload):
    response = client.post("/payments/stripe/webhook", data=payload, headers=signed(payload))
    assert response.status_code == 400
    assert response.is_json and "error" in response.json
    assert events() == []


def test_an_event_delivered_twice_acts_once(client, paid_intent):
    order, intent = paid_intent
    first = deliver(client, "payment_intent.payment_failed", intent, event_id="evt_same")
    # The same event id again (here carrying other content): a duplicate, ignored.
    again = deliver(client, "payment_intent.succeeded", intent, event_id="evt_same")

    assert first.status_code == again.status_code == 200
    assert again.json["duplicate"] is True
    assert reload(order).payment_status == PaymentStatus.UNPAID
    assert events() == [("payment_intent.payment_failed", order.id)]


def test_a_late_failure_never_unpays_an_order(client, paid_intent):
    order, intent = paid_intent
    deliver(client, "payment_intent.succeeded", intent)
    paid_at = reload(order).paid_at

    failed = {**intent.to_dict(), "status": "requires_payment_method"}
    assert deliver(client, "payment_intent.payment_failed", failed).status_code == 200

    order = reload(order)
    assert order.payment_status == PaymentStatus.PAID and order.paid_at == paid_at


def test_a_refund_reported_before_the_success_event_leaves_both_counted(client, paid_intent, stripe_api):
    order, intent = paid_intent
    # Someone refunds 50.000 ₫ from Stripe's dashboard; charge.refunded overtakes payment_intent.succeeded.
    stripe_api.v1.refunds.create(params={"payment_intent": intent.id, "amount": 50_000})
    charge = stripe_api.v1.charges.retrieve(intent.latest_charge.id)

    deliver(client, "charge.refunded", charge)
    order = reload(order)
    assert (order.payment_status, order.refunded_vnd) == (PaymentStatus.PARTIALLY_REFUNDED, 50_000)

    deliver(client, "payment_intent.succeeded", intent)
    order = reload(order)
    assert (order.payment_status, order.refunded_vnd) == (PaymentStatus.PARTIALLY_REFUNDED, 50_000)


def test_a_success_event_that_does_not_match_the_order_pays_nothing(client, paid_intent):
    order, intent = paid_intent
    cheaper = {**intent.to_dict(), "amount": 1_000}
    wrong_currency = {**intent.to_dict(), "currency": "usd"}
    not_ours = {**intent.to_dict(), "id": "pi_someone_elses"}

    for obj in (cheaper, wrong_currency, not_ours):
        assert deliver(client, "payment_intent.succeeded", obj).status_code == 200

    assert reload(order).payment_status == PaymentStatus.UNPAID


def test_an_unknown_event_type_is_accepted_and_recorded(client, app):
    response = deliver(client, "customer.created", {"id": "cus_123", "object": "customer"}, event_id="evt_unknown")
    assert response.status_code == 200
    assert events() == [("customer.created", None)]


def test_the_webhook_needs_no_csrf_token(csrf_app, localstripe):
    csrf_app.config.update(STRIPE_CONFIG, STRIPE_API_BASE=localstripe)
    response = deliver(csrf_app.test_client(), "customer.created", {"id": "cus_1"})
    assert response.status_code == 200, response.get_data(as_text=True)


def test_without_a_webhook_secret_no_event_is_accepted(client, app):
    app.config["STRIPE_WEBHOOK_SECRET"] = ""
    payload = json.dumps({"id": "evt_1", "object": "event", "type": "customer.created", "data": {"object": {}}})
    response = client.post("/payments/stripe/webhook", data=payload, headers=signed(payload, ""))
    assert response.status_code == 404
    assert events() == []


def test_refund_updates_move_a_pending_refund_forward_only(client, paid_intent, stripe_api):
    order, intent = paid_intent
    deliver(client, "payment_intent.succeeded", intent)
    services.change_part_status(reload(order).parts[0], PartStatus.CANCELLED, actor="customer")
    refund = db.session.scalar(sa.select(Refund))
    refund.status = "pending"  # as Stripe often answers at first
    db.session.commit()
    stripe_refund = stripe_api.v1.refunds.retrieve(refund.stripe_refund_id).to_dict()

    deliver(client, "refund.updated", {**stripe_refund, "status": "succeeded"})
    deliver(client, "refund.updated", {**stripe_refund, "status": "pending"})  # late, older news

    db.session.expire_all()
    assert db.session.get(Refund, refund.id).status == "succeeded"
    assert reload(order).payment_status == PaymentStatus.REFUNDED
    assert [kind for kind, _ in events()][-2:] == ["refund.updated", "refund.updated"]


# --- malformed events and timestamps (issue 15) -----------------------------------------------


def test_a_signed_charge_with_a_malformed_amount_is_refused_and_changes_nothing(client, paid_intent, stripe_api):
    order, intent = paid_intent
    deliver(client, "payment_intent.succeeded", intent)
    stripe_api.v1.refunds.create(params={"payment_intent": intent.id, "amount": 50_000})
    charge = stripe_api.v1.charges.retrieve(intent.latest_charge.id).to_dict()
    before = events()

    response = deliver(client, "charge.refunded", {**charge, "amount_refunded": "abc"})

    assert response.status_code == 400
    assert response.get_json()["details"] == {"data.object.amount_refunded": "a whole number of đồng, at least 0"}
    order = reload(order)
    assert (order.payment_status, order.refunded_vnd) == (PaymentStatus.PAID, 0)
    assert events() == before


@pytest.mark.parametrize(
    ("kind", "obj"),
    [
        ("payment_intent.succeeded", None),  # no object at all
        ("payment_intent.succeeded", "pi_123"),
        ("payment_intent.succeeded", {"amount": 300_000, "currency": "vnd"}),  # no id
        ("payment_intent.succeeded", {"id": {"nested": "id"}, "amount": 300_000}),
        ("payment_intent.succeeded", {"id": "pi_1", "amount": "300000"}),
        ("payment_intent.succeeded", {"id": "pi_1", "amount": True}),
        ("payment_intent.succeeded", {"id": "pi_1", "amount": 2**64}),
        ("payment_intent.succeeded", {"id": "pi_1\x00"}),
        ("charge.refunded", {"payment_intent": 17, "amount_refunded": 1}),
        ("charge.refunded", {"payment_intent": "pi_1", "refunds": {"data": "all"}}),
        ("charge.refunded", {"payment_intent": "pi_1", "refunds": {"data": [{"id": ["re_1"]}]}}),
        ("refund.updated", {"id": 5, "status": "succeeded"}),
        ("refund.updated", {"id": "re_1", "status": ["succeeded"]}),
    ],
)
def test_a_signed_event_of_the_wrong_shape_is_refused_and_recorded_nowhere(client, paid_intent, kind, obj):
    order, _intent = paid_intent
    payload = json.dumps({"id": "evt_bad", "object": "event", "type": kind, "data": {"object": obj}})

    response = client.post(
        "/payments/stripe/webhook", data=payload, content_type="application/json", headers=signed(payload)
    )

    assert response.status_code == 400
    assert response.get_json()["details"]
    assert reload(order).payment_status == PaymentStatus.UNPAID
    assert events() == []


@pytest.mark.parametrize("seconds", [600, -600])
def test_a_signature_timestamped_out_of_tolerance_either_way_is_refused(client, paid_intent, seconds):
    order, intent = paid_intent
    payload = event_payload("payment_intent.succeeded", intent)
    header = stripe.WebhookSignature.generate_signature_header(
        payload, WEBHOOK_SECRET, timestamp=int(time.time()) + seconds
    )

    response = client.post(
        "/payments/stripe/webhook", data=payload, content_type="application/json", headers={"Stripe-Signature": header}
    )

    assert response.status_code == 400
    assert reload(order).payment_status == PaymentStatus.UNPAID
    assert events() == []


def test_a_signature_a_little_ahead_of_our_clock_is_fine(client, paid_intent):
    order, intent = paid_intent
    payload = event_payload("payment_intent.succeeded", intent)
    header = stripe.WebhookSignature.generate_signature_header(payload, WEBHOOK_SECRET, timestamp=int(time.time()) + 60)

    response = client.post(
        "/payments/stripe/webhook", data=payload, content_type="application/json", headers={"Stripe-Signature": header}
    )

    assert response.status_code == 200
    assert reload(order).payment_status == PaymentStatus.PAID
