"""The migration that starts stock by batch (5c8e2f1a9d47) on a database that already had batches:
each product's counted stock is spread over its open batches newest first, up to each batch's
quantity, and the product's stock becomes what they hold. A SQLite file of its own."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.core.migrations import upgrade_database
from marketplace.extensions import db
from tests import factories as f
from tests.conftest import make_app
from tests.old_revisions import add_columns_for_the_factories, drop_columns, later_columns

BEFORE_STOCK_BY_BATCH = "2459d7a52bdf"


def add_batch(product_id: int, code: str, produced_on: str, quantity: int, recalled: bool = False) -> None:
    db.session.execute(
        sa.text(
            "INSERT INTO batches (product_id, code, short_code, produced_on, quantity, place_name, notes,"
            " recall_reason, recalled_at, created_at, updated_at) VALUES (:p, :c, :s, :d, :q, '', '', '', :r,"
            " '2026-12-01', '2026-12-01')"
        ),
        {
            "p": product_id,
            "c": code,
            "s": "S" + code,
            "d": produced_on,
            "q": quantity,
            "r": "2026-12-02" if recalled else None,
        },
    )


def test_existing_batches_get_the_counted_stock_newest_first(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'upgraded.sqlite3'}", tmp_path)
    with app.app_context():
        try:
            upgrade_database(BEFORE_STOCK_BY_BATCH)
            added = later_columns()
            add_columns_for_the_factories(added)
            coop = f.cooperative()
            lychee = f.product(coop, stock=130)  # 3 lots of 100: newest full, the one before 30
            honey = f.product(coop, stock=500)  # more than its lots hold: capped at what they hold
            tea = f.product(coop, stock=20)  # no batches: counted as before
            f.commit()
            ids = (lychee.id, honey.id, tea.id)
            drop_columns(added)
            add_batch(ids[0], "OLD", "2026-09-01", 100)
            add_batch(ids[0], "MID", "2026-10-01", 100)
            add_batch(ids[0], "NEW", "2026-11-01", 100)
            add_batch(ids[0], "RECALLED", "2026-11-20", 100, recalled=True)
            add_batch(ids[1], "H1", "2026-10-01", 40)
            db.session.commit()
            db.session.remove()

            upgrade_database()

            stocks = dict(db.session.execute(sa.text("SELECT code, stock FROM batches")).all())
            assert stocks == {"OLD": 0, "MID": 30, "NEW": 100, "RECALLED": 0, "H1": 40}
            products = {
                p.id: (p.stock, p.stock_by_batch)
                for p in db.session.scalars(sa.select(Product).where(Product.id.in_(ids)))
            }
            assert [products[i] for i in ids] == [(130, True), (40, True), (20, False)]
        finally:
            db.session.remove()
            db.engine.dispose()
