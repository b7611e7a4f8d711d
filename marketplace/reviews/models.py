"""A verified buyer's review of one order item: rating, text, photos, the cooperative's reply."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.core.models import utcnow
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.accounts.models import User
    from marketplace.catalog.models import Product
    from marketplace.cooperatives.models import Cooperative
    from marketplace.orders.models import OrderItem

MAX_TEXT = 2000
MAX_REPLY = 1000
MAX_REASON = 500
MAX_PHOTOS = 3


class Review(db.Model):
    """Once per order item. Hidden reviews stay stored (with who hid them, when and why) but
    are counted in no figure and shown only to their author and to staff."""

    __tablename__ = "reviews"
    __table_args__ = (
        sa.CheckConstraint("rating >= 1 AND rating <= 5", name="rating_range"),
        sa.Index("ix_reviews_product_id_created_at", "product_id", "created_at"),
        sa.Index("ix_reviews_cooperative_id_created_at", "cooperative_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_item_id: Mapped[int] = mapped_column(sa.ForeignKey("order_items.id", ondelete="CASCADE"), unique=True)
    # Kept when the product is deleted: product_name says what was reviewed.
    product_id: Mapped[int | None] = mapped_column(sa.ForeignKey("products.id", ondelete="SET NULL"))
    product_name: Mapped[str] = mapped_column(sa.String(200))
    cooperative_id: Mapped[int] = mapped_column(sa.ForeignKey("cooperatives.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    rating: Mapped[int] = mapped_column(sa.SmallInteger)
    text: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The cooperative's public reply, once.
    reply_text: Mapped[str | None] = mapped_column(sa.Text)
    reply_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    replied_at: Mapped[datetime | None]
    # Hidden by agency staff, with a reason the author is told.
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)

    order_item: Mapped[OrderItem] = relationship()
    product: Mapped[Product | None] = relationship()
    cooperative: Mapped[Cooperative] = relationship()
    author: Mapped[User] = relationship(foreign_keys=[author_id])
    reply_by: Mapped[User | None] = relationship(foreign_keys=[reply_by_id])
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])
    photos: Mapped[list[ReviewPhoto]] = relationship(
        back_populates="review", order_by="ReviewPhoto.position", cascade="all, delete-orphan"
    )

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None

    def __repr__(self) -> str:
        return f"<Review {self.id} {self.rating}★ item={self.order_item_id}>"


class ReviewPhoto(db.Model):
    """A buyer's photo, checked and re-encoded like product photos (catalog.images), stored
    with them as `<stem>-<size>.webp` and served by the same media route."""

    __tablename__ = "review_photos"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(sa.ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    stem: Mapped[str] = mapped_column(sa.String(64), unique=True)
    width: Mapped[int] = mapped_column(default=0)
    height: Mapped[int] = mapped_column(default=0)

    review: Mapped[Review] = relationship(back_populates="photos")
