"""The storefront's content version: one token that changes with every commit that
changes what a public page shows.

Cached pages and catalogue-wide figures are stored under the version they were made
from, so nothing is ever deleted to invalidate them: a commit that changes a product,
its stock (as pages show it), a photo, a category, a cooperative or a fair writes a
new token in the same transaction, and the next request on any server reads the new
token and finds nothing cached under it. Old entries simply age out of the cache.

Time matters too: a fair price starts and ends at fixed instants without any commit.
Features register the instants at which prices change (`register_time_boundaries`);
the version a request uses is the token plus how many of those instants have passed.

What counts as a change is declared by the features that own the models (`watch`,
wired in marketplace/storefront.py); changes made with Core statements, which the
session cannot see, are reported with `mark_changed` or `stock_changed`.
"""

from __future__ import annotations

import bisect
import functools
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Mapped, Session, mapped_column

from marketplace.core.models import utcnow
from marketplace.extensions import db

STOREFRONT = "storefront"
CHANGED = "storefront_changed"
# Stock is shown as "out of stock", "only N left" (N up to LOW_STOCK) or "in stock":
# a sale that keeps a product in the same band changes no page but its own.
LOW_STOCK = 5


class ContentVersion(db.Model):
    __tablename__ = "content_versions"

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    token: Mapped[str] = mapped_column(sa.String(32))
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime)


@dataclass(frozen=True)
class Version:
    key: str  # token and time epoch: what cache keys are made of
    changed_at: datetime | None  # last change (a commit or a fair price starting or ending)


# model class -> attribute names whose changes do not show on any public page
_watched: dict[type, frozenset[str]] = {}
_stock_attributes: dict[type, str] = {}
_time_boundaries: list[Callable[[], Iterable[datetime]]] = []


def watch(model: type, *, ignore: Iterable[str] = (), stock: str | None = None) -> None:
    """Changes to rows of `model` (inserted, deleted, or any attribute but `ignore`d
    ones updated) change the storefront. `stock`: an attribute that changes the pages
    only when it moves from one band to another (out, each of 1..LOW_STOCK, plenty)."""
    _watched[model] = frozenset(ignore)
    if stock:
        _stock_attributes[model] = stock


def register_time_boundaries(instants: Callable[[], Iterable[datetime]]) -> None:
    """`instants()` gives the moments (naive UTC) at which public pages change by
    themselves, such as fair prices starting and ending; read once per version."""
    if instants not in _time_boundaries:
        _time_boundaries.append(instants)


def init_app(app) -> None:
    if not event.contains(db.session, "after_flush", _record_flush):
        event.listen(db.session, "after_flush", _record_flush)
        event.listen(db.session, "do_orm_execute", _record_bulk)
        event.listen(db.session, "before_commit", _write_new_token)
        event.listen(db.session, "after_soft_rollback", _forget)


# --- noticing changes ------------------------------------------------------------------------


def stock_band(stock: int) -> int:
    return max(0, min(stock, LOW_STOCK + 1))


def mark_changed(session: Session) -> None:
    """This transaction changes the storefront (for writes the session cannot see)."""
    session.info[CHANGED] = True


def stock_changed(session: Session, before: int, after: int) -> None:
    """A Core statement moved a product's stock from `before` to `after`."""
    if stock_band(before) != stock_band(after):
        mark_changed(session)


def _shows_change(obj) -> bool:
    ignored = _watched[type(obj)]
    state = inspect(obj)
    stock = _stock_attributes.get(type(obj))
    for attr in state.mapper.column_attrs:
        if attr.key in ignored:
            continue
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        if attr.key == stock and history.deleted and history.added:
            before, after = history.deleted[0], history.added[0]
            if before is not None and after is not None and stock_band(before) == stock_band(after):
                continue
        return True
    return False


def _record_flush(session: Session, _context) -> None:
    if session.info.get(CHANGED) or not _watched:
        return
    if any(type(obj) in _watched for obj in (*session.new, *session.deleted)):
        mark_changed(session)
        return
    if any(type(obj) in _watched and _shows_change(obj) for obj in session.dirty):
        mark_changed(session)


def _record_bulk(state) -> None:
    """ORM bulk UPDATE/DELETE (`session.execute(sa.update(Product)...)`) skip the flush."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None:
        if state.bind_mapper.class_ in _watched:
            mark_changed(state.session)


def _write_new_token(session: Session) -> None:
    """before_commit: runs before the commit's own flush, so flush first to see everything."""
    session.flush()
    if not session.info.pop(CHANGED, False):
        return
    table = ContentVersion.__table__
    values = {"name": STOREFRONT, "token": secrets.token_hex(8), "changed_at": utcnow()}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(table).values(values)
    connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.name],
            set_={"token": statement.excluded.token, "changed_at": statement.excluded.changed_at},
        )
    )
    if has_app_context():  # later reads in this context see the new version
        g.pop("_content_version", None)
        g.pop("_figures", None)


def _forget(session: Session, previous_transaction) -> None:
    if not session.in_transaction():  # the outermost transaction rolled back
        session.info.pop(CHANGED, None)


# --- reading the version ---------------------------------------------------------------------


def current() -> Version:
    """The storefront's version for this request (read once per request: one statement)."""
    version = g.get("_content_version")
    if version is None:
        from marketplace.core import reads

        row = reads.execute(_version_statement()).first()
        token, changed_at = row if row else ("0", None)
        instants = _instants(token)
        now = utcnow()
        epoch = bisect.bisect_right(instants, now)
        if epoch and (changed_at is None or instants[epoch - 1] > changed_at):
            changed_at = instants[epoch - 1]
        version = g._content_version = Version(f"{token}.{epoch}", changed_at)
    return version


@functools.cache
def _version_statement() -> sa.Select:
    table = ContentVersion.__table__
    return sa.select(table.c.token, table.c.changed_at).where(table.c.name == STOREFRONT)


def _instants(token: str) -> list[datetime]:
    from marketplace.core import cache

    key = f"instants:{token}"
    found = cache.get(key)
    if found is None:
        found = sorted({moment for source in _time_boundaries for moment in source() if moment is not None})
        cache.set(key, found)
    return found


def figure(name: str, compute: Callable[[], object]):
    """A catalogue-wide figure (counts per category, the home page's choices…) computed
    once per storefront version and shared by every request and, with Redis, every server."""
    from marketplace.core import cache

    memo = g.setdefault("_figures", {})
    if name in memo:
        return memo[name]
    key = f"figure:{current().key}:{name}"
    found = cache.get(key)
    if found is None:
        found = (compute(),)  # in a tuple: a figure may be None
        cache.set(key, found)
    memo[name] = found[0]
    return found[0]
