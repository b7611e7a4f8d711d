"""On SQLite, a migration that alters a table copies it and drops the old one: the rows of
every table pointing at it must survive that (migrations/env.py turns foreign keys off
around the migrations, and on again after). Always a SQLite file of its own, whatever
DATABASE_URL the rest of the suite uses."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.core.migrations import upgrade_database
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderItem, OrderPart, OrderStatusChange
from tests import factories as f
from tests.conftest import make_app
from tests.old_revisions import add_columns_for_the_factories, drop_columns, later_columns

BEFORE_PAYMENT_METHOD_CODES = "d3e4f5061728"


def counts() -> list[int]:
    return [
        db.session.scalar(sa.select(sa.func.count()).select_from(model))
        for model in (Order, OrderPart, OrderItem, OrderStatusChange)
    ]


def test_freeing_the_payment_method_column_keeps_every_order_and_takes_any_code(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'upgraded.sqlite3'}", tmp_path)
    with app.app_context():
        try:
            upgrade_database(BEFORE_PAYMENT_METHOD_CODES)
            added = later_columns()
            add_columns_for_the_factories(added)
            cooperative = f.cooperative()
            f.order([(f.product(cooperative), 1), (f.product(f.cooperative()), 2)])
            f.commit()
            assert counts() == [1, 2, 2, 2]
            drop_columns(added)
            db.session.remove()

            upgrade_database()

            assert counts() == [1, 2, 2, 2]
            db.session.execute(sa.update(Order).values(payment_method="voucher"))  # a method registered later
            f.commit()
            assert db.session.scalar(sa.select(Order.payment_method)) == "voucher"
            assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
        finally:
            db.session.remove()
            db.engine.dispose()
