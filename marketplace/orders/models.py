"""Stored carts, orders split into one part per cooperative, and their status history.

Every amount is whole đồng (VND has no minor unit). An order's items snapshot the
product's name, unit and price when it was placed, so later edits of the product
never change what was bought.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import HasAddress, enum_column, utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Product
    from marketplace.cooperatives.models import Cooperative


class PaymentStatus(str, enum.Enum):
    UNPAID = "unpaid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


class PartStatus(str, enum.Enum):
    PLACED = "placed"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class DeliveryMethod(str, enum.Enum):
    HOME = "home"  # the cooperative's flat fee, free above its threshold
    PICKUP = "pickup"  # at the cooperative
    FAIR_BOOTH = "fair_booth"  # at the cooperative's booth while a fair is on (OrderPart.booth_id)


class CartItem(db.Model):
    """A signed-in customer's cart line (guests keep theirs in the session)."""

    __tablename__ = "cart_items"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "product_id"),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int]
    # The price when the line was added, to show a change since then.
    price_seen_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    added_at: Mapped[datetime] = mapped_column(default=utcnow)

    product: Mapped[Product] = relationship()


class Order(HasAddress, db.Model):
    """One checkout: the customer's contact, address and payment; parts per cooperative."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint("items_total_vnd >= 0 AND delivery_total_vnd >= 0", name="totals_not_negative"),
        sa.CheckConstraint("total_vnd = items_total_vnd + delivery_total_vnd", name="total_is_sum"),
        sa.CheckConstraint("refunded_vnd >= 0 AND refunded_vnd <= total_vnd", name="refund_within_total"),
        sa.Index("ix_orders_payment_status_expires_at", "payment_status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "DH-2026-000123": the year it was placed and its id; set right after the insert.
    number: Mapped[str | None] = mapped_column(sa.String(20), unique=True)
    # Lets whoever holds it (a guest, the API client) follow the order.
    tracking_token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    contact_name: Mapped[str] = mapped_column(sa.String(120))
    contact_phone: Mapped[str] = mapped_column(sa.String(20), index=True)  # normalised: 0912345678
    contact_email: Mapped[str] = mapped_column(sa.String(254), index=True)  # lower-case
    province_code: Mapped[int]
    ward_code: Mapped[int]
    street: Mapped[str] = mapped_column(sa.String(200))
    note: Mapped[str] = mapped_column(sa.Text, default="")
    # Its payment method's code ("cod", "bank_transfer", "card": orders.payment_methods checks it).
    payment_method: Mapped[str] = mapped_column(sa.String(32))
    payment_status: Mapped[PaymentStatus] = mapped_column(enum_column(PaymentStatus), default=PaymentStatus.UNPAID)
    items_total_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    delivery_total_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    total_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    refunded_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(sa.String(255), unique=True)
    # Unpaid orders paid in advance (card) give their stock back at this time (set only for those).
    expires_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]
    # What the order is credited to (orders.sources, set by the package that owns it): a fair's
    # or booth's QR link scanned within the attribution window (fairs.attribution), or a
    # promotion activity's own tracking link (commitment-four reports measure it). Never changes
    # prices or who may buy. Order.source_fair, source_booth and source_activity are mapped by
    # fairs.models and promotion.models.
    source_fair_id: Mapped[int | None] = mapped_column(sa.ForeignKey("fairs.id", ondelete="SET NULL"), index=True)
    source_booth_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booths.id", ondelete="SET NULL"), index=True)
    source_activity_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("promotion_activities.id", ondelete="SET NULL"), index=True
    )
    paid_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    user: Mapped[User | None] = relationship()
    parts: Mapped[list[OrderPart]] = relationship(
        back_populates="order", order_by="OrderPart.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Order {self.number!r} {self.payment_status.value}>"


class OrderPart(db.Model):
    """What one cooperative sells in an order: its items, delivery and own status."""

    __tablename__ = "order_parts"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "cooperative_id"),
        sa.CheckConstraint("items_total_vnd >= 0 AND delivery_fee_vnd >= 0", name="totals_not_negative"),
        sa.CheckConstraint("total_vnd = items_total_vnd + delivery_fee_vnd", name="total_is_sum"),
        sa.CheckConstraint("refunded_vnd >= 0 AND refunded_vnd <= total_vnd", name="refund_within_total"),
        sa.Index("ix_order_parts_cooperative_id_status", "cooperative_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(sa.ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    cooperative_id: Mapped[int] = mapped_column(sa.ForeignKey("cooperatives.id", ondelete="RESTRICT"))
    status: Mapped[PartStatus] = mapped_column(enum_column(PartStatus), default=PartStatus.PLACED)
    delivery_method: Mapped[DeliveryMethod] = mapped_column(enum_column(DeliveryMethod))
    delivery_fee_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    items_total_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    total_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    refunded_vnd: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    cancel_reason: Mapped[str | None] = mapped_column(sa.Text)
    # The fair booth where the customer picks this part up (delivery method fair_booth);
    # OrderPart.booth is mapped by fairs.models.
    booth_id: Mapped[int | None] = mapped_column(sa.ForeignKey("booths.id", ondelete="SET NULL"), index=True)
    # Bank transfer received, or cash collected on delivery, as the cooperative recorded it.
    payment_received_at: Mapped[datetime | None]
    payment_received_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    order: Mapped[Order] = relationship(back_populates="parts")
    cooperative: Mapped[Cooperative] = relationship()
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="part", order_by="OrderItem.id", cascade="all, delete-orphan"
    )
    history: Mapped[list[OrderStatusChange]] = relationship(
        back_populates="part", order_by="OrderStatusChange.id", cascade="all, delete-orphan"
    )
    payment_received_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<OrderPart {self.id} of order {self.order_id} {self.status.value}>"


class OrderItem(db.Model):
    __tablename__ = "order_items"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
        sa.CheckConstraint("unit_price_vnd >= 0", name="price_not_negative"),
        sa.CheckConstraint("line_total_vnd = unit_price_vnd * quantity", name="line_total_is_product"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("order_parts.id", ondelete="CASCADE"), index=True)
    # Kept when the product is later deleted: the snapshot below is what was bought.
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="SET NULL"), index=True)
    product_name: Mapped[str] = mapped_column(sa.String(200))
    sku: Mapped[str] = mapped_column(sa.String(64))
    unit: Mapped[str] = mapped_column(sa.String(20))
    unit_price_vnd: Mapped[int] = mapped_column(sa.BigInteger)
    # Set when unit_price_vnd is a fair price: the regular price it replaced.
    regular_price_vnd: Mapped[int | None] = mapped_column(sa.BigInteger)
    quantity: Mapped[int]
    line_total_vnd: Mapped[int] = mapped_column(sa.BigInteger)

    part: Mapped[OrderPart] = relationship(back_populates="items")
    product: Mapped[Product | None] = relationship()


class OrderStatusChange(db.Model):
    """Who moved a part from one status to another, when, and why."""

    __tablename__ = "order_status_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(sa.ForeignKey("order_parts.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[PartStatus | None] = mapped_column(enum_column(PartStatus, name="from_part_status"))
    to_status: Mapped[PartStatus] = mapped_column(enum_column(PartStatus, name="to_part_status"))
    reason: Mapped[str] = mapped_column(sa.Text, default="")
    # None with actor "customer" is a guest; with actor "system", expiry or a payment event.
    changed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(sa.String(20))  # customer, cooperative, system
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    part: Mapped[OrderPart] = relationship(back_populates="history")
    changed_by: Mapped[User | None] = relationship()
