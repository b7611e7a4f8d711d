"""What Stripe told us, and the refunds we asked it for."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderPart


class StripeEvent(db.Model):
    """Each webhook event id once: written in the same transaction as its effect, so a
    duplicate delivery hits the unique constraint and changes nothing."""

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(255), unique=True)
    type: Mapped[str] = mapped_column(sa.String(100))
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order | None] = relationship()


class Refund(db.Model):
    """Money given back for a cancelled part of a card-paid order."""

    __tablename__ = "refunds"
    __table_args__ = (sa.CheckConstraint("amount_vnd > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    part_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_parts.id", ondelete="SET NULL"), index=True)
    amount_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    stripe_refund_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    # pending (asked), succeeded, failed: as Stripe reports it.
    status: Mapped[str] = mapped_column(sa.String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    order: Mapped[Order] = relationship()
    part: Mapped[OrderPart | None] = relationship()
