"""Review pages: what shoppers see (and when the cached pages change), the buyer's form,
the cooperative's replies, the agency's hiding, and who may open what."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from marketplace.catalog.images import products_folder
from marketplace.catalog.models import Category, Product
from marketplace.extensions import db
from marketplace.orders.models import PartStatus
from marketplace.reviews import services
from marketplace.reviews.models import Review
from marketplace.reviews.views import format_compact_count, format_rating, public_name
from tests import factories as f
from tests.reviews.helpers import Shop, deliver, move, png
from tests.test_bad_input import client_of, fuzz_form, world  # noqa: F401


@pytest.fixture
def shop(app):
    shop = Shop()
    f.commit()
    return shop


def text(response) -> str:
    return " ".join(response.get_data(as_text=True).split())


def buyer_review(shop, product=None, rating=5, words="Vải ngọt, đóng gói cẩn thận", **extra):
    review = services.write_review(shop.customer, shop.item(product or shop.lychee), rating, words, **extra)
    f.commit()
    return review


def second_buyer_review(shop, rating, words, product=None):
    buyer = f.user(full_name="Phạm Minh Tuấn")
    order = f.order([(product or shop.lychee, 1)], user=buyer)
    deliver(order.parts[0])
    review = services.write_review(buyer, order.parts[0].items[0], rating, words)
    f.commit()
    return review


# --- figures as shown ------------------------------------------------------------------------


def test_figures_are_written_the_vietnamese_way(app):
    assert format_rating(4.5) == "4,5"
    assert format_rating(4.46) == "4,5"
    assert format_rating(5) == "5,0"
    assert format_compact_count(999) == "999"
    assert format_compact_count(1234) == "1,2k"
    assert format_compact_count(1999) == "1,9k"  # never more than was sold
    assert format_compact_count(15000) == "15k"
    with force_locale("en"):
        assert format_rating(4.5) == "4.5"
    assert public_name("Lê Thị Hoa") == "L. T. Hoa"
    assert public_name("Hoa") == "Hoa"


# --- public pages and the cache ----------------------------------------------------------------


def test_product_page_shows_the_reviews(client, shop):
    page = text(client.get("/products/vai-say"))
    assert "Chưa có đánh giá" in page
    buyer_review(shop, photos=[io.BytesIO(png())])
    second_buyer_review(shop, 4, "Hơi chua")
    page = text(client.get("/products/vai-say"))
    assert "<strong>4,5</strong>" in page
    assert 'href="#reviews"' in page and "Đã bán 3" in page  # under the price
    assert "2 đánh giá" in page
    assert "Vải ngọt, đóng gói cẩn thận" in page and "Hơi chua" in page
    assert "L. T. Hoa" in page and "Lê Thị Hoa" not in page  # a shortened name, never the full one
    assert page.index("Hơi chua") < page.index("Vải ngọt")  # newest first
    assert page.count("<meter") == 5
    photo = db.session.scalars(sa.select(Review)).first().photos[0]
    assert f"/media/products/{photo.stem}-thumb.webp" in page
    assert client.get(f"/media/products/{photo.stem}-thumb.webp").status_code == 200


def test_a_new_review_reply_and_hiding_show_on_the_next_request(client, shop):
    assert "Chưa có đánh giá" in text(client.get("/products/vai-say"))
    review = buyer_review(shop, rating=4)
    page = text(client.get("/products/vai-say"))
    assert "Vải ngọt, đóng gói cẩn thận" in page and "<strong>4,0</strong>" in page
    services.reply(db.session.get(Review, review.id), shop.manager, "Cảm ơn chị đã ủng hộ!")
    f.commit()
    assert "Cảm ơn chị đã ủng hộ!" in text(client.get("/products/vai-say"))
    services.hide(db.session.get(Review, review.id), shop.staff, "Thử ẩn")
    f.commit()
    page = text(client.get("/products/vai-say"))
    assert "Vải ngọt, đóng gói cẩn thận" not in page and "Chưa có đánh giá" in page


def test_cards_show_stars_and_units_sold_and_change_with_them(client, app):
    shop = Shop(delivered=False)
    f.commit()
    listing = text(client.get("/products"))
    assert "Đã bán" not in listing
    deliver(shop.part)
    f.commit()
    listing = text(client.get("/products"))
    assert "Đã bán 2" in listing and "Đã bán 1" in listing
    buyer_review(shop, rating=5)
    listing = text(client.get("/products"))
    assert "5,0" in listing and "1 đánh giá" in listing
    cooperative = text(client.get("/cooperatives/vai-thieu"))
    assert "<strong>5,0</strong>" in cooperative


def test_a_thousand_sold_is_written_short(client, app):
    f.product(units_sold=1234, slug="ban-chay")
    f.commit()
    assert "Đã bán 1,2k" in text(client.get("/products"))


def test_all_reviews_page_is_paged(client, shop):
    for n in range(12):
        second_buyer_review(shop, 5, f"Đánh giá số {n}")
    page = text(client.get("/products/vai-say"))
    assert "Xem tất cả 12 đánh giá" in page and "Đánh giá số 1 " not in page
    first = text(client.get("/products/vai-say/reviews"))
    second = text(client.get("/products/vai-say/reviews?page=2"))
    assert "Đánh giá số 11" in first and "Đánh giá số 0" in second
    assert client.get("/products/khong-co/reviews").status_code == 404


def test_an_archived_product_has_no_review_page(client, shop):
    shop.lychee.status = shop.lychee.status.ARCHIVED
    f.commit()
    assert client.get("/products/vai-say/reviews").status_code == 404


# --- the buyer ---------------------------------------------------------------------------------


def test_the_order_page_links_each_delivered_item_to_its_review(app, shop):
    customer = client_of(app, shop.customer)
    page = text(customer.get(f"/orders/{shop.order.number}"))
    assert page.count("/account/reviews/items/") == 2
    buyer_review(shop)
    page = text(customer.get(f"/orders/{shop.order.number}"))
    assert page.count("/account/reviews/items/") == 1
    assert "Bạn đã chấm 5/5 sao" in page
    # The token holder who is not signed in sees no review link.
    guest = app.test_client()
    page = text(guest.get(f"/orders/{shop.order.number}?token={shop.order.tracking_token}"))
    assert "/account/reviews/items/" not in page


def test_no_review_link_before_delivery(app):
    shop = Shop(delivered=False)
    move(shop.part, PartStatus.CONFIRMED)
    f.commit()
    page = text(client_of(app, shop.customer).get(f"/orders/{shop.order.number}"))
    assert "/account/reviews/items/" not in page


def test_the_buyer_reviews_with_a_photo(app, shop):
    customer = client_of(app, shop.customer)
    item = shop.item(shop.lychee)
    form = customer.get(f"/account/reviews/items/{item.id}")
    assert form.status_code == 200 and 'type="radio"' in text(form)
    response = customer.post(
        f"/account/reviews/items/{item.id}",
        data={
            "rating": "4",
            "text": "Ngon",
            "photos": [(io.BytesIO(png()), "vai.png")],
        },
        follow_redirects=True,
    )
    assert "Đánh giá của bạn đã được đăng" in text(response)
    review = db.session.scalars(sa.select(Review)).one()
    assert (review.rating, review.text, len(review.photos)) == (4, "Ngon", 1)
    # Once only: the form now sends them to the review they wrote.
    again = customer.post(f"/account/reviews/items/{item.id}", data={"rating": "1"}, follow_redirects=True)
    assert "Bạn đã đánh giá sản phẩm này rồi" in text(again)
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 1


def test_a_bad_photo_or_missing_rating_changes_nothing(app, shop):
    customer = client_of(app, shop.customer)
    item = shop.item(shop.lychee)
    response = customer.post(
        f"/account/reviews/items/{item.id}",
        data={"rating": "5", "photos": [(io.BytesIO(b"<?php echo 1; ?>"), "a.jpg")]},
    )
    assert response.status_code == 200 and "JPEG, PNG, WebP hoặc GIF" in text(response)
    response = customer.post(f"/account/reviews/items/{item.id}", data={"text": "Không chấm sao"})
    assert "Hãy chọn từ 1 đến 5 sao" in text(response)
    response = customer.post(
        f"/account/reviews/items/{item.id}",
        data={"rating": "5", "photos": [(io.BytesIO(png()), f"{n}.png") for n in range(4)]},
    )
    assert "Tối đa 3 ảnh" in text(response)
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_a_review_that_clashes_when_saved_leaves_nothing(app, shop, monkeypatch):
    """The same form sent twice at once: the second one's changes fail when they are written,
    after the review and its photo were made; the answer says so and nothing of it is kept."""
    customer = client_of(app, shop.customer)
    item = shop.item(shop.lychee)
    taken = shop.lychee.category.slug
    write_review = services.write_review

    def clashing(*args, **kwargs):
        review = write_review(*args, **kwargs)
        db.session.add(Category(name="Trùng", slug=taken))  # fails when the changes are flushed
        return review

    monkeypatch.setattr(services, "write_review", clashing)
    response = customer.post(
        f"/account/reviews/items/{item.id}", data={"rating": "4", "photos": [(io.BytesIO(png()), "vai.png")]}
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/reviews")
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0
    assert db.session.get(Product, shop.lychee.id).rating_count == 0
    assert not list(products_folder().glob("*"))


def test_who_may_open_the_review_form(app, shop):
    item = shop.item(shop.lychee)
    url = f"/account/reviews/items/{item.id}"
    assert app.test_client().get(url).status_code == 302  # to sign in
    stranger = f.user()
    db.session.commit()  # the 404s below roll back what the session holds uncommitted
    for person in (stranger, shop.manager, shop.staff):
        assert client_of(app, person).get(url).status_code == 404
        assert client_of(app, person).post(url, data={"rating": "5"}).status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_not_delivered_yet_is_explained(app):
    shop = Shop(delivered=False)
    f.commit()
    customer = client_of(app, shop.customer)
    url = f"/account/reviews/items/{shop.item(shop.lychee).id}"
    response = customer.get(url)
    assert response.status_code == 403 and "sau khi đã nhận hàng" in text(response)
    assert customer.post(url, data={"rating": "5"}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_my_reviews_show_why_one_was_hidden(app, shop):
    review = buyer_review(shop)
    services.hide(db.session.get(Review, review.id), shop.staff, "Có số điện thoại cá nhân")
    f.commit()
    customer = client_of(app, shop.customer)
    assert 'href="/account/reviews"' in text(customer.get("/"))  # "Đánh giá của tôi" in the header
    page = text(customer.get("/account/reviews"))
    assert "Vải ngọt, đóng gói cẩn thận" in page and "Có số điện thoại cá nhân" in page
    assert app.test_client().get("/account/reviews").status_code == 302


# --- the cooperative ---------------------------------------------------------------------------


def test_the_cooperative_replies_from_its_workspace(app, shop):
    review = buyer_review(shop)
    manager = client_of(app, shop.manager)
    page = text(manager.get("/workspace/vai-thieu/reviews/"))
    assert "Vải ngọt, đóng gói cẩn thận" in page and f"/reviews/{review.id}/reply" in page
    empty = manager.post(f"/workspace/vai-thieu/reviews/{review.id}/reply", data={"text": "  "}, follow_redirects=True)
    assert "Hãy viết nội dung phản hồi" in text(empty)
    done = manager.post(
        f"/workspace/vai-thieu/reviews/{review.id}/reply", data={"text": "Cảm ơn bạn"}, follow_redirects=True
    )
    assert "Phản hồi của bạn đã được đăng" in text(done)
    twice = manager.post(
        f"/workspace/vai-thieu/reviews/{review.id}/reply", data={"text": "Lần hai"}, follow_redirects=True
    )
    assert "đã phản hồi đánh giá này rồi" in text(twice)
    db.session.expire_all()
    assert db.session.get(Review, review.id).reply_text == "Cảm ơn bạn"


def test_workspace_reviews_access(app, shop):
    review = buyer_review(shop)
    other_coop = f.cooperative(slug="khac")
    other = f.manager(other_coop)
    f.commit()
    url = "/workspace/vai-thieu/reviews/"
    reply = f"/workspace/vai-thieu/reviews/{review.id}/reply"
    assert app.test_client().get(url).status_code == 302
    for person in (other, shop.customer, shop.staff):
        assert client_of(app, person).get(url).status_code == 403
        assert client_of(app, person).post(reply, data={"text": "Xin chào"}).status_code == 403
    # Another cooperative's manager on their own workspace cannot reach this review either.
    assert (
        client_of(app, other).post(f"/workspace/khac/reviews/{review.id}/reply", data={"text": "x"}).status_code == 404
    )
    assert client_of(app, f.admin()).get(url).status_code == 200
    db.session.expire_all()
    assert db.session.get(Review, review.id).reply_text is None


# --- agency staff ------------------------------------------------------------------------------


def test_staff_hide_a_review_with_a_reason(app, shop, outbox):
    review = buyer_review(shop)
    staff = client_of(app, shop.staff)
    page = text(staff.get("/agency/reviews/"))
    assert "Vải ngọt, đóng gói cẩn thận" in page and f"/agency/reviews/{review.id}/hide" in page
    refused = staff.post(f"/agency/reviews/{review.id}/hide", data={"reason": " "}, follow_redirects=True)
    assert "Hãy nêu lý do ẩn đánh giá này" in text(refused)
    db.session.expire_all()
    assert not db.session.get(Review, review.id).is_hidden
    done = staff.post(f"/agency/reviews/{review.id}/hide", data={"reason": "Quảng cáo"}, follow_redirects=True)
    assert "Đánh giá đã được ẩn" in text(done)
    db.session.expire_all()
    assert db.session.get(Review, review.id).hidden_reason == "Quảng cáo"
    assert [m["To"] for m in outbox] == ["khach@example.vn"]
    assert "Quảng cáo" in text(staff.get("/agency/reviews/?show=hidden"))
    assert "Vải ngọt" not in text(staff.get("/agency/reviews/?show=visible"))
    assert staff.get("/agency/reviews/?show=<x>").status_code == 200


def test_agency_reviews_access(app, shop):
    review = buyer_review(shop)
    url, hide = "/agency/reviews/", f"/agency/reviews/{review.id}/hide"
    assert app.test_client().get(url).status_code == 302
    for person in (shop.customer, shop.manager):
        assert client_of(app, person).get(url).status_code == 403
        assert client_of(app, person).post(hide, data={"reason": "x"}).status_code == 403
    assert client_of(app, f.admin()).get(url).status_code == 200
    assert client_of(app, shop.staff).post("/agency/reviews/999999/hide", data={"reason": "x"}).status_code == 404
    db.session.expire_all()
    assert not db.session.get(Review, review.id).is_hidden


# --- bad input ---------------------------------------------------------------------------------


def test_review_forms_cope_with_bad_input(app, world):  # noqa: F811
    customer, product = world["customer"], world["product"]
    order = f.order([(product, 2)], user=customer)
    deliver(order.parts[0])
    item = order.parts[0].items[0]
    other_buyer = f.user()
    other_order = f.order([(product, 1)], user=other_buyer)
    deliver(other_order.parts[0])
    f.commit()
    written = services.write_review(other_buyer, other_order.parts[0].items[0], 3, "Được")
    f.commit()
    url = f"/account/reviews/items/{item.id}"
    # Without a rating every post is refused; with one the first is published, the rest are sent on.
    assert fuzz_form(client_of(app, customer), url, url, files={"photos": (b"<?php echo 1; ?>", "a.jpg")}) > 3
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 1
    fuzz_form(client_of(app, customer), url, url, {"rating": "5"})
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 2
    fuzz_form(client_of(app, world["manager"]), "/workspace/vai-thieu/reviews/", f"/reviews/{written.id}/reply")
    fuzz_form(client_of(app, world["staff"]), "/agency/reviews/", f"/reviews/{written.id}/hide")
