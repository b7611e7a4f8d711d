"""Slowing down guessing and bounding costly actions: counters that hold under parallel requests.

`take(limit, *keys, amount=1)` counts `amount` against each key and says whether that stays
within the limit, in one atomic step: of 30 requests arriving at once against a limit of 5,
exactly 5 are let through, whatever the number of gunicorn workers and servers. A refused
take counts nothing, so a refused large amount (ten uploads) leaves room for a smaller one.

Windows are fixed and start at a key's first counted attempt: at most `limit` within
`window` minutes of the first one; once refused, the key is free again `window` minutes
after that first attempt (`Taken.retry_after` says when), however often it is tried meanwhile.

Where the counts live: Redis when REDIS_URL is set (one Lua script checks and counts every
key at once; the key expires with its window), else the database table `throttle_counters`
(one row per action and key; `INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`, which
PostgreSQL and SQLite from 3.35 run atomically). If Redis does not answer, the database counts.
Counting is committed at once, in a short transaction of its own, so a count stands whatever
the request answers (a refusal rolls the request back) and no row stays locked while the
request works. Expired rows are reused, and pruned when a key starts a new window.
"""

from __future__ import annotations

import hashlib
import logging
import math
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db

logger = logging.getLogger(__name__)

KEY_LENGTH = 300
PRUNE_BATCH = 500


class ThrottleCounter(db.Model):
    """How many attempts of `action` were counted against `key` since `window_start`."""

    __tablename__ = "throttle_counters"

    action: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(KEY_LENGTH), primary_key=True)  # "ip:203.0.113.5", "email:…"
    window_start: Mapped[datetime] = mapped_column(index=True)
    count: Mapped[int]


class TooManyAttempts(Refused):
    """Refused until the window has passed (views answer 429 with the message)."""


@dataclass(frozen=True)
class Limit:
    """At most `config[max_setting]` of `action` per key within `config[window_setting]` minutes
    of the key's first counted one. A maximum of 0 (or below) turns the limit off."""

    action: str
    max_setting: str
    window_setting: str

    @property
    def most(self) -> int:
        return current_app.config[self.max_setting]

    @property
    def minutes(self) -> int:
        return current_app.config[self.window_setting]

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=max(self.minutes, 0))


@dataclass(frozen=True)
class Taken:
    """The answer of `take`: true when allowed; when refused, the seconds until it may be tried again."""

    allowed: bool
    retry_after: int = 0

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def wait_minutes(self) -> int:
        """The wait to show a person: whole minutes, at least 1."""
        return max(1, math.ceil(self.retry_after / 60))


def take(limit: Limit, *keys: str, amount: int = 1) -> Taken:
    """Count `amount` against every key if each stays within the limit, atomically; count nothing
    and refuse otherwise (also when `amount` alone is more than the limit)."""
    most = limit.most
    if most <= 0 or amount <= 0 or not keys:
        return Taken(True)
    if amount > most:
        return Taken(False, int(limit.window.total_seconds()))
    return _count(limit, tuple(sorted({stored_key(k) for k in keys})), amount, most)


def _count(limit: Limit, keys: tuple[str, ...], amount: int, most: int) -> Taken:
    """`keys` sorted: every transaction locks rows in one order, so none waits for another in a circle."""
    if _redis() is not None:
        try:
            return _redis_take(limit, keys, amount, most)
        except Exception as error:  # noqa: BLE001 - Redis down: the database counts
            _redis_failed(error)
    return _db_take(limit, keys, amount, most)


def give_back(limit: Limit, *keys: str, amount: int = 1) -> None:
    """Uncount `amount` taken from each key in its current window (an attempt that turned out
    not to be one: the right password, an order found)."""
    if limit.most <= 0 or amount <= 0 or not keys:
        return
    keys = tuple(sorted({stored_key(k) for k in keys}))
    if _redis() is not None:
        try:
            _redis_script(_GIVE_BACK)(keys=[_redis_key(limit, k) for k in keys], args=[amount])
            return
        except Exception as error:  # noqa: BLE001
            _redis_failed(error)
    table = ThrottleCounter.__table__
    with _counting() as connection:
        connection.execute(
            table.update()
            .where(table.c.action == limit.action, table.c.key.in_(keys))
            .values(count=sa.case((table.c.count > amount, table.c.count - amount), else_=0))
        )


def forget(limit: Limit, *keys: str) -> None:
    """Start these keys afresh (a successful sign-in forgets the failed ones before it)."""
    if not keys:
        return
    keys = tuple(sorted({stored_key(k) for k in keys}))
    if _redis() is not None:
        try:
            _redis().delete(*[_redis_key(limit, k) for k in keys])
            return
        except Exception as error:  # noqa: BLE001
            _redis_failed(error)
    table = ThrottleCounter.__table__
    with _counting() as connection:
        connection.execute(table.delete().where(table.c.action == limit.action, table.c.key.in_(keys)))


def stored_key(key: str) -> str:
    """The key as stored: itself when short and printable, else its SHA-256 (a NUL or a lone
    surrogate cannot be stored in PostgreSQL, and long keys would be cut)."""
    if len(key) <= 200 and key.isprintable():
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def client_key() -> str:
    """The client's address (the proxy's view of it under TRUSTED_PROXIES), as a key."""
    from flask import request

    return f"ip:{request.remote_addr or '-'}"


