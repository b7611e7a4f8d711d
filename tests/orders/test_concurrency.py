"""Many buyers of the last few units at the same moment: exactly the stock is sold.

Each buyer places its order through services.place_order in its own session and
commits, as a request does: threads of one process (each with its own app context)
and several processes (spawned, each with its own app on the test database, as
gunicorn workers are). On SQLite the writers queue on the busy timeout the app sets
(create_app: 30 s) instead of failing with "database is locked"; any error other
than OutOfStock fails the test with its message.
"""

from __future__ import annotations

import multiprocessing
import threading
import traceback

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderItem
from marketplace.orders.services import OutOfStock, place_order
from tests import factories
from tests.conftest import BASE_CONFIG

STOCK = 5


def buy(app, product_id: int, start: threading.Barrier, results: list) -> None:
    """One buyer: one unit, one transaction. Appends "sold", "out" or the error's text."""
    with app.app_context():
        start.wait(30)
        try:
            place_order([(product_id, 1)], factories.checkout())
            db.session.commit()
            results.append("sold")
        except OutOfStock as refused:
            db.session.rollback()
            results.append("out" if refused.remaining == 0 else f"out with {refused.remaining} left")
        except Exception:  # noqa: BLE001 - any other error fails the test with its text
            db.session.rollback()
            results.append(traceback.format_exc(limit=3))
        finally:
            db.session.remove()


def buy_in_threads(app, product_id: int, buyers: int) -> list:
    start = threading.Barrier(buyers)
    results: list = []
    threads = [threading.Thread(target=buy, args=(app, product_id, start, results)) for _ in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return results


def _process_buyers(config, product_id, buyers, all_started, queue):
    """A worker process: its own app; waits for every process to be ready, then buys."""
    from marketplace import create_app

    app = create_app({**BASE_CONFIG, **config})
    with app.app_context():
        db.session.execute(sa.select(1))  # connect (and set SQLite's pragmas) before the race
        db.session.remove()
    all_started.wait(120)
    queue.put(buy_in_threads(app, product_id, buyers))


class LowestStock(threading.Thread):
    """Reads the product's stock over and over on its own connection while the buyers run."""

    def __init__(self, app, product_id):
        super().__init__()
        self.app, self.product_id = app, product_id
        self.seen: set[int] = set()
        self.done = threading.Event()

    def run(self):
        with self.app.app_context():
            query = sa.select(Product.stock).where(Product.id == self.product_id)
            while not self.done.is_set():
                self.seen.add(db.session.scalar(query))
                db.session.rollback()
                self.done.wait(0.005)
            db.session.remove()


def assert_exactly_the_stock_was_sold(product, results):
    errors = [r for r in results if r not in ("sold", "out")]
    assert not errors, "\n".join(errors)
    assert results.count("sold") == STOCK
    db.session.expire_all()
    assert db.session.scalar(sa.select(Product.stock).where(Product.id == product.id)) == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == STOCK
    assert db.session.scalar(sa.select(sa.func.sum(OrderItem.quantity))) == STOCK


def test_threads_buying_the_last_units(app):
    product = factories.product(stock=STOCK)
    factories.commit()
    watcher = LowestStock(app, product.id)
    watcher.start()
    try:
        results = buy_in_threads(app, product.id, STOCK * 3)
    finally:
        watcher.done.set()
        watcher.join(10)
    assert len(results) == STOCK * 3
    assert results.count("out") == STOCK * 2
    assert_exactly_the_stock_was_sold(product, results)
    assert min(watcher.seen) >= 0


def test_processes_buying_the_last_units(app):
    product = factories.product(stock=STOCK)
    factories.commit()
    config = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "UPLOAD_FOLDER", "SEARCH_INDEX_DIR")}
    spawn = multiprocessing.get_context("spawn")
    processes, per_process = 3, 4
    all_started = spawn.Barrier(processes)
    queue = spawn.Queue()
    workers = [
        spawn.Process(target=_process_buyers, args=(config, product.id, per_process, all_started, queue))
        for _ in range(processes)
    ]
    for process in workers:
        process.start()
    results = []
    for _ in workers:
        results += queue.get(timeout=180)
    for process in workers:
        process.join(60)
    assert [p.exitcode for p in workers] == [0] * processes
    assert len(results) == processes * per_process
    assert_exactly_the_stock_was_sold(product, results)
