"""Stock by batch: a product with batches (Product.stock_by_batch) has as stock the sum of its
open batches' stock, and every unit sold is taken from a batch, first-expiring first.

The never-oversell guarantee stays where it was: orders and on-site sales take the product's
counter with one conditional UPDATE (orders.services.take_stock). That UPDATE also locks the
product's row until the transaction ends (PostgreSQL; SQLite has one writer at a time), so
the batches of one product are only ever changed by one transaction at a time, always after
its product row: taking from them here cannot race another order, and lock order is always
product then batch. Each batch is still taken with a conditional UPDATE (`stock >= n`), so a
broken invariant refuses the sale instead of driving a batch below zero.

Hand changes (a batch's stock edited, a batch added or deleted, a recall) first write the
product's row (`stock = stock + delta`), taking the same lock, then the batch.

Registered with the catalogue's hook (catalog.lots) by init_app; functions never commit.
"""

from __future__ import annotations

import logging
import sys
from functools import cache

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.catalog import lots as catalog_lots
from marketplace.catalog.models import Product
from marketplace.core import content_version
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders.services import OutOfStock
from marketplace.search.changes import log_products
from marketplace.traceability.models import Batch, BatchAllocation, BatchEvent, BatchEventKind

logger = logging.getLogger(__name__)


class BatchesShort(OutOfStock):
    """The product's counter had the units but its open batches did not (the two disagree):
    the sale is refused like any other out-of-stock one and the transaction rolled back."""


def first_expiring_order():
    """The order batches are sold in: the earliest best-before first (no best-before last),
    then the oldest production, then the first recorded."""
    return (Batch.best_before.asc().nulls_last(), Batch.produced_on.asc(), Batch.id.asc())


def _open_batches_with_stock(product_id: int) -> list[tuple[int, int]]:
    return list(
        db.session.execute(
            sa.select(Batch.id, Batch.stock)
            .where(Batch.product_id == product_id, Batch.recalled_at.is_(None), Batch.stock > 0)
            .order_by(*first_expiring_order())
        )
    )


@cache
def _take_from_first_statement():
    """Take :units from the product's first-expiring batch that has stock, if it has enough."""
    batches = Batch.__table__
    first = (
        sa.select(batches.c.id)
        .where(
            batches.c.product_id == sa.bindparam("of_product"),
            batches.c.recalled_at.is_(None),
            batches.c.stock > 0,
        )
        .order_by(batches.c.best_before.asc().nulls_last(), batches.c.produced_on.asc(), batches.c.id.asc())
        .limit(1)
        .scalar_subquery()
    )
    return (
        sa.update(batches)
        .where(batches.c.id == first, batches.c.stock >= sa.bindparam("units"))
        .values(stock=batches.c.stock - sa.bindparam("units"))
        .returning(batches.c.id)
    )


def _take_from_batches(product_id: int, quantity: int) -> list[tuple[int, int]]:
    """Take `quantity` units from the product's open batches, first-expiring first: [(batch id,
    units)]. The caller holds the product's row (see the module's docstring)."""
    batches = Batch.__table__
    # Most often the first-expiring batch holds enough: one statement takes it.
    first = db.session.execute(
        _take_from_first_statement(), {"of_product": product_id, "units": quantity}
    ).scalar_one_or_none()
    if first is not None:
        _expire_batches([first])
        return [(first, quantity)]
    taken: list[tuple[int, int]] = []
    need = quantity
    for batch_id, stock in _open_batches_with_stock(product_id):
        if need == 0:
            break
        units = min(need, stock)
        done = db.session.execute(
            sa.update(batches)
            .where(batches.c.id == batch_id, batches.c.stock >= units, batches.c.recalled_at.is_(None))
            .values(stock=batches.c.stock - units)
            .returning(batches.c.id)
        ).scalar_one_or_none()
        if done is None:  # cannot happen while the product's row is held; refuse rather than guess
            break
        taken.append((batch_id, units))
        need -= units
    if need:
        product = db.session.get(Product, product_id)
        logger.error("Product %s: its batches hold less than its stock (%d short)", product_id, need)
        raise BatchesShort(product, quantity - need)
    _expire_batches([batch_id for batch_id, _units in taken])
    return taken


def _expire_batches(batch_ids) -> None:
    for batch_id in batch_ids:
        batch = db.session.identity_map.get(db.session.identity_key(Batch, batch_id))
        if batch is not None:
            db.session.expire(batch, ["stock"])


