"""Slowing down guessing: recent attempts counted per key in the database.

Guest order lookups (an order number plus a guessed phone or email) and password-reset
requests (each sends an email to somebody) are limited per client address and per
target, over a sliding window. Counting in the database holds across every gunicorn
worker and server, with nothing more to run; the rows are few (failed or abusive
attempts only) and each action prunes its own expired rows as it records. Sign-in
failures keep their own table (accounts.LoginAttempt), which counts them per email and
per address the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db


class ThrottledAttempt(db.Model):
    __tablename__ = "throttled_attempts"
    __table_args__ = (sa.Index("ix_throttled_attempts_action_key_created_at", "action", "key", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(sa.String(40))
    key: Mapped[str] = mapped_column(sa.String(300))  # "ip:203.0.113.5", "order:DH-2026-000123", "email:…"
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TooManyAttempts(Refused):
    """Refused until the window has passed (views answer 429 with the message)."""


@dataclass(frozen=True)
class Limit:
    """At most `config[max_setting]` attempts of `action` per key within `config[window_setting]` minutes."""

    action: str
    max_setting: str
    window_setting: str

    @property
    def most(self) -> int:
        return current_app.config[self.max_setting]

    @property
    def minutes(self) -> int:
        return current_app.config[self.window_setting]


def exceeded(limit: Limit, *keys: str) -> bool:
    """Has any of `keys` used up its attempts in the window? (A limit of 0 turns it off.)"""
    if limit.most <= 0:
        return False
    since = utcnow() - timedelta(minutes=limit.minutes)
    counts = db.session.execute(
        sa.select(ThrottledAttempt.key, sa.func.count())
        .where(
            ThrottledAttempt.action == limit.action,
            ThrottledAttempt.key.in_([k[:300] for k in keys]),
            ThrottledAttempt.created_at >= since,
        )
        .group_by(ThrottledAttempt.key)
    ).all()
    return any(count >= limit.most for _key, count in counts)


def record(limit: Limit, *keys: str) -> None:
    """Count one attempt against each key (in the caller's transaction), dropping expired rows."""
    now = utcnow()
    db.session.execute(
        sa.delete(ThrottledAttempt).where(
            ThrottledAttempt.action == limit.action,
            ThrottledAttempt.created_at < now - timedelta(minutes=limit.minutes),
        )
    )
    db.session.add_all(ThrottledAttempt(action=limit.action, key=k[:300], created_at=now) for k in keys)
    db.session.flush()


def client_key() -> str:
    """The client's address (the proxy's view of it under TRUSTED_PROXIES), as a key."""
    from flask import request

    return f"ip:{request.remote_addr or '-'}"
