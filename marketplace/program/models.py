"""Programme targets (data an admin edits), training classes and supported new cooperatives."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import HasAddress, enum_column, utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import Agency, User
    from marketplace.cooperatives.models import Cooperative

PROGRAM_YEARS = (2023, 2024, 2025)


class TargetMetric(str, enum.Enum):
    """What a target counts. The commitment each belongs to is stored with the target."""

    TRAINING_CLASSES = "training_classes"  # commitment 2: classes for founders and cooperative staff
    NEW_YOUTH_COOPERATIVES = "new_youth_cooperatives"  # commitment 3: founded with the programme's support
    PROMOTION_ACTIVITIES = "promotion_activities"  # commitment 4: approved activities
    COOPERATIVES_REACHED = "cooperatives_reached"  # commitment 4: distinct cooperatives taking part
    SALES_VND = "sales_vnd"  # commitment 4: reported plus measured sales


class ProgramTarget(db.Model):
    """ "At least `value` of `metric` in `year`" (year None: over the whole programme)."""

    __tablename__ = "program_targets"
    __table_args__ = (
        sa.CheckConstraint("value >= 0", name="value_not_negative"),
        sa.CheckConstraint("commitment BETWEEN 1 AND 9", name="commitment_number"),
        sa.UniqueConstraint("metric", "year"),
        # NULL years do not clash in a unique constraint: one whole-programme target per metric.
        sa.Index(
            "ux_program_targets_metric_whole_programme",
            "metric",
            unique=True,
            postgresql_where=sa.text("year IS NULL"),
            sqlite_where=sa.text("year IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment: Mapped[int] = mapped_column(sa.SmallInteger)
    metric: Mapped[TargetMetric] = mapped_column(enum_column(TargetMetric, length=40))
    year: Mapped[int | None]
    value: Mapped[int] = mapped_column(sa.BigInteger)
    description: Mapped[str] = mapped_column(sa.String(300), default="")
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    updated_by: Mapped[User | None] = relationship()


class TrainingClass(HasAddress, db.Model):
    """A training class for cooperative founders and staff (commitment 2)."""

    __tablename__ = "training_classes"
    __table_args__ = (sa.CheckConstraint("participants >= 0", name="participants_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    held_on: Mapped[date] = mapped_column(index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id", ondelete="SET NULL"))
    organiser: Mapped[str] = mapped_column(sa.String(200), default="")  # the unit, as written
    participants: Mapped[int] = mapped_column(default=0)
    province_code: Mapped[int | None]
    ward_code: Mapped[int | None]
    street: Mapped[str] = mapped_column(sa.String(200), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    agency: Mapped[Agency | None] = relationship()


class SupportedCooperative(HasAddress, db.Model):
    """A new cooperative founded with the programme's support (commitment 3), counted in the
    year it was founded; linked to its platform record when it has one."""

    __tablename__ = "supported_cooperatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    founded_on: Mapped[date] = mapped_column(index=True)
    is_youth: Mapped[bool] = mapped_column(default=True)
    cooperative_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("cooperatives.id", ondelete="SET NULL"), unique=True
    )
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id", ondelete="SET NULL"))
    province_code: Mapped[int | None]
    ward_code: Mapped[int | None]
    street: Mapped[str] = mapped_column(sa.String(200), default="")
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cooperative: Mapped[Cooperative | None] = relationship()
    agency: Mapped[Agency | None] = relationship()
