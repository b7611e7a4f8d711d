"""Certificates, batches (lots) and the certificates that apply to a batch.

Dates are calendar dates in Vietnam (a certificate's issue and expiry, a harvest, a best-before);
timestamps are naive UTC like everywhere else.
"""

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
    from marketplace.cooperatives.models import Cooperative


class CertificateKind(str, enum.Enum):
    OCOP = "ocop"  # with its star rating (3–5)
    VIETGAP = "vietgap"
    ORGANIC = "organic"
    FOOD_SAFETY = "food_safety"  # Giấy chứng nhận cơ sở đủ điều kiện an toàn thực phẩm
    OTHER = "other"


batch_certificates = sa.Table(
    "batch_certificates",
    db.metadata,
    sa.Column("batch_id", sa.ForeignKey("batches.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("certificate_id", sa.ForeignKey("certificates.id", ondelete="RESTRICT"), primary_key=True),
)


class Certificate(db.Model):
    """A certificate of a cooperative (product_id empty) or of one of its products. Valid while
    verified by agency staff and not expired (see traceability.certificates)."""

    __tablename__ = "certificates"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'ocop' AND ocop_stars >= 3 AND ocop_stars <= 5) OR (kind <> 'ocop' AND ocop_stars IS NULL)",
            name="ocop_stars_only_for_ocop",
        ),
        sa.CheckConstraint("expires_on IS NULL OR expires_on > issued_on", name="expires_after_issue"),
        sa.Index("ix_certificates_expires_on", "expires_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cooperative_id: Mapped[int] = mapped_column(sa.ForeignKey("cooperatives.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    kind: Mapped[CertificateKind] = mapped_column(enum_column(CertificateKind))
    ocop_stars: Mapped[int | None] = mapped_column(sa.SmallInteger)
    name: Mapped[str] = mapped_column(sa.String(200), default="")  # what an "other" certificate is
    number: Mapped[str] = mapped_column(sa.String(64))
    issuer: Mapped[str] = mapped_column(sa.String(200))
    issued_on: Mapped[date]
    expires_on: Mapped[date | None]  # the first day it is no longer valid; empty: no expiry
    # The scan (a PDF or a photo), checked by content like promotion evidence; stored by stem.
    scan_stem: Mapped[str | None] = mapped_column(sa.String(64))
    scan_type: Mapped[str] = mapped_column(sa.String(10), default="")  # "pdf", "jpeg", "png", "webp"
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    cooperative: Mapped[Cooperative] = relationship()
    product: Mapped[Product | None] = relationship()
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class Batch(HasAddress, db.Model):
    """A production or harvest lot of one product: what was made when and where."""

    __tablename__ = "batches"
    __table_args__ = (
        sa.UniqueConstraint("product_id", "code"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("best_before IS NULL OR best_before >= produced_on", name="best_before_after_production"),
        sa.CheckConstraint("stock >= 0 AND stock <= quantity", name="stock_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="RESTRICT"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20))  # the lot number printed on the pack (GS1 AI 10: ≤ 20)
    # The trace page's short link /t/<short_code> when the product has no GTIN.
    short_code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    produced_on: Mapped[date]  # production or harvest date
    best_before: Mapped[date | None]
    quantity: Mapped[int]  # units in the lot, in the product's unit
    # Units of the lot still on sale; the product's stock is the sum over its batches not
    # recalled (traceability.lots keeps both in step).
    stock: Mapped[int] = mapped_column(default=0, server_default="0")
    province_code: Mapped[int | None]
    ward_code: Mapped[int | None]
    place_name: Mapped[str] = mapped_column(sa.String(200), default="")  # plot or farm name
    notes: Mapped[str] = mapped_column(sa.Text, default="")  # inputs, process
    recalled_at: Mapped[datetime | None]
    recalled_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    recall_reason: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    product: Mapped[Product] = relationship()
    certificates: Mapped[list[Certificate]] = relationship(secondary=batch_certificates, order_by="Certificate.id")
    images: Mapped[list[BatchImage]] = relationship(
        back_populates="batch", order_by="BatchImage.position, BatchImage.id", cascade="all, delete-orphan"
    )
    recalled_by: Mapped[User | None] = relationship(foreign_keys=[recalled_by_id])
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    @property
    def is_recalled(self) -> bool:
        return self.recalled_at is not None


class BatchImage(db.Model):
    """A photo of a batch (the field, the harvest, the pack), stored like product photos."""

    __tablename__ = "batch_images"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    stem: Mapped[str] = mapped_column(sa.String(64), unique=True)
    alt_text: Mapped[str] = mapped_column(sa.String(200), default="")
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    batch: Mapped[Batch] = relationship(back_populates="images")


class BatchAllocation(db.Model):
    """Units of a batch that went to an order item or an on-site sale (first-expiring batch
    first). `returned` counts those given back when the part was cancelled or the sale voided."""

    __tablename__ = "batch_allocations"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("returned >= 0 AND returned <= quantity", name="returned_within_quantity"),
        sa.CheckConstraint("(order_item_id IS NULL) <> (on_site_sale_id IS NULL)", name="one_receiver"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id", ondelete="RESTRICT"), index=True)
    order_item_id: Mapped[int | None] = mapped_column(sa.ForeignKey("order_items.id", ondelete="CASCADE"), index=True)
    on_site_sale_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("on_site_sales.id", ondelete="CASCADE"), index=True
    )
    quantity: Mapped[int]
    returned: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    batch: Mapped[Batch] = relationship()


class BatchEventKind(str, enum.Enum):
    RECALLED = "recalled"  # detail: the reason; with the units withdrawn from stock
    NOTICE_SENT = "notice_sent"  # a recall notice emailed to a customer (order_id, email)
    NOTICE_FAILED = "notice_failed"  # the email could not be sent (detail: why)
    STOCK_CHANGED = "stock_changed"  # a manager changed the batch's stock by hand (detail: from → to)


class BatchEvent(db.Model):
    """A batch's history: its recall, the notices sent about it, stock changed by hand."""

    __tablename__ = "batch_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("batches.id", ondelete="CASCADE"), index=True)
    kind: Mapped[BatchEventKind] = mapped_column(enum_column(BatchEventKind))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    quantity: Mapped[int | None]  # units concerned (withdrawn, received by the customer)
    order_id: Mapped[int | None] = mapped_column(sa.ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    by: Mapped[User | None] = relationship()
