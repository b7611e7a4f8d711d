"""Several processes on one database and one index directory, as gunicorn workers are."""

from __future__ import annotations

import logging
import multiprocessing
import os

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.catalog.queries import public_products
from marketplace.extensions import db
from marketplace.search.engine import search_products
from marketplace.search.index import get_index
from marketplace.search.schema import META_ID
from tests import factories
from tests.conftest import BASE_CONFIG

ROUNDS = 4


def _app(config):
    from marketplace import create_app

    return create_app({**BASE_CONFIG, **config})


class _Problems(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []

    def emit(self, record):
        self.records.append(record)


def _writer(config, worker, product_ids, cooperative_id, category_id):
    """Rename its products, flip their stock and add one product per round, committing each time."""
    problems = _Problems()
    logging.getLogger("marketplace.search").addHandler(problems)
    app = _app(config)
    with app.app_context():
        for round_ in range(ROUNDS):
            for product_id in product_ids:
                product = db.session.get(Product, product_id)
                product.name = f"Hàng {worker} vòng {round_}"
                product.stock = round_ % 2
                db.session.commit()
            db.session.add(
                Product(
                    cooperative_id=cooperative_id,
                    category_id=category_id,
                    name=f"Mới {worker} {round_}",
                    slug=f"moi-{worker}-{round_}",
                    sku=f"M-{worker}-{round_}",
                    unit="kg",
                    price_vnd=1000,
                    stock=1,
                    status="active",
                )
            )
            db.session.commit()
    if problems.records:
        raise SystemExit("; ".join(r.getMessage() for r in problems.records))


def _die_after_commit(config, product_id):
    """Commit a rename, then die before the index is written (as if killed)."""
    from marketplace.search.index import SearchIndex

    SearchIndex.apply_changes = lambda *args, **kwargs: os._exit(0)
    app = _app(config)
    with app.app_context():
        db.session.get(Product, product_id).name = "Mận hậu Mộc Châu"
        db.session.commit()
    raise SystemExit("still alive after the commit")


def _config(app):
    return {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_FOLDER", "SEARCH_INDEX_DIR")}


def _run(target, *args):
    process = multiprocessing.get_context("spawn").Process(target=target, args=args)
    process.start()
    return process


def test_concurrent_writers_lose_nothing(app):
    cooperative = factories.cooperative()
    category = factories.category()
    products = [factories.product(cooperative, category) for _ in range(6)]
    factories.commit()
    search_products("")
    config = _config(app)
    workers = [
        _run(_writer, config, n, [p.id for p in products[n * 2 : n * 2 + 2]], cooperative.id, category.id)
        for n in range(3)
    ]
    for process in workers:
        process.join(120)
    assert [p.exitcode for p in workers] == [0, 0, 0]

    # Every worker applied its own changes: nothing is left for a reader to catch up on.
    assert get_index().status()["pending_changes"] == 0
    reading = get_index().reading()
    indexed = {int(d["id"]): (d["name"], d["in_stock"]) for d in reading.searcher.documents() if d["id"] != META_ID}
    db.session.expire_all()
    public = {p.id: (p.name, "1" if p.stock else "0") for p in db.session.scalars(public_products())}
    assert indexed == public
    assert len(public) == 6 + 3 * ROUNDS
    assert search_products("hang vong 3", per_page=50).total == 6


def test_process_killed_between_commit_and_index_write(app):
    product = factories.product(name="Mận tam hoa")
    factories.commit()
    assert search_products("man tam hoa").product_ids == [product.id]
    process = _run(_die_after_commit, _config(app), product.id)
    process.join(60)
    assert process.exitcode == 0
    db.session.expire_all()
    assert db.session.scalar(sa.select(Product.name).where(Product.id == product.id)) == "Mận hậu Mộc Châu"
    assert get_index().status()["pending_changes"] == 1
    assert search_products("man hau moc chau").product_ids == [product.id]
