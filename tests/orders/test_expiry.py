"""Unpaid card orders expire from requests themselves, at most once per interval per process."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders import expiry
from marketplace.orders.models import Order, PartStatus
from tests import factories as f


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(expiry, "monotonic", clock)
    return clock


@pytest.fixture
def honey(app):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x", ORDER_EXPIRY_INTERVAL=60)
    product = f.product(f.cooperative(), name="Mật ong rừng", stock=5)
    f.commit()
    return product


def overdue_card_order(product) -> Order:
    """An unpaid card order (no PaymentIntent yet) whose payment time is already over."""
    order = f.order([(product, 1)], payment_method="card")
    order.expires_at = utcnow() - timedelta(minutes=1)
    f.commit()
    return order


def expired(order) -> bool:
    return db.session.scalar(sa.select(Order.expired_at).where(Order.id == order.id)) is not None


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def test_requests_expire_due_orders_at_most_once_per_interval(client, clock, honey):
    client.get("/")  # the first request starts the interval
    first = overdue_card_order(honey)

    clock.now += 30
    client.get("/")
    assert not expired(first)

    clock.now += 31
    client.get("/")
    assert expired(first) and stock_of(honey) == 5
    assert first.parts[0].history[-1].actor == "system"

    second = overdue_card_order(honey)
    clock.now += 1
    client.get("/")
    assert not expired(second)

    clock.now += 60
    client.get("/")
    assert expired(second)


def test_static_files_do_not_run_the_expiry(client, clock, honey):
    client.get("/")
    order = overdue_card_order(honey)
    clock.now += 61

    client.get("/static/css/site.css")
    assert not expired(order)
    client.get("/")
    assert expired(order)


def test_a_failing_expiry_is_rolled_back_and_never_breaks_the_request(client, clock, honey, monkeypatch, caplog):
    client.get("/")
    order = overdue_card_order(honey)

    def broken(now=None):
        f.product(f.cooperative(), name="Half written")  # written, then rolled back
        raise RuntimeError("database went away")

    monkeypatch.setattr(expiry.services, "expire_due_orders", broken)
    monkeypatch.setattr(expiry.logger, "disabled", False)  # Alembic's fileConfig turned it off in the test run
    clock.now += 61
    response = client.get("/")

    assert response.status_code == 200
    assert "Expiring unpaid card orders failed" in caplog.text
    assert not expired(order)
    assert db.session.scalar(sa.select(Product).where(Product.name == "Half written")) is None


def test_a_negative_interval_turns_the_hook_off(app, client, clock, honey):
    app.config["ORDER_EXPIRY_INTERVAL"] = -1
    client.get("/")
    order = overdue_card_order(honey)
    clock.now += 10_000

    client.get("/")
    assert not expired(order) and order.parts[0].status == PartStatus.PLACED
