"""Reviewing a delivered item, the cooperative's reply, hiding by agency staff, the figures.

Plain functions: they validate, change rows, flush and raise Refused; the request commits.
A product's `rating_count` and `rating_sum` count its visible reviews only; they are
changed with one UPDATE each (`rating_count = rating_count + 1`), so two reviews written
at the same moment both count. Changing them changes the storefront (content_version).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import User
from marketplace.catalog import images
from marketplace.catalog.models import Product
from marketplace.core.errors import Refused
from marketplace.core.images import ImageRejected
from marketplace.core.mail import send_email
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.mail.queue import Gone, queue_email, register
from marketplace.orders.models import Order, OrderItem, OrderPart, PartStatus
from marketplace.reviews.models import MAX_PHOTOS, MAX_REASON, MAX_REPLY, MAX_TEXT, Review, ReviewPhoto

logger = logging.getLogger(__name__)

REVIEWABLE = (PartStatus.DELIVERED, PartStatus.COMPLETED)
REVIEW_HIDDEN = "review_hidden"


# --- who may do what -------------------------------------------------------------------------


def manages(user: User, cooperative_id: int) -> bool:
    """A manager of this cooperative (admins are not managers of every cooperative here)."""
    return any(c.id == cooperative_id for c in user.cooperatives)


def check_can_review(user, item: OrderItem) -> None:
    """Refused unless `user` bought this item, signed in, and its part is delivered or completed."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise Refused(_("Sign in with the account you ordered with to write a review."))
    part = item.part
    if part.order.user_id != user.id:
        raise Refused(_("Only the customer who bought this product can review it."))
    if part.status not in REVIEWABLE:
        raise Refused(_("You can review this product once it has been delivered."))
    if item.product_id is None:
        raise Refused(_("This product is no longer sold."))
    if manages(user, part.cooperative_id):
        raise Refused(_("Managers cannot review their own cooperative's products."))
    if db.session.scalar(sa.select(Review.id).where(Review.order_item_id == item.id)) is not None:
        raise Refused(_("You have already reviewed this item."))


def can_reply(user, review: Review) -> bool:
    return bool(user and getattr(user, "is_authenticated", False)) and (
        user.is_admin or manages(user, review.cooperative_id)
    )


# --- writing ---------------------------------------------------------------------------------


