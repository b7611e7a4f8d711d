"""Card payment tests run against localstripe, a fake Stripe API server on loopback.

One localstripe process per test session, on a free 127.0.0.1 port. It is started
with its on-disk pickle (/tmp/localstripe.pickle, shared by every localstripe on the
machine) turned off, so it starts empty and leaves nothing behind. Nothing here
calls the internet: the app's STRIPE_API_BASE points at this server.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid

import pytest
import stripe

from marketplace.payments import stripe_payments
from tests import factories as f

WEBHOOK_SECRET = "whsec_test_secret"
STRIPE_CONFIG = {
    "STRIPE_SECRET_KEY": "sk_test_marketplace",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_marketplace",
    "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
}
LAUNCHER = (
    "import sys, localstripe.resources as r; r.Store.dump_to_disk = lambda self: None; "
    "from localstripe.server import app; from aiohttp import web; "
    "web.run_app(app, host='127.0.0.1', port=int(sys.argv[1]), print=None)"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe():
    """The base URL of a running localstripe."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail("localstripe did not start")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def app(app, localstripe):
    app.config.update(STRIPE_CONFIG, STRIPE_API_BASE=localstripe)
    return app


@pytest.fixture
def stripe_api(app):
    """The same Stripe client the app uses, to act as the customer's card and Stripe itself."""
    return stripe_payments.client()


@pytest.fixture
def honey(app):
    product = f.product(f.cooperative(name="HTX Mật ong Tân Sơn"), name="Mật ong rừng", price_vnd=150_000, stock=5)
    f.commit()
    return product


def card_order(*lines, start=True):
    """A committed card order of [(product, quantity)], its PaymentIntent started as the checkout does."""
    order = f.order(list(lines), payment_method="card")
    if start:
        stripe_payments.start_card_payment(order)
    f.commit()
    return order


def pay(stripe_api, order, number="4242424242424242"):
    """The customer pays in localstripe: a card attached to the PaymentIntent, then confirmed."""
    method = stripe_api.v1.payment_methods.create(
        params={"type": "card", "card": {"number": number, "exp_month": 12, "exp_year": 2030, "cvc": "123"}}
    )
    stripe_api.v1.payment_intents.update(order.stripe_payment_intent_id, params={"payment_method": method.id})
    return stripe_api.v1.payment_intents.confirm(order.stripe_payment_intent_id)


def signed(payload: str, secret: str = WEBHOOK_SECRET) -> dict:
    return {"Stripe-Signature": stripe.WebhookSignature.generate_signature_header(payload, secret)}


def event_payload(kind: str, obj, event_id: str | None = None) -> str:
    data = obj.to_dict() if isinstance(obj, stripe.StripeObject) else obj
    return json.dumps(
        {
            "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
            "object": "event",
            "type": kind,
            "api_version": "2026-10-28.endive",
            "created": int(time.time()),
            "data": {"object": data},
        }
    )


def deliver(client, kind: str, obj, event_id: str | None = None, headers: dict | None = None):
    """POST one webhook event, signed with the app's secret unless `headers` say otherwise."""
    payload = event_payload(kind, obj, event_id)
    return client.post(
        "/payments/stripe/webhook",
        data=payload,
        content_type="application/json",
        headers=signed(payload) if headers is None else headers,
    )
