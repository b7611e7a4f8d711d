"""`marketplace orders expire`: cron's way of giving back the stock of unpaid card orders."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders.models import Order, PartStatus
from tests import factories as f


def test_expire_cancels_due_unpaid_card_orders_and_names_them(app, runner):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x")
    product = f.product(f.cooperative(), stock=5)
    due = f.order([(product, 2)], payment_method="card")
    due.expires_at = utcnow() - timedelta(minutes=1)
    waiting = f.order([(product, 1)], payment_method="card")
    cash = f.order([(product, 1)])
    f.commit()

    result = runner.invoke(args=["orders", "expire"])

    assert result.exit_code == 0, result.output
    assert "Expired 1 unpaid card order" in result.output and due.number in result.output
    assert waiting.number not in result.output and cash.number not in result.output
    db.session.expire_all()
    assert db.session.get(Order, due.id).expired_at is not None
    assert db.session.get(Order, due.id).parts[0].status == PartStatus.CANCELLED
    assert db.session.get(Order, waiting.id).expired_at is None
    assert db.session.scalar(sa.select(Product.stock).where(Product.id == product.id)) == 3


def test_expire_with_nothing_due_says_so(runner):
    result = runner.invoke(args=["orders", "expire"])

    assert result.exit_code == 0 and "Expired 0 unpaid card orders" in result.output.replace("order(s)", "orders")