# --- the database ----------------------------------------------------------------------------


@contextmanager
def _counting():
    """A connection whose work is committed at once and apart from the request's transaction.
    On SQLite, while the request's own transaction holds the write lock, a second connection
    would wait for it to end: then the count joins the request's transaction (a savepoint)."""
    session = db.session()
    if db.engine.dialect.name == "sqlite" and session.in_transaction():
        raw = session.connection().connection.dbapi_connection
        if getattr(raw, "in_transaction", False):
            with session.begin_nested():
                yield session.connection()
            return
    with db.engine.begin() as connection:
        yield connection


def _insert(dialect: str):
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


class _Refused(Exception):
    def __init__(self, retry_after: int):
        self.retry_after = retry_after


def _db_take(limit: Limit, keys: tuple[str, ...], amount: int, most: int) -> Taken:
    table = ThrottleCounter.__table__
    now = utcnow()
    cutoff = now - limit.window
    fresh = False
    try:
        with _counting() as connection:
            insert = _insert(connection.dialect.name)
            for key in keys:
                statement = insert(table).values(action=limit.action, key=key, window_start=now, count=amount)
                expired = table.c.window_start <= cutoff
                statement = statement.on_conflict_do_update(
                    index_elements=[table.c.action, table.c.key],
                    set_={
                        "count": sa.case((expired, statement.excluded.count), else_=table.c.count + amount),
                        "window_start": sa.case((expired, statement.excluded.window_start), else_=table.c.window_start),
                    },
                    where=sa.or_(expired, table.c.count + amount <= most),
                ).returning(table.c.count)
                counted = connection.execute(statement).scalar()
                if counted is None:  # within its window and full: undo the keys counted before it
                    started = connection.scalar(
                        sa.select(table.c.window_start).where(table.c.action == limit.action, table.c.key == key)
                    )
                    raise _Refused(_seconds_until(started + limit.window, now))
                fresh = fresh or counted == amount
    except _Refused as refused:
        return Taken(False, refused.retry_after)
    if fresh:
        _prune(limit, cutoff)
    return Taken(True)


def _prune(limit: Limit, cutoff: datetime) -> None:
    """Drop some expired rows of this action; rows another transaction holds are left for later."""
    table = ThrottleCounter.__table__
    expired = (
        sa.select(table.c.action, table.c.key)
        .where(table.c.action == limit.action, table.c.window_start <= cutoff)
        .limit(PRUNE_BATCH)
    )
    with _counting() as connection:
        if connection.dialect.name == "postgresql":
            expired = expired.with_for_update(skip_locked=True)
        connection.execute(
            table.delete().where(sa.tuple_(table.c.action, table.c.key).in_(expired), table.c.window_start <= cutoff)
        )


def _seconds_until(moment: datetime | None, now: datetime) -> int:
    if moment is None:
        return 1
    return max(1, math.ceil((moment - now).total_seconds()))


# --- Redis -----------------------------------------------------------------------------------

# KEYS: the counters; ARGV: amount, most, window in ms. All keys or none.
_TAKE = """
local amount = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  if tonumber(redis.call('GET', key) or '0') + amount > tonumber(ARGV[2]) then
    return {0, redis.call('PTTL', key)}
  end
end
for _, key in ipairs(KEYS) do
  redis.call('INCRBY', key, amount)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, ARGV[3]) end
end
return {1, 0}
"""

_GIVE_BACK = """
for _, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count > 0 then redis.call('DECRBY', key, math.min(count, tonumber(ARGV[1]))) end
end
return 0
"""

_WARN_EVERY = 60.0


def _redis():
    """This app's Redis client for counting, or None without REDIS_URL."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    state = current_app.extensions.setdefault("marketplace_throttle", {})
    if "client" not in state:
        import redis

        state["client"] = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        state["scripts"] = {}
        state["warned_at"] = 0.0
    return state["client"]


def _redis_script(source: str):
    state = current_app.extensions["marketplace_throttle"]
    if source not in state["scripts"]:
        state["scripts"][source] = state["client"].register_script(source)
    return state["scripts"][source]


def _redis_key(limit: Limit, key: str) -> str:
    # The braces put every key of one action in one Redis Cluster slot (a script may use them all).
    prefix = current_app.config.get("CACHE_KEY_PREFIX") or "marketplace"
    return f"{prefix}:throttle:{{{limit.action}}}:{key}"


def _redis_take(limit: Limit, keys: tuple[str, ...], amount: int, most: int) -> Taken:
    window_ms = max(1, int(limit.window.total_seconds() * 1000))
    allowed, ttl = _redis_script(_TAKE)(keys=[_redis_key(limit, k) for k in keys], args=[amount, most, window_ms])
    if allowed:
        return Taken(True)
    return Taken(False, max(1, math.ceil(int(ttl) / 1000)) if int(ttl) > 0 else 1)


def _redis_failed(error: Exception) -> None:
    import time

    state = current_app.extensions["marketplace_throttle"]
    if time.monotonic() - state["warned_at"] > _WARN_EVERY:
        state["warned_at"] = time.monotonic()
        logger.warning("Redis did not answer for counting attempts (%s); the database counts", error)