def take(product_id: int, quantity: int, *, order_item_id=None, on_site_sale_id=None) -> None:
    """Record which batches the `quantity` units just taken from the product's counter come from."""
    now = utcnow()
    db.session.execute(  # a Core INSERT: an order's hot path, and nothing reads these objects back
        _allocation_insert(),
        [
            {
                "batch_id": batch_id,
                "order_item_id": order_item_id,
                "on_site_sale_id": on_site_sale_id,
                "quantity": units,
                "returned": 0,
                "created_at": now,
            }
            for batch_id, units in _take_from_batches(product_id, quantity)
        ],
    )


@cache
def _allocation_insert():
    return sa.insert(BatchAllocation.__table__)


def hold_product(product_id: int) -> None:
    """Write the product's row (changing nothing) so this transaction holds it, as an order's
    conditional UPDATE would: its batches are then ours until the end of the transaction."""
    products = Product.__table__
    db.session.execute(sa.update(products).where(products.c.id == product_id).values(stock=products.c.stock))


def give_back(product_id: int, quantity: int, *, order_item_id=None, on_site_sale_id=None) -> int:
    """An order item's part was cancelled (or a sale voided): its units go back to the batches
    they came from, except a recalled batch's, which stay off sale. Returns the units back on
    sale. Units sold before the product had batches have no batch to go back to: none."""
    hold_product(product_id)
    allocations = db.session.scalars(
        sa.select(BatchAllocation)
        .where(
            BatchAllocation.order_item_id == order_item_id
            if order_item_id is not None
            else BatchAllocation.on_site_sale_id == on_site_sale_id,
            BatchAllocation.returned < BatchAllocation.quantity,
        )
        .order_by(BatchAllocation.id)
    ).all()
    back_on_sale = 0
    for allocation in allocations:
        units = allocation.quantity - allocation.returned
        allocation.returned = allocation.quantity
        batch = db.session.get(Batch, allocation.batch_id, populate_existing=True)
        if batch.is_recalled:
            continue
        # Never above the batch's quantity (a manager may have raised its stock by hand since).
        units = min(units, batch.quantity - batch.stock)
        batch.stock += units
        back_on_sale += units
    if not allocations and quantity:
        logger.info("Product %s: %d units given back had no batch; left off sale", product_id, quantity)
    db.session.flush()
    return back_on_sale


def _move_counter(product_id: int, delta: int) -> int:
    """The product's stock counter by `delta` (the caller holds the row); returns the new stock."""
    products = Product.__table__
    now_stock = db.session.execute(
        sa.update(products)
        .where(products.c.id == product_id, products.c.stock + delta >= 0)
        .values(stock=products.c.stock + delta)
        .returning(products.c.stock)
    ).scalar_one_or_none()
    if now_stock is None:  # the batches held more than the counter: never sell what is not there
        raise Refused(_("The stock changed meanwhile: reload the page and try again."), field="stock")
    content_version.stock_changed(db.session, now_stock - delta, now_stock)
    if (now_stock == 0) != (now_stock - delta == 0):
        log_products(db.session, [product_id])  # in or out of stock in search
    product = db.session.identity_map.get(db.session.identity_key(Product, product_id))
    if product is not None:
        db.session.expire(product, ["stock", "stock_by_batch"])
    return now_stock


def _event(batch_id: int, kind: BatchEventKind, detail: str, quantity: int | None, by) -> None:
    db.session.add(
        BatchEvent(batch_id=batch_id, kind=kind, detail=detail, quantity=quantity, by_id=getattr(by, "id", None))
    )


def check_batch_stock(value, quantity: int) -> int:
    """A batch's stock as a manager enters it: a whole number from 0 to the batch's quantity."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(_("Enter the units in stock as a whole number."), field="stock")
    if value < 0:
        raise Refused(_("The units in stock cannot be negative."), field="stock")
    if value > quantity:
        raise Refused(_("The units in stock cannot be more than the batch's quantity."), field="stock")
    return value


def batch_added(batch: Batch, by=None) -> None:
    """A new batch's stock joins the product's. The product's first batch starts stock by batch:
    the stock counted until then (not tied to any batch) is replaced by the batch's."""
    product_id = batch.product_id
    hold_product(product_id)
    product = db.session.get(Product, product_id, populate_existing=True)
    if not product.stock_by_batch:
        product.stock_by_batch = True
        db.session.flush()
        delta = batch.stock - product.stock
    else:
        delta = batch.stock
    if delta:
        _move_counter(product_id, delta)


