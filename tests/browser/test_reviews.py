"""On a 390px phone and a 1366px laptop: the buyer reviews a delivered item with a photo, the cooperative replies,
agency staff hide another review; the product card shows the stars and "Đã bán"."""

from __future__ import annotations

import pytest

from marketplace.reviews import services
from tests import factories as f
from tests.reviews.helpers import Shop, deliver, png

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def signed_in(browser, live_server, email, viewport=PHONE):
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server}/account/login")
    page.fill("#email", email)
    page.fill("#password", f.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return context, page


def fits_the_phone(page) -> bool:
    """Nothing wider than the window (a phone's, or a laptop's)."""
    return page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1366, "height": 900}], ids=["phone", "laptop"])
def test_review_reply_and_hide(app, live_server, browser, viewport):
    shop = Shop()  # delivered by the cooperative through the services
    other = f.user(full_name="Phạm Minh Tuấn")
    other_order = f.order([(shop.honey, 1)], user=other)
    deliver(other_order.parts[0])
    services.write_review(other, other_order.parts[0].items[0], 1, "Mua hàng giá rẻ tại trang khác")
    f.commit()

    context, page = signed_in(browser, live_server, "khach@example.vn", viewport)
    try:
        page.goto(f"{live_server}/orders/{shop.order.number}")
        page.get_by_role("link", name="Đánh giá Vải thiều sấy").click()
        page.wait_for_url("**/account/reviews/items/*")
        page.get_by_label("4 sao: tốt").check()
        page.fill("#text", "Vải sấy ngọt, giao nhanh")
        page.set_input_files("#photos", {"name": "vai.png", "mimeType": "image/png", "buffer": png()})
        assert fits_the_phone(page)
        page.get_by_role("button", name="Đăng đánh giá").click()
        page.wait_for_url("**/account/reviews")
        assert "Đánh giá của bạn đã được đăng" in page.locator("main").inner_text()
        assert page.locator(".review-photos img").count() == 1
    finally:
        context.close()

    context, page = signed_in(browser, live_server, "quanly@example.vn", viewport)
    try:
        page.goto(f"{live_server}/workspace/vai-thieu/reviews/")
        review = page.locator("article.review", has_text="Vải sấy ngọt")
        review.get_by_label("Phản hồi công khai của bạn").fill("Cảm ơn chị đã ủng hộ HTX!")
        assert fits_the_phone(page)
        review.get_by_role("button", name="Đăng phản hồi").click()
        page.wait_for_load_state()
        assert "Phản hồi của bạn đã được đăng" in page.locator("main").inner_text()
    finally:
        context.close()

    context, page = signed_in(browser, live_server, "canbo@example.vn", viewport)
    try:
        page.goto(f"{live_server}/agency/reviews/")
        spam = page.locator("article.review", has_text="trang khác")
        spam.get_by_label("Lý do (gửi cho người viết)").fill("Quảng cáo nơi bán khác")
        spam.get_by_role("button", name="Ẩn đánh giá này").click()
        page.wait_for_load_state()
        assert "Đánh giá đã được ẩn" in page.locator("main").inner_text()
    finally:
        context.close()

    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server}/products")
        card = page.locator("article.product-card", has_text="Vải thiều sấy")
        figures = card.locator(".product-card-figures").inner_text()
        assert "★" in figures and "4,0" in figures and "Đã bán 2" in figures
        honey = page.locator("article.product-card", has_text="Mật ong rừng").inner_text()
        assert "Đã bán 2" in honey and "★" not in honey  # its only review is hidden
        assert fits_the_phone(page)
        page.goto(f"{live_server}/products/vai-say")
        reviews = page.locator("#reviews").inner_text()
        assert "Vải sấy ngọt, giao nhanh" in reviews and "Cảm ơn chị đã ủng hộ HTX!" in reviews
        assert page.locator("#reviews .review-photos img").count() == 1
        page.goto(f"{live_server}/products/mat-ong")
        assert "trang khác" not in page.locator("main").inner_text()
        assert fits_the_phone(page)
    finally:
        context.close()
