"""Many buyers of a batch-kept product's last units at once: exactly the batches' stock is sold,
the batch expiring first goes first, and every unit sold is recorded against one batch.

Threads of one process, each placing its order in its own session and committing as a request
does (tests/orders/test_concurrency.py has the harness); runs on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.orders.models import OrderItem
from marketplace.traceability import batches
from marketplace.traceability.models import Batch, BatchAllocation
from tests import factories as f
from tests.orders.test_concurrency import buy_in_threads
from tests.traceability.helpers import TODAY, batch


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(batches, "today", lambda: TODAY)


def test_threads_buying_the_last_units_of_two_batches(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    lychee = f.product(coop, name="Vải thiều sấy", sku="VAI-1")
    f.commit()
    late = batch(lychee, code="LATE", best_before=date(2027, 6, 1), quantity=10, stock=4)
    soon = batch(lychee, code="SOON", best_before=date(2027, 1, 15), quantity=10, stock=3)
    f.commit()

    results = buy_in_threads(app, lychee.id, 15)

    errors = [r for r in results if r not in ("sold", "out")]
    assert not errors, "\n".join(errors)
    assert (results.count("sold"), results.count("out")) == (7, 8)
    db.session.expire_all()
    assert db.session.scalar(sa.select(Product.stock).where(Product.id == lychee.id)) == 0
    assert [db.session.get(Batch, b.id).stock for b in (soon, late)] == [0, 0]
    # Every unit sold is recorded against exactly one batch, and the first-expiring lot went first:
    # allocations are written while the product's row is held, so their order is the sales' order.
    taken = db.session.execute(
        sa.select(Batch.code, BatchAllocation.quantity).join(Batch).order_by(BatchAllocation.id)
    ).all()
    assert [tuple(row) for row in taken] == [("SOON", 1)] * 3 + [("LATE", 1)] * 4
    sold = db.session.scalar(sa.select(sa.func.sum(OrderItem.quantity)))
    assert sold == 7 == sum(quantity for _code, quantity in taken)
