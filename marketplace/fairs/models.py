"""Fairs, their booths and showcased products, QR visits and on-site sales.

Times are stored naive UTC like every other timestamp and shown in Vietnam time.
A fair price applies while `starts_at <= now < ends_at` (the end is exclusive), only
for an approved booth of a fair that is published; see fairs.pricing.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import HasAddress, enum_column, utcnow
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderPart

if TYPE_CHECKING:
    from marketplace.accounts.models import Agency, User
    from marketplace.catalog.models import Product
    from marketplace.cooperatives.models import Cooperative


class FairKind(str, enum.Enum):
    TRADE_FAIR = "trade_fair"
    EXHIBITION = "exhibition"
    CONFERENCE = "trade_promotion_conference"
    ONLINE = "online_fair"


class FairStatus(str, enum.Enum):
    DRAFT = "draft"  # only agency staff see it
    ACCEPTING = "accepting_applications"  # public; cooperatives apply for a booth
    PUBLISHED = "published"  # public with its booth directory; fair prices apply while it is on
    CLOSED = "closed"  # over: results only, no fair prices, no on-site sales


class BoothStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class OnSitePayment(str, enum.Enum):
    CASH = "cash"
    TRANSFER = "transfer"


class OnSiteSaleStatus(str, enum.Enum):
    RECORDED = "recorded"  # stands (unless voided): took its stock, counts in the results
    # Synced from the booth app when the stock it needed was gone (another channel sold it
    # meanwhile): took no stock and counts nowhere until a manager confirms or cancels it.
    CONFLICT = "conflict"


fair_organisers = sa.Table(
    "fair_organisers",
    db.metadata,
    sa.Column("fair_id", sa.ForeignKey("fairs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agencies.id", ondelete="RESTRICT"), primary_key=True),
)


class Fair(HasAddress, db.Model):
    __tablename__ = "fairs"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_fairs_status_starts_at", "status", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    slug: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[FairKind] = mapped_column(enum_column(FairKind, length=40))
    status: Mapped[FairStatus] = mapped_column(enum_column(FairStatus, length=40), default=FairStatus.DRAFT)
    venue: Mapped[str] = mapped_column(sa.String(200), default="")  # empty for an online fair
    province_code: Mapped[int | None]
    ward_code: Mapped[int | None]
    street: Mapped[str] = mapped_column(sa.String(200), default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]  # exclusive: the fair price stops applying at this instant
    applications_close_at: Mapped[datetime | None]
    description: Mapped[str] = mapped_column(sa.Text, default="")
    banner_stem: Mapped[str | None] = mapped_column(sa.String(64))  # an image stored like product photos
    # The fair-level short link /f/<code> (booths have their own).
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    organisers: Mapped[list[Agency]] = relationship(secondary=fair_organisers, order_by="Agency.name")
    booths: Mapped[list[Booth]] = relationship(
        back_populates="fair", order_by="Booth.number, Booth.id", cascade="all, delete-orphan"
    )
    created_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<Fair {self.slug!r} {self.status.value}>"

    @property
    def is_public(self) -> bool:
        return self.status != FairStatus.DRAFT

    def is_on(self, at: datetime | None = None) -> bool:
        """Published and between its start (inclusive) and end (exclusive): fair prices,
        booth pickup and on-site sales apply."""
        at = at or utcnow()
        return self.status == FairStatus.PUBLISHED and self.starts_at <= at < self.ends_at

    def phase(self, at: datetime | None = None) -> str:
        """ "upcoming", "ongoing" or "past", as the public pages and the API group fairs."""
        at = at or utcnow()
        if self.status == FairStatus.CLOSED or at >= self.ends_at:
            return "past"
        if self.is_on(at):
            return "ongoing"
        return "upcoming"


class Booth(db.Model):
    """A cooperative's application for, then place at, one fair."""

    __tablename__ = "booths"
    __table_args__ = (
        sa.UniqueConstraint("fair_id", "cooperative_id"),
        sa.UniqueConstraint("fair_id", "number"),  # NULL numbers (not yet approved) do not clash
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fairs.id", ondelete="CASCADE"), index=True)
    cooperative_id: Mapped[int] = mapped_column(sa.ForeignKey("cooperatives.id", ondelete="RESTRICT"), index=True)
    status: Mapped[BoothStatus] = mapped_column(enum_column(BoothStatus), default=BoothStatus.PENDING)
    number: Mapped[str | None] = mapped_column(sa.String(20))  # assigned on approval, e.g. "A12"
    message: Mapped[str] = mapped_column(sa.Text, default="")  # the cooperative's note to the organisers
    rejection_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # The booth's short link /f/<code>, printed as a QR code on its poster.
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    applied_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    applied_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None]

    fair: Mapped[Fair] = relationship(back_populates="booths")
    cooperative: Mapped[Cooperative] = relationship()
    products: Mapped[list[BoothProduct]] = relationship(
        back_populates="booth", order_by="BoothProduct.id", cascade="all, delete-orphan"
    )
    applied_by: Mapped[User | None] = relationship(foreign_keys=[applied_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_approved(self) -> bool:
        return self.status == BoothStatus.APPROVED

    def __repr__(self) -> str:
        return f"<Booth {self.number!r} fair={self.fair_id} cooperative={self.cooperative_id} {self.status.value}>"


class BoothProduct(db.Model):
    """A product showcased at a booth, with its optional fair price."""

    __tablename__ = "booth_products"
    __table_args__ = (
        sa.UniqueConstraint("booth_id", "product_id"),
        sa.CheckConstraint("fair_price_vnd IS NULL OR fair_price_vnd > 0", name="fair_price_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(sa.ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    fair_price_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)

    booth: Mapped[Booth] = relationship(back_populates="products")
    product: Mapped[Product] = relationship()


class FairVisit(db.Model):
    """One scan of a fair's or a booth's short link. `visitor` is a random id kept in a
    cookie, so visits can be counted in total and by unique visitor; nothing personal."""

    __tablename__ = "fair_visits"
    __table_args__ = (sa.Index("ix_fair_visits_fair_id_created_at", "fair_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fair_id: Mapped[int] = mapped_column(sa.ForeignKey("fairs.id", ondelete="CASCADE"))
    booth_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    visitor: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OnSiteSale(db.Model):
    """A sale made at the booth, recorded by the cooperative's staff; it took stock like an
    online order. A mistake is voided (stock given back), never deleted."""

    __tablename__ = "on_site_sales"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price_vnd >= 0", name="price_not_negative"),
        sa.CheckConstraint("total_vnd = unit_price_vnd * quantity", name="total_is_product"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(sa.ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="SET NULL"), index=True)
    product_name: Mapped[str] = mapped_column(sa.String(200))  # snapshot, like an order item
    unit: Mapped[str] = mapped_column(sa.String(20))
    quantity: Mapped[int]
    unit_price_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    total_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    payment: Mapped[OnSitePayment] = mapped_column(enum_column(OnSitePayment))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    voided_at: Mapped[datetime | None]
    voided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    void_reason: Mapped[str] = mapped_column(sa.Text, default="")
    # Booth app (offline queue): the id the phone gave the sale, so a batch sent twice records
    # it once; `created_at` is then when it was sold on the phone, `synced_at` when it arrived.
    client_id: Mapped[str | None] = mapped_column(sa.String(36), unique=True)
    synced_at: Mapped[datetime | None]
    status: Mapped[OnSiteSaleStatus] = mapped_column(
        enum_column(OnSiteSaleStatus), default=OnSiteSaleStatus.RECORDED, server_default=OnSiteSaleStatus.RECORDED.value
    )
    helper_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booth_helpers.id", ondelete="SET NULL"))
    resolved_at: Mapped[datetime | None]  # a conflict confirmed by a manager
    resolved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    booth: Mapped[Booth] = relationship()
    product: Mapped[Product | None] = relationship()
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    voided_by: Mapped[User | None] = relationship(foreign_keys=[voided_by_id])
    resolved_by: Mapped[User | None] = relationship(foreign_keys=[resolved_by_id])
    helper: Mapped[BoothHelper | None] = relationship()

    @property
    def counts(self) -> bool:
        """Whether the sale is in the fair's results: recorded (or a confirmed conflict), not voided."""
        return self.status == OnSiteSaleStatus.RECORDED and self.voided_at is None


class BoothHelper(db.Model):
    """A named person a cooperative's manager lets sell at one booth with a short code:
    booth-only, valid from a day before the fair to a day after it, revocable. Only the
    code's SHA-256 is kept (the manager sees the code once); `session_token` changes on
    revocation so a helper's open booth app is signed out too."""

    __tablename__ = "booth_helpers"

    id: Mapped[int] = mapped_column(primary_key=True)
    booth_id: Mapped[int] = mapped_column(sa.ForeignKey("booths.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    session_token: Mapped[str] = mapped_column(sa.String(32))
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    last_signed_in_at: Mapped[datetime | None]

    booth: Mapped[Booth] = relationship()
    created_by: Mapped[User | None] = relationship()

    def is_valid(self, at: datetime | None = None) -> bool:
        at = at or utcnow()
        return self.revoked_at is None and self.valid_from <= at < self.valid_until


# Orders sit a layer below fairs: they store the fair or booth an order is credited to
# (orders.sources) and the booth a part is picked up at; fairs map what those ids point at.
Order.source_fair = relationship(Fair)
Order.source_booth = relationship(Booth)
OrderPart.booth = relationship(Booth)