def _clean_text(text: str | None, limit: int, message: str, field: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if "\x00" in text:
        raise Refused(_("The text contains characters that are not allowed."), field=field)
    if len(text) > limit:
        raise Refused(message, field=field)
    return text


def _parse_rating(rating) -> int:
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= 5:
        raise Refused(_("Choose from 1 to 5 stars."), field="rating")
    return value


def _count(product_id: int | None, count: int, total: int) -> None:
    if product_id is None:
        return
    db.session.execute(
        sa.update(Product)
        .where(Product.id == product_id)
        .values(rating_count=Product.rating_count + count, rating_sum=Product.rating_sum + total)
        .execution_options(synchronize_session=False)
    )
    product = db.session.identity_map.get(db.session.identity_key(Product, product_id))
    if product is not None:
        db.session.expire(product, ["rating_count", "rating_sum"])


def write_review(
    user: User, item: OrderItem, rating, text: str = "", photos: list[BinaryIO] = (), *, now: datetime | None = None
) -> Review:
    """The buyer's review of one delivered item, with up to MAX_PHOTOS photos (each checked
    and re-encoded; a bad one refuses the whole review). Flushes, never commits; on a refusal
    the photos it stored are already discarded (the caller rolls back)."""
    check_can_review(user, item)
    rating = _parse_rating(rating)
    text = _clean_text(text, MAX_TEXT, _("The review is too long (at most %(num)d characters).", num=MAX_TEXT), "text")
    photos = list(photos)
    if len(photos) > MAX_PHOTOS:
        raise Refused(_("At most %(num)d photos.", num=MAX_PHOTOS), field="photos")
    review = Review(
        order_item_id=item.id,
        product_id=item.product_id,
        product_name=item.product_name,
        cooperative_id=item.part.cooperative_id,
        author_id=user.id,
        rating=rating,
        text=text,
        created_at=now or utcnow(),
    )
    db.session.add(review)
    stems: list[str] = []
    try:
        for position, stream in enumerate(photos):
            stems.append(_store_photo(review, stream, position))
    except ImageRejected as error:
        discard_files(stems)
        raise Refused(error.message, field="photos") from None
    try:
        db.session.flush()
    except IntegrityError:  # the same item reviewed by a request that committed first
        discard_files(stems)
        raise Refused(_("You have already reviewed this item.")) from None
    _count(review.product_id, 1, rating)
    logger.info("Review %s (%s stars) of item %s by user %s", review.id, rating, item.id, user.id)
    return review


def _store_photo(review: Review, stream: BinaryIO, position: int) -> str:
    stem, (width, height) = images.store_picture(stream)
    review.photos.append(ReviewPhoto(stem=stem, position=position, width=width, height=height))
    return stem


def discard_files(stems) -> None:
    """Files written for photos whose rows were rolled back."""
    images.discard_product_files(stems)


def _set_once(review: Review, unset_column, **values) -> bool:
    """UPDATE the review WHERE `unset_column` IS NULL; False when another request was first."""
    db.session.flush()
    result = db.session.execute(
        sa.update(Review)
        .where(Review.id == review.id, unset_column.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(review, list(values))
    return result.rowcount == 1


def reply(review: Review, user: User, text: str, *, now: datetime | None = None) -> None:
    """The cooperative's public answer, once."""
    if not can_reply(user, review):
        raise Refused(_("Only the cooperative's managers can reply to this review."))
    if review.reply_text is not None:
        raise Refused(_("The cooperative has already replied to this review."), field="text")
    text = _clean_text(text, MAX_REPLY, _("The reply is too long (at most %(num)d characters).", num=MAX_REPLY), "text")
    if not text:
        raise Refused(_("Write your reply."), field="text")
    # Conditional, so two replies sent at once cannot both land.
    if not _set_once(review, Review.reply_text, reply_text=text, reply_by_id=user.id, replied_at=now or utcnow()):
        raise Refused(_("The cooperative has already replied to this review."), field="text")
    logger.info("Review %s replied to by user %s", review.id, user.id)


def hide(review: Review, user: User, reason: str, *, now: datetime | None = None) -> None:
    """Agency staff take a review off public pages, saying why; its author is emailed."""
    if not (user and getattr(user, "is_authenticated", False) and user.is_agency_staff):
        raise Refused(_("Only agency staff can hide reviews."))
    if review.is_hidden:
        raise Refused(_("This review is already hidden."))
    reason = _clean_text(
        reason, MAX_REASON, _("The reason is too long (at most %(num)d characters).", num=MAX_REASON), "reason"
    )
    if not reason:
        raise Refused(_("Give a reason for hiding this review."), field="reason")
    # Conditional, so hiding twice at once cannot take the rating off the figures twice.
    if not _set_once(review, Review.hidden_at, hidden_at=now or utcnow(), hidden_by_id=user.id, hidden_reason=reason):
        raise Refused(_("This review is already hidden."))
    _count(review.product_id, -1, -review.rating)
    queue_email(REVIEW_HIDDEN, review.id)
    logger.info("Review %s hidden by user %s", review.id, user.id)


def send_hidden_notice(review_id: int) -> None:
    """Queue handler: tell the author their review is hidden, and why."""
    review = db.session.get(Review, review_id)
    if review is None:
        raise Gone(f"review {review_id} no longer exists")
    author = review.author
    if not author.active or not review.is_hidden:
        return
    link = url_for("reviews.mine", _external=True)
    with force_locale("vi"):
        subject = _("Your review of %(product)s is hidden", product=review.product_name)
        send_email(author.email, subject, "review_hidden", review=review, person=author, link=link)


register(REVIEW_HIDDEN, send_hidden_notice)


# --- reading ---------------------------------------------------------------------------------


def visible_reviews(product_id: int):
    """A product's public reviews, newest first (a select to page)."""
    return (
        sa.select(Review)
        .where(Review.product_id == product_id, Review.hidden_at.is_(None))
        .options(selectinload(Review.photos), selectinload(Review.author))
        .order_by(Review.created_at.desc(), Review.id.desc())
    )


@dataclass
class Summary:
    count: int
    average: float | None
    distribution: dict[int, int]  # stars -> visible reviews, 5..1

    def share(self, stars: int) -> int:
        """Percentage of reviews with `stars`, for the bar."""
        return round(100 * self.distribution[stars] / self.count) if self.count else 0


def summary(product_id: int) -> Summary:
    rows = db.session.execute(
        sa.select(Review.rating, sa.func.count())
        .where(Review.product_id == product_id, Review.hidden_at.is_(None))
        .group_by(Review.rating)
    ).all()
    distribution = {stars: 0 for stars in (5, 4, 3, 2, 1)}
    for stars, count in rows:
        distribution[int(stars)] = count
    count = sum(distribution.values())
    total = sum(stars * n for stars, n in distribution.items())
    return Summary(count, total / count if count else None, distribution)


def cooperative_rating(cooperative_id: int) -> tuple[float | None, int]:
    """Average of all visible reviews of the cooperative's products, and their count."""
    count, total = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(Product.rating_count), 0), sa.func.coalesce(sa.func.sum(Product.rating_sum), 0)
        ).where(Product.cooperative_id == cooperative_id)
    ).one()
    return (total / count if count else None), int(count)


