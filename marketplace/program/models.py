"""Programme targets (data an admin edits), training classes and supported new cooperatives,
and the history of every change to those records (kept after a record is deleted)."""

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
    # The recording agency (its staff may change the record); empty: only admins may.
    owner_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id", ondelete="SET NULL"), index=True)

    agency: Mapped[Agency | None] = relationship(foreign_keys=[agency_id])
    owner_agency: Mapped[Agency | None] = relationship(foreign_keys=[owner_agency_id])


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
    # The recording agency (its staff may change the record); empty: only admins may.
    owner_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id", ondelete="SET NULL"), index=True)

    cooperative: Mapped[Cooperative | None] = relationship()
    agency: Mapped[Agency | None] = relationship(foreign_keys=[agency_id])
    owner_agency: Mapped[Agency | None] = relationship(foreign_keys=[owner_agency_id])


class RecordKind(str, enum.Enum):
    TRAINING = "training"
    SUPPORTED = "supported"


class ProgramRecordChange(db.Model):
    """One line of a programme record's history: who did what when; for an edit, one row per
    field with its old and new value as shown to people; for a deletion, one row per field
    that had a value (the record's last state). No foreign key to the record: the lines
    outlive it. `record_name` is the title or name at the time."""

    __tablename__ = "program_record_changes"
    __table_args__ = (sa.Index("ix_program_record_changes_record", "record_kind", "record_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    record_kind: Mapped[RecordKind] = mapped_column(enum_column(RecordKind, length=20, name="programrecordkind"))
    record_id: Mapped[int]
    record_name: Mapped[str] = mapped_column(sa.String(200), default="")
    owner_agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agencies.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(sa.String(30))  # created, updated, deleted
    field: Mapped[str] = mapped_column(sa.String(50), default="")
    old_value: Mapped[str] = mapped_column(sa.Text, default="")
    new_value: Mapped[str] = mapped_column(sa.Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    owner_agency: Mapped[Agency | None] = relationship()
    changed_by: Mapped[User | None] = relationship()
