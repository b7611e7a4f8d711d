"""One queued email job: what to send (a registered kind) about which row, and its delivery state."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.core.models import utcnow
from marketplace.extensions import db


class QueuedEmail(db.Model):
    """Written in the same transaction as the change it tells about, so it is sent only when
    that change has committed and is never lost when a process dies after the commit.

    `kind` names a registered job (e.g. "order_confirmation") and `object_id` the row it is
    about; the message is rendered when it is sent, with links built on `base_url` (the
    site address of the request that queued it). A sender claims a job by setting
    `claimed_until` (a lease: a sender that dies lets it go when the lease runs out);
    `attempts` counts the claims.
    """

    __tablename__ = "queued_emails"
    __table_args__ = (sa.Index("ix_queued_emails_pending", "sent_at", "failed_at", "send_after"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(50))
    object_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_until: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    base_url: Mapped[str] = mapped_column(sa.String(300), default="")

    def __repr__(self) -> str:
        return f"<QueuedEmail {self.id} {self.kind} {self.object_id}>"