def reviews_by(user: User):
    return (
        sa.select(Review)
        .where(Review.author_id == user.id)
        .options(selectinload(Review.photos))
        .order_by(Review.created_at.desc(), Review.id.desc())
    )


def reviews_of_cooperative(cooperative_id: int):
    return (
        sa.select(Review)
        .where(Review.cooperative_id == cooperative_id)
        .options(selectinload(Review.photos), selectinload(Review.author))
        .order_by(Review.created_at.desc(), Review.id.desc())
    )


def all_reviews(hidden: bool | None = None):
    query = sa.select(Review).options(selectinload(Review.photos), selectinload(Review.author))
    if hidden is True:
        query = query.where(Review.hidden_at.is_not(None))
    elif hidden is False:
        query = query.where(Review.hidden_at.is_(None))
    return query.order_by(Review.created_at.desc(), Review.id.desc())


def order_review_state(order: Order, user) -> dict[int, Review | bool]:
    """For the customer's order page: item id -> their Review, or True when they may write one."""
    if not (user and getattr(user, "is_authenticated", False)) or order.user_id != user.id:
        return {}
    item_ids = [item.id for part in order.parts for item in part.items]
    if not item_ids:
        return {}
    existing = {
        r.order_item_id: r for r in db.session.scalars(sa.select(Review).where(Review.order_item_id.in_(item_ids)))
    }
    state: dict[int, Review | bool] = {}
    for part in order.parts:
        for item in part.items:
            if item.id in existing:
                state[item.id] = existing[item.id]
            elif part.status in REVIEWABLE and item.product_id is not None and not manages(user, part.cooperative_id):
                state[item.id] = True
    return state


def item_of_user(item_id: int, user) -> OrderItem | None:
    """An order item bought by `user` (None for anyone else's)."""
    return db.session.scalar(
        sa.select(OrderItem)
        .join(OrderPart, OrderItem.part_id == OrderPart.id)
        .join(Order, OrderPart.order_id == Order.id)
        .where(OrderItem.id == item_id, Order.user_id == user.id)
    )
