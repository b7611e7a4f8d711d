"""Recording product changes in the change log, and applying them after commit.

One session listener sees every flush of the application's session: products
inserted, updated or deleted, and cooperatives or categories whose searchable
fields changed (each stands for all its products). It writes `search_changes`
rows on the flush's own connection, so they commit or roll back with the change.
After the commit, the index applies the log; if that fails or the process dies
first, the rows stay and the next search, writer or `marketplace search sync`
applies them. Writes the listener cannot see are logged with `log_products`: the
catalogue's bulk import announces them (catalog.signals.products_written), the orders'
stock updates call it. Nothing else in the code base needs to know about search.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event, inspect

from marketplace.catalog import signals as catalog_signals
from marketplace.catalog.models import Category, Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core import content_version
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.search.models import SearchChange

logger = logging.getLogger(__name__)

PENDING = "search_changes_pending"
# Changes to these make a product appear, disappear or read differently in search.
COOPERATIVE_FIELDS = ("name", "slug", "status", "province_code", "is_youth")
CATEGORY_FIELDS = ("name", "slug", "parent_id")


def init_app(app) -> None:
    if not event.contains(db.session, "after_flush", record_changes):
        event.listen(db.session, "after_flush", record_changes)
        event.listen(db.session, "do_orm_execute", record_bulk_changes)
        event.listen(db.session, "after_commit", apply_after_commit)
        event.listen(db.session, "after_rollback", forget_pending)
        catalog_signals.products_written.connect(_log_written)


def _changed(obj, names) -> bool:
    state = inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


def record_changes(session, _flush_context) -> None:
    """after_flush: new/dirty/deleted still describe what this flush wrote."""
    product_ids = set()
    cooperative_ids = set()
    category_ids = set()
    for obj in session.new:
        if isinstance(obj, Product):
            product_ids.add(obj.id)
    for obj in session.dirty:
        if isinstance(obj, Product) and session.is_modified(obj, include_collections=False):
            product_ids.add(obj.id)
        elif isinstance(obj, Cooperative) and _changed(obj, COOPERATIVE_FIELDS):
            cooperative_ids.add(obj.id)
        elif isinstance(obj, Category) and _changed(obj, CATEGORY_FIELDS):
            category_ids.add(obj.id)
    for obj in session.deleted:
        if isinstance(obj, Product):
            product_ids.add(obj.id)
    if not (product_ids or cooperative_ids or category_ids):
        return
    connection = session.connection()
    now = utcnow()
    table = SearchChange.__table__
    if product_ids:
        connection.execute(table.insert(), [{"product_id": pid, "created_at": now} for pid in sorted(product_ids)])
    owners = []
    if cooperative_ids:
        owners.append(Product.cooperative_id.in_(cooperative_ids))
    if category_ids:
        children = sa.select(Category.id).where(Category.parent_id.in_(category_ids))
        owners.append(Product.category_id.in_(category_ids))
        owners.append(Product.category_id.in_(children))
    if owners:
        products = sa.select(Product.id, sa.literal(now, SearchChange.created_at.type)).where(sa.or_(*owners))
        connection.execute(table.insert().from_select(["product_id", "created_at"], products))
    session.info[PENDING] = True


def record_bulk_changes(state) -> None:
    """do_orm_execute: `session.execute(sa.update(Product).where(...).values(stock=...))` and
    bulk deletes skip the flush, so the products they will touch are logged first (for
    a cooperative or a category: all its products). Statements on bare tables
    (`Product.__table__`) are not seen: use the model classes."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    entity = state.bind_mapper.class_
    where = state.statement.whereclause
    if entity is Product:
        products = sa.select(Product.id)
        if where is not None:
            products = products.where(where)
    elif entity in (Cooperative, Category):
        owners = sa.select(entity.id)
        if where is not None:
            owners = owners.where(where)
        if entity is Cooperative:
            products = sa.select(Product.id).where(Product.cooperative_id.in_(owners))
        else:
            children = sa.select(Category.id).where(Category.parent_id.in_(owners))
            products = sa.select(Product.id).where(
                sa.or_(Product.category_id.in_(owners), Product.category_id.in_(children))
            )
    else:
        return
    rows = products.add_columns(sa.literal(utcnow(), SearchChange.created_at.type))
    state.session.connection().execute(SearchChange.__table__.insert().from_select(["product_id", "created_at"], rows))
    state.session.info[PENDING] = True


def log_products(session, product_ids) -> None:
    """Log products changed by statements the listeners do not see (Core statements on
    `Product.__table__`, such as the orders' conditional stock updates)."""
    product_ids = sorted(set(product_ids))
    if not product_ids:
        return
    content_version.mark_changed(session)  # what search sees change, the storefront shows
    now = utcnow()
    session.connection().execute(
        SearchChange.__table__.insert(), [{"product_id": pid, "created_at": now} for pid in product_ids]
    )
    session.info[PENDING] = True


def _log_written(session, product_ids=()) -> None:
    """catalog.signals.products_written: the CSV import wrote these products in bulk."""
    log_products(session, product_ids)


def apply_after_commit(session) -> None:
    """after_commit: bring this process's index up to date with what was just committed.

    Runs on fresh connections (never the committing session) and never raises: the
    commit has happened, and the log keeps the work for the next attempt.
    """
    if not session.info.pop(PENDING, False):
        return
    try:
        app = current_app._get_current_object()
    except RuntimeError:
        return
    if not app.config["SEARCH_APPLY_ON_COMMIT"]:
        return
    from marketplace.search.index import get_index

    try:
        get_index(app).catch_up()
    except Exception:  # search must never break the request that committed
        logger.warning("Search index not updated after commit; the next search will catch up", exc_info=True)


def forget_pending(session) -> None:
    session.info.pop(PENDING, None)
