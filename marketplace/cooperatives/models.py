"""Cooperatives (HTX) and the record of their approval."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import HasAddress, enum_column, utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Product


class CooperativeStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    SUSPENDED = "suspended"
    # The agency asked for more documents; the managers answer and it is pending again.
    NEEDS_DOCUMENTS = "needs_documents"
    # The application is refused for good: only staff reopening it makes it pending again.
    REFUSED = "refused"


# Not yet vetted by an agency: managers prepare drafts, nothing is public.
AWAITING_APPROVAL = frozenset({CooperativeStatus.PENDING, CooperativeStatus.NEEDS_DOCUMENTS})


cooperative_managers = sa.Table(
    "cooperative_managers",
    db.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("cooperative_id", sa.ForeignKey("cooperatives.id", ondelete="CASCADE"), primary_key=True),
)


class Cooperative(HasAddress, db.Model):
    __tablename__ = "cooperatives"
    __table_args__ = (
        sa.CheckConstraint("member_count >= 0", name="member_count_not_negative"),
        sa.CheckConstraint(
            "youth_member_count >= 0 AND youth_member_count <= member_count", name="youth_members_within_members"
        ),
        sa.CheckConstraint(
            "delivery_fee_vnd >= 0 AND (free_delivery_from_vnd IS NULL OR free_delivery_from_vnd >= 0)",
            name="delivery_amounts_not_negative",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(100), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    registration_code: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    # Official codes of the two-level units (vietnam-provinces); names are looked up.
    province_code: Mapped[int] = mapped_column(index=True)
    ward_code: Mapped[int]
    street: Mapped[str | None] = mapped_column(sa.String(200))
    founded_on: Mapped[date | None]
    is_youth: Mapped[bool] = mapped_column(default=True, index=True)
    member_count: Mapped[int] = mapped_column(default=0)
    youth_member_count: Mapped[int] = mapped_column(default=0)
    representative: Mapped[str | None] = mapped_column(sa.String(120))
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(254))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    logo_filename: Mapped[str | None] = mapped_column(sa.String(64))
    # Delivery: a flat fee per order part, free from a part total (None: never free).
    delivery_fee_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=30_000, server_default="30000")
    free_delivery_from_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    offers_pickup: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # Bank transfers by VietQR: the bank's NAPAS BIN (6 digits) and the account.
    bank_bin: Mapped[str | None] = mapped_column(sa.String(6))
    bank_account_number: Mapped[str | None] = mapped_column(sa.String(19))
    bank_account_name: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[CooperativeStatus] = mapped_column(
        enum_column(CooperativeStatus), default=CooperativeStatus.PENDING, index=True
    )
    status_changed_at: Mapped[datetime | None]
    status_changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    status_reason: Mapped[str | None] = mapped_column(sa.Text)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    managers: Mapped[list[User]] = relationship(secondary=cooperative_managers, back_populates="cooperatives")
    status_changed_by: Mapped[User | None] = relationship(foreign_keys=[status_changed_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    products: Mapped[list[Product]] = relationship(back_populates="cooperative")
    status_changes: Mapped[list[CooperativeStatusChange]] = relationship(
        back_populates="cooperative", order_by="CooperativeStatusChange.created_at.desc()"
    )

    @property
    def is_approved(self) -> bool:
        return self.status == CooperativeStatus.APPROVED

    @property
    def awaiting_approval(self) -> bool:
        return self.status in AWAITING_APPROVAL

    def __repr__(self) -> str:
        return f"<Cooperative {self.slug!r} {self.status.value}>"


class CooperativeStatusChange(db.Model):
    """Who moved a cooperative between statuses (pending, approved, suspended, needs documents,
    refused), when and why: the agency's reasons and requests, the managers' answers."""

    __tablename__ = "cooperative_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(sa.ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[CooperativeStatus] = mapped_column(enum_column(CooperativeStatus, name="from_status"))
    to_status: Mapped[CooperativeStatus] = mapped_column(enum_column(CooperativeStatus, name="to_status"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    cooperative: Mapped[Cooperative] = relationship(back_populates="status_changes")
    changed_by: Mapped[User | None] = relationship()
    # The photos and PDFs a manager attached to an answer to a request for documents.
    documents: Mapped[list[CooperativeDocument]] = relationship(
        back_populates="change", cascade="all, delete-orphan", order_by="CooperativeDocument.id"
    )


class CooperativeDocument(db.Model):
    """A photo or PDF a manager sent with the answer to the agency's request for documents.

    Kept as sent (core.files checked it by content) under UPLOAD_FOLDER/cooperative-documents/
    <stored_name>, a random name; downloaded only by agency staff, admins and the cooperative's
    managers."""

    __tablename__ = "cooperative_documents"
    __table_args__ = (sa.CheckConstraint("size_bytes > 0", name="size_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status_change_id: Mapped[int] = mapped_column(
        sa.ForeignKey("cooperative_status_changes.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(10))  # core.files.PHOTO or PDF
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(50))
    size_bytes: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    change: Mapped[CooperativeStatusChange] = relationship(back_populates="documents")
    uploaded_by: Mapped[User | None] = relationship()