def set_batch_stock(batch: Batch, stock, by=None) -> None:
    """A manager counts the batch's units on the shelf: its stock, and the product's with it."""
    if batch.is_recalled:
        raise Refused(_("A recalled batch's stock stays withdrawn."), field="stock")
    stock = check_batch_stock(stock, batch.quantity)
    hold_product(batch.product_id)
    db.session.refresh(batch, ["stock"])
    before = batch.stock
    if stock == before:
        return
    batch.stock = stock
    db.session.flush()
    _move_counter(batch.product_id, stock - before)
    _event(batch.id, BatchEventKind.STOCK_CHANGED, f"{before} → {stock}", stock - before, by)
    logger.info("Batch %s stock %d -> %d", batch.id, before, stock)


def batch_removing(batch: Batch) -> None:
    """Before a batch is deleted: refused once units of it were sold (buyers must stay
    traceable); its stock leaves the product's, and a product left without batches counts its
    stock freely again (from zero)."""
    sold = db.session.scalar(sa.select(sa.func.count()).where(BatchAllocation.batch_id == batch.id))
    if sold:
        raise Refused(_("Units of this batch were sold: it stays on record. Recall it or set its stock to 0."))
    hold_product(batch.product_id)
    db.session.refresh(batch, ["stock"])
    if batch.stock and not batch.is_recalled:
        _move_counter(batch.product_id, -batch.stock)
    others = db.session.scalar(
        sa.select(sa.func.count()).where(Batch.product_id == batch.product_id, Batch.id != batch.id)
    )
    if not others:
        product = db.session.get(Product, batch.product_id)
        product.stock_by_batch = False


def withdraw_stock(batch: Batch) -> int:
    """Take a (recalled) batch's remaining units off sale: its stock to 0 and the product's down
    by as much. Returns the units withdrawn."""
    hold_product(batch.product_id)
    db.session.refresh(batch, ["stock"])
    units = batch.stock
    if units:
        batch.stock = 0
        db.session.flush()
        _move_counter(batch.product_id, -units)
    return units


def set_stock(product: Product, stock: int, *, on_site_sale_id=None, sold: int = 0, by=None) -> None:
    """The product's stock becomes `stock` (a manager confirming a booth sale with what is
    physically left): the units gone are taken from its batches first-expiring first, the first
    `sold` of them recorded as the sale's, any more withdrawn (in the batches' history)."""
    hold_product(product.id)
    current = db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))
    if stock > current:
        raise Refused(
            _(
                "The open batches hold %(n)s units: to have more, record a batch or raise a batch's stock.",
                n=current,
            ),
            field="stock_left",
        )
    units = current - stock
    if not units:
        return
    _move_counter(product.id, -units)
    to_sale = min(sold, units)
    for batch_id, taken in _take_from_batches(product.id, units):
        for_sale = min(taken, to_sale)
        if for_sale and on_site_sale_id is not None:
            db.session.add(BatchAllocation(batch_id=batch_id, on_site_sale_id=on_site_sale_id, quantity=for_sale))
            to_sale -= for_sale
        if taken - for_sale:
            _event(
                batch_id,
                BatchEventKind.STOCK_CHANGED,
                _("withdrawn to match the stock counted"),
                -(taken - for_sale),
                by,
            )
    db.session.flush()


def adopt_counted_stock(product: Product) -> None:
    """Start stock by batch for a product whose stock was counted without batches (the demo's,
    loaded with its lots): its stock is spread over its open batches newest first (what is left
    on the shelf is most likely the latest lot), each up to its quantity; the product's stock
    becomes what they hold. The migration that introduced stock by batch does the same."""
    if product.stock_by_batch:
        return
    left = product.stock
    for batch in db.session.scalars(
        sa.select(Batch)
        .where(Batch.product_id == product.id, Batch.recalled_at.is_(None))
        .order_by(Batch.produced_on.desc(), Batch.id.desc())
    ):
        batch.stock = min(batch.quantity, left)
        left -= batch.stock
    product.stock_by_batch = True
    product.stock -= left
    db.session.flush()


def init_app(app) -> None:
    """Orders and on-site sales take and give back units through the catalogue's hook."""
    catalog_lots.register(sys.modules[__name__])
