"""The rules: verified purchase only, once per item, not by the cooperative's own managers,
one public reply, hiding with a reason (the author is told), and the product's figures."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import sqlalchemy as sa

from marketplace.catalog.images import products_folder
from marketplace.catalog.models import Product
from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.mail.queue import send_committed
from marketplace.orders.models import PartStatus
from marketplace.orders.services import change_part_status
from marketplace.reviews import services
from marketplace.reviews.models import Review, ReviewPhoto
from tests import factories as f
from tests.reviews.helpers import Shop, deliver, move, png


@pytest.fixture
def shop(app):
    return Shop()


def reload(product) -> Product:
    db.session.expire_all()
    return db.session.get(Product, product.id)


def test_a_delivered_item_is_reviewed_once(shop):
    review = services.write_review(shop.customer, shop.item(shop.lychee), 5, "  Ngọt, thơm  ")
    assert (review.rating, review.text, review.product_name) == (5, "Ngọt, thơm", "Vải thiều sấy")
    assert review.cooperative_id == shop.coop.id
    with pytest.raises(Refused, match="đã đánh giá sản phẩm này rồi"):
        services.write_review(shop.customer, shop.item(shop.lychee), 4)
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 1


@pytest.mark.parametrize("status", [PartStatus.PLACED, PartStatus.CONFIRMED, PartStatus.SHIPPED])
def test_no_review_before_delivery(app, status):
    shop = Shop(delivered=False)
    steps = {
        PartStatus.PLACED: [],
        PartStatus.CONFIRMED: [PartStatus.CONFIRMED],
        PartStatus.SHIPPED: [PartStatus.CONFIRMED, PartStatus.SHIPPED],
    }[status]
    move(shop.part, *steps)
    with pytest.raises(Refused, match="sau khi đã nhận hàng"):
        services.write_review(shop.customer, shop.item(shop.lychee), 5)


def test_a_completed_part_can_be_reviewed(shop):
    move(shop.part, PartStatus.COMPLETED)
    assert services.write_review(shop.customer, shop.item(shop.honey), 3).rating == 3


def test_a_cancelled_part_cannot_be_reviewed(app):
    shop = Shop(delivered=False)
    move(shop.part, PartStatus.CONFIRMED)
    change_part_status(shop.part, PartStatus.CANCELLED, actor="cooperative", reason="Hết hàng")
    with pytest.raises(Refused):
        services.write_review(shop.customer, shop.item(shop.lychee), 5)


def test_only_the_buyer_reviews(shop):
    stranger = f.user()
    with pytest.raises(Refused, match="Chỉ khách hàng đã mua"):
        services.write_review(stranger, shop.item(shop.lychee), 5)
    with pytest.raises(Refused, match="đăng nhập"):
        services.write_review(None, shop.item(shop.lychee), 5)


def test_a_guest_order_cannot_be_reviewed(app):
    coop = f.cooperative()
    product = f.product(coop)
    order = f.order([(product, 1)])  # no user: a guest
    deliver(order.parts[0])
    someone = f.user()
    with pytest.raises(Refused):
        services.write_review(someone, order.parts[0].items[0], 5)


def test_a_manager_of_the_cooperative_cannot_rate_its_products(app):
    shop = Shop(delivered=False)
    shop.customer.cooperatives.append(shop.coop)  # the buyer also manages the seller
    deliver(shop.part)
    with pytest.raises(Refused, match="không được đánh giá sản phẩm của hợp tác xã mình"):
        services.write_review(shop.customer, shop.item(shop.lychee), 5)


@pytest.mark.parametrize("rating", [0, 6, "", None, "năm", "3.5", -1])
def test_rating_must_be_one_to_five(shop, rating):
    with pytest.raises(Refused) as refused:
        services.write_review(shop.customer, shop.item(shop.lychee), rating)
    assert refused.value.field == "rating"


def test_text_is_capped(shop):
    with pytest.raises(Refused, match="quá dài"):
        services.write_review(shop.customer, shop.item(shop.lychee), 4, "x" * 2001)


def test_photos_are_reencoded_like_product_photos(shop):
    review = services.write_review(
        shop.customer, shop.item(shop.lychee), 5, "", [io.BytesIO(png()), io.BytesIO(png(fmt="JPEG"))]
    )
    assert [p.position for p in review.photos] == [0, 1]
    for photo in review.photos:
        assert (products_folder() / f"{photo.stem}-thumb.webp").exists()
        assert (photo.width, photo.height) == (640, 480)


def test_a_bad_photo_refuses_the_review_and_leaves_no_file(shop):
    before = set(Path(products_folder()).glob("*")) if products_folder().exists() else set()
    with pytest.raises(Refused) as refused:
        services.write_review(
            shop.customer, shop.item(shop.lychee), 5, "", [io.BytesIO(png()), io.BytesIO(b"not a picture")]
        )
    assert refused.value.field == "photos"
    db.session.rollback()
    after = set(Path(products_folder()).glob("*")) if products_folder().exists() else set()
    assert after == before
    assert db.session.scalar(sa.select(sa.func.count(ReviewPhoto.id))) == 0


def test_at_most_three_photos(shop):
    with pytest.raises(Refused, match="Tối đa 3 ảnh"):
        services.write_review(shop.customer, shop.item(shop.lychee), 5, "", [io.BytesIO(png()) for _ in range(4)])


def test_counters_follow_visible_reviews(shop):
    services.write_review(shop.customer, shop.item(shop.lychee), 5)
    buyer = f.user()
    order = f.order([(shop.lychee, 1)], user=buyer)
    deliver(order.parts[0])
    second = services.write_review(buyer, order.parts[0].items[0], 2)
    product = reload(shop.lychee)
    assert (product.rating_count, product.rating_sum, product.rating_average) == (2, 7, 3.5)
    summary = services.summary(shop.lychee.id)
    assert summary.distribution == {5: 1, 4: 0, 3: 0, 2: 1, 1: 0}
    services.hide(db.session.get(Review, second.id), shop.staff, "Ngôn từ không phù hợp")
    product = reload(shop.lychee)
    assert (product.rating_count, product.rating_sum) == (1, 5)
    assert services.summary(shop.lychee.id).count == 1
    assert services.cooperative_rating(shop.coop.id) == (5.0, 1)


def test_the_cooperative_replies_once(shop):
    review = services.write_review(shop.customer, shop.item(shop.lychee), 4, "Ngon")
    with pytest.raises(Refused, match="Hãy viết nội dung phản hồi"):
        services.reply(review, shop.manager, "   ")
    services.reply(review, shop.manager, "Cảm ơn bạn!")
    assert (review.reply_text, review.reply_by_id) == ("Cảm ơn bạn!", shop.manager.id)
    assert review.replied_at is not None
    with pytest.raises(Refused, match="đã phản hồi đánh giá này rồi"):
        services.reply(review, shop.manager, "Lần nữa")


def test_only_own_managers_reply(shop):
    review = services.write_review(shop.customer, shop.item(shop.lychee), 4)
    other_manager = f.manager(f.cooperative())
    for person in (other_manager, shop.customer, shop.staff):
        with pytest.raises(Refused, match="Chỉ người quản lý của hợp tác xã"):
            services.reply(review, person, "Xin chào")
    assert review.reply_text is None


def test_staff_hide_with_a_reason_and_the_author_is_told(shop, outbox):
    review = services.write_review(shop.customer, shop.item(shop.lychee), 1, "Tệ")
    with pytest.raises(Refused, match="Hãy nêu lý do"):
        services.hide(review, shop.staff, " ")
    for person in (shop.manager, shop.customer):
        with pytest.raises(Refused, match="Chỉ cán bộ"):
            services.hide(review, person, "Spam")
    services.hide(review, shop.staff, "Quảng cáo sản phẩm khác")
    assert review.is_hidden and review.hidden_by_id == shop.staff.id
    with pytest.raises(Refused, match="đã bị ẩn rồi"):
        services.hide(review, shop.staff, "Lần nữa")
    db.session.commit()  # the queued email goes out after the commit (at the request's end)
    send_committed()
    mails = [m for m in outbox if m["To"] == "khach@example.vn"]
    assert len(mails) == 1
    body = mails[0].get_body(("plain",)).get_content()
    assert "Quảng cáo sản phẩm khác" in body and "Vải thiều sấy" in body


def test_a_rollback_sends_no_email(shop, outbox):
    review = services.write_review(shop.customer, shop.item(shop.lychee), 1)
    db.session.commit()
    services.hide(review, shop.staff, "Spam")
    db.session.rollback()
    send_committed()
    assert not [m for m in outbox if m["To"] == "khach@example.vn"]


def test_units_sold_counts_delivered_parts_once(app):
    shop = Shop(delivered=False)
    assert reload(shop.lychee).units_sold == 0
    move(shop.part, PartStatus.CONFIRMED, PartStatus.SHIPPED)
    assert reload(shop.lychee).units_sold == 0
    move(shop.part, PartStatus.DELIVERED)
    assert (reload(shop.lychee).units_sold, reload(shop.honey).units_sold) == (2, 1)
    move(shop.part, PartStatus.COMPLETED)
    assert reload(shop.lychee).units_sold == 2


def test_order_page_state(shop):
    review = services.write_review(shop.customer, shop.item(shop.lychee), 5)
    state = services.order_review_state(shop.order, shop.customer)
    assert state == {shop.item(shop.lychee).id: review, shop.item(shop.honey).id: True}
    assert services.order_review_state(shop.order, f.user()) == {}


def test_the_migration_backfills_units_sold_from_delivered_and_completed_parts(app):
    import importlib.util

    from flask import current_app

    path = Path(current_app.root_path).parent / "migrations/versions/20261202_d3e4f5061728_product_reviews.py"
    spec = importlib.util.spec_from_file_location("product_reviews_migration", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    shop = Shop()  # delivered: 2 lychees, 1 honey
    move(shop.part, PartStatus.COMPLETED)
    later = f.order([(shop.lychee, 5)], user=shop.customer)  # placed only: not sold yet
    cancelled = f.order([(shop.honey, 4)], user=shop.customer)
    change_part_status(cancelled.parts[0], PartStatus.CANCELLED, actor="customer")
    db.session.execute(sa.update(Product).values(units_sold=0))
    db.session.execute(sa.text(migration.BACKFILL_UNITS_SOLD))
    assert (reload(shop.lychee).units_sold, reload(shop.honey).units_sold) == (2, 1)
    assert later.parts[0].status == PartStatus.PLACED


def test_the_same_item_reviewed_twice_at_once_counts_once(shop, monkeypatch):
    services.write_review(shop.customer, shop.item(shop.lychee), 5, "", [io.BytesIO(png())])
    db.session.commit()
    files = sorted(products_folder().glob("*"))
    # A second request that checked before the first one committed.
    monkeypatch.setattr(services, "check_can_review", lambda user, item: None)
    with pytest.raises(Refused, match="đã đánh giá sản phẩm này rồi"):
        services.write_review(shop.customer, shop.item(shop.lychee), 1, "", [io.BytesIO(png())])
    db.session.rollback()
    assert sorted(products_folder().glob("*")) == files  # its photo is gone too
    assert (reload(shop.lychee).rating_count, reload(shop.lychee).rating_sum) == (1, 5)


def test_a_reply_or_hiding_that_lost_the_race_changes_nothing(shop):
    review = services.write_review(shop.customer, shop.item(shop.lychee), 4)
    db.session.commit()
    assert review.reply_text is None and review.hidden_at is None  # as this request read it
    # Meanwhile another request replied and hid it (this session's copy is not told).
    db.session.execute(
        sa.update(Review)
        .values(
            reply_text="Đã trả lời", replied_at=review.created_at, hidden_at=review.created_at, hidden_reason="Đã ẩn"
        )
        .execution_options(synchronize_session=False)
    )
    stale = review
    with pytest.raises(Refused, match="đã phản hồi"):
        services.reply(stale, shop.manager, "Lần hai")
    with pytest.raises(Refused, match="đã bị ẩn rồi"):
        services.hide(stale, shop.staff, "Lần hai")
    assert reload(shop.lychee).rating_count == 1
