"""Promotion activities under commitment four: what the agencies did, with whom, and what it
achieved as they report it; evidence files and the edit history of each record.

Workflow: draft -> submitted -> approved, or returned (with a comment) -> edited -> submitted again.
Who may approve is one rule, promotion.services.approval_rule (joint activities included).
Imported activities (`marketplace promotion import`) are approved historical records.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import HasAddress, enum_column, utcnow
from marketplace.extensions import db
from marketplace.orders.models import Order

if TYPE_CHECKING:
    from marketplace.accounts.models import Agency, User
    from marketplace.catalog.models import Product
    from marketplace.cooperatives.models import Cooperative
    from marketplace.fairs.models import Fair


class ActivityType(str, enum.Enum):
    CONFERENCE = "trade_promotion_conference"
    FAIR = "fair_exhibition"
    ECOMMERCE = "ecommerce_support"
    LIVESTREAM = "livestream_sale"
    MEDIA = "product_introduction_media"
    OTHER = "other"


class ActivityStatus(str, enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class EvidenceKind(str, enum.Enum):
    PHOTO = "photo"
    PDF = "pdf"


# The reported results, in the order forms and pages show them. All whole numbers >= 0.
RESULT_FIELDS = ("visitors", "business_contacts", "contracts_count", "contracts_value_vnd", "sales_vnd", "media_items")

promotion_agencies = sa.Table(
    "promotion_activity_agencies",
    db.metadata,
    sa.Column("activity_id", sa.ForeignKey("promotion_activities.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

promotion_cooperatives = sa.Table(
    "promotion_activity_cooperatives",
    db.metadata,
    sa.Column("activity_id", sa.ForeignKey("promotion_activities.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("cooperative_id", sa.ForeignKey("cooperatives.id", ondelete="RESTRICT"), primary_key=True, index=True),
)

promotion_products = sa.Table(
    "promotion_activity_products",
    db.metadata,
    sa.Column("activity_id", sa.ForeignKey("promotion_activities.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("product_id", sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PromotionActivity(HasAddress, db.Model):
    __tablename__ = "promotion_activities"
    __table_args__ = (
        sa.CheckConstraint("end_date >= start_date", name="end_not_before_start"),
        sa.CheckConstraint(
            "budget_vnd >= 0 AND visitors >= 0 AND business_contacts >= 0 AND contracts_count >= 0"
            " AND contracts_value_vnd >= 0 AND sales_vnd >= 0 AND media_items >= 0",
            name="figures_not_negative",
        ),
        sa.Index("ix_promotion_activities_status_start_date", "status", "start_date"),
        sa.Index("ix_promotion_activities_start_date", "start_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[ActivityType] = mapped_column(enum_column(ActivityType, length=40, name="activitytype"))
    title: Mapped[str] = mapped_column(sa.String(200))
    status: Mapped[ActivityStatus] = mapped_column(
        enum_column(ActivityStatus, name="activitystatus"), default=ActivityStatus.DRAFT
    )
    start_date: Mapped[date]
    end_date: Mapped[date]
    # Official codes of the two-level units; both empty for an online activity.
    province_code: Mapped[int | None]
    ward_code: Mapped[int | None]
    organising_unit: Mapped[str] = mapped_column(sa.String(200), default="")
    fair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fairs.id", ondelete="SET NULL"), index=True)
    # Its own tracking link /f/<code> (like a fair's): orders after a scan are measured for it.
    tracking_code: Mapped[str | None] = mapped_column(sa.String(16), unique=True)
    budget_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # Results as reported by the organisers.
    visitors: Mapped[int] = mapped_column(default=0)
    business_contacts: Mapped[int] = mapped_column(default=0)
    contracts_count: Mapped[int] = mapped_column(default=0)  # contracts or MoUs signed
    contracts_value_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    sales_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)  # direct sales
    media_items: Mapped[int] = mapped_column(default=0)
    notes: Mapped[str] = mapped_column(sa.Text, default="")
    imported: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None]
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    return_comment: Mapped[str] = mapped_column(sa.Text, default="")

    agencies: Mapped[list[Agency]] = relationship(secondary=promotion_agencies, order_by="Agency.name")
    cooperatives: Mapped[list[Cooperative]] = relationship(
        secondary=promotion_cooperatives, order_by="Cooperative.name"
    )
    products: Mapped[list[Product]] = relationship(secondary=promotion_products, order_by="Product.name")
    fair: Mapped[Fair | None] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    evidence: Mapped[list[ActivityEvidence]] = relationship(
        back_populates="activity", order_by="ActivityEvidence.id", cascade="all, delete-orphan"
    )
    changes: Mapped[list[ActivityChange]] = relationship(
        back_populates="activity", order_by="ActivityChange.id", cascade="all, delete-orphan"
    )

    @property
    def is_editable(self) -> bool:
        return self.status in (ActivityStatus.DRAFT, ActivityStatus.RETURNED)

    def __repr__(self) -> str:
        return f"<PromotionActivity {self.id} {self.type.value} {self.status.value}>"


class ActivityEvidence(db.Model):
    """A photo or a PDF (minutes, a contract) backing an activity's reported results.

    The file is kept as sent (it is evidence) under UPLOAD_FOLDER/promotion/<stored_name>,
    a random name; it is served only to agency staff, as a download."""

    __tablename__ = "promotion_evidence"
    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("promotion_activities.id", ondelete="CASCADE"), index=True)
    kind: Mapped[EvidenceKind] = mapped_column(enum_column(EvidenceKind, name="evidencekind"))
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size_bytes: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[PromotionActivity] = relationship(back_populates="evidence")
    uploaded_by: Mapped[User | None] = relationship()


class ActivityChange(db.Model):
    """One line of an activity's history: who did what when; for an edit, one row per field
    with its old and new value as shown to people."""

    __tablename__ = "promotion_activity_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("promotion_activities.id", ondelete="CASCADE"), index=True)
    # created, imported, updated, submitted, approved, returned, evidence_added, evidence_removed
    action: Mapped[str] = mapped_column(sa.String(30))
    field: Mapped[str] = mapped_column(sa.String(50), default="")
    old_value: Mapped[str] = mapped_column(sa.Text, default="")
    new_value: Mapped[str] = mapped_column(sa.Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[PromotionActivity] = relationship(back_populates="changes")
    changed_by: Mapped[User | None] = relationship()


# Orders sit a layer below promotion: they store the activity whose tracking link an order is
# credited to (orders.sources); promotion maps what the id points at.
Order.source_activity = relationship(PromotionActivity)
