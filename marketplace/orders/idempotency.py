"""Idempotency keys: a request sent again gets the first answer instead of a second order.

A retry after a lost answer (the connection broke after the order was committed) or a form
sent twice (a double click, back and send) carries the key of the first sending: the API's
`Idempotency-Key` header, the checkout form's hidden key. The key is stored under a unique
(scope, key) in the same transaction as the order it places, together with the answer:

- a key already stored (within IDEMPOTENCY_KEY_HOURS, 24) gets its stored answer back,
  nothing is placed;
- a second request with the key while the first is still running waits on that unique index
  (PostgreSQL; SQLite's writers queue on its lock) until the first ends: committed, the second
  answers with the first's answer; rolled back (refused, or its worker died), nothing of it
  stayed and the second goes ahead as the first;
- only answers below 400 are kept: a refused request placed nothing and may be sent again
  with the same key.

Scopes: "api.place_order" for the API (its orders are guest orders: no user to scope by, so
clients send random keys, such as UUIDs), "checkout" and "checkout:<user id>" for the web
checkout. `marketplace orders prune-keys` (cron, daily) deletes the expired ones.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.models import utcnow
from marketplace.core.transaction import attempt
from marketplace.extensions import db

MAX_KEY_LENGTH = 255
# Printable ASCII, not only spaces: the OpenAPI document's pattern for the header is the same.
KEY_PATTERN = r"^ *[!-~][ -~]*$"
_KEY = re.compile(KEY_PATTERN)


class IdempotencyKey(db.Model):
    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(sa.String(40))  # "api.place_order", "checkout", "checkout:42"
    key: Mapped[str] = mapped_column(sa.String(MAX_KEY_LENGTH))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    request_hash: Mapped[str] = mapped_column(sa.String(64))  # SHA-256 of the request, hex
    # The answer; None only inside the transaction that holds the key (never committed so).
    response_status: Mapped[int | None]
    response_body: Mapped[str] = mapped_column(sa.Text, default="")
    response_location: Mapped[str | None] = mapped_column(sa.String(2000))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def answered(self) -> bool:
        return self.response_status is not None


class KeyInUse(Exception):
    """Another request held the key and left no answer to give (it is still running)."""


def valid_key(key: str) -> bool:
    """1 to 255 printable ASCII characters, not only spaces."""
    return 0 < len(key) <= MAX_KEY_LENGTH and _KEY.match(key) is not None


def fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _kept_since(now: datetime | None = None) -> datetime:
    return (now or utcnow()) - timedelta(hours=current_app.config["IDEMPOTENCY_KEY_HOURS"])


def find(scope: str, key: str, now: datetime | None = None) -> IdempotencyKey | None:
    """The key's stored answer, while it is kept."""
    return db.session.scalar(
        sa.select(IdempotencyKey).where(
            IdempotencyKey.scope == scope, IdempotencyKey.key == key, IdempotencyKey.created_at >= _kept_since(now)
        )
    )


def claim(scope: str, key: str, request_hash: str, *, user_id: int | None = None) -> IdempotencyKey:
    """Hold the key in this transaction (a row without its answer yet), flushed at once: while
    another transaction holds it, the flush waits for that one to end, then raises IntegrityError
    if it committed."""
    # An expired key that was not pruned yet is free again.
    db.session.execute(
        sa.delete(IdempotencyKey).where(
            IdempotencyKey.scope == scope, IdempotencyKey.key == key, IdempotencyKey.created_at < _kept_since()
        )
    )
    held = IdempotencyKey(scope=scope, key=key, user_id=user_id, request_hash=request_hash)
    db.session.add(held)
    db.session.flush()
    return held


def hold(scope: str, key: str, request_hash: str, *, user_id: int | None = None) -> IdempotencyKey:
    """The key's stored answer (`answered`) or, when it has none, the key held for this request.

    Call it before the request writes anything: when another request holding the key commits
    first, the clash rolls this request's transaction back, and its stored answer is returned.
    KeyInUse when even then there is no answer to give."""
    found = find(scope, key)
    if found is not None:
        return found
    try:
        with attempt(show=False):  # rolls back the clash, re-raised here
            return claim(scope, key, request_hash, user_id=user_id)
    except sa.exc.IntegrityError:
        pass
    found = find(scope, key)
    if found is None or not found.answered:
        raise KeyInUse(key)
    return found


def remember(held: IdempotencyKey, status: int, body: str = "", location: str | None = None) -> None:
    """The request's answer, kept with its key (committed with what the request did)."""
    held.response_status = status
    held.response_body = body
    held.response_location = location


def prune(hours: int | None = None, now: datetime | None = None) -> int:
    """Delete the keys older than `hours` (IDEMPOTENCY_KEY_HOURS); how many."""
    hours = hours or current_app.config["IDEMPOTENCY_KEY_HOURS"]
    since = (now or utcnow()) - timedelta(hours=hours)
    return db.session.execute(sa.delete(IdempotencyKey).where(IdempotencyKey.created_at < since)).rowcount
