"""End-to-end journeys in headless Chromium against a live server with the demo data."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from marketplace.catalog.models import Product
from marketplace.demo import data as demo
from marketplace.demo.loader import load_demo
from marketplace.extensions import db

pytestmark = pytest.mark.browser

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-home.png"
MANAGER = next(u for u in demo.USERS if u.email.startswith("quanly.yenthe"))
COOPERATIVE_SLUG = MANAGER.cooperatives[0]


@pytest.fixture
def demo_site(app, live_server):
    # 400 px pictures: small enough to draw fast, big enough for a presentable screenshot.
    load_demo(image_width=400)
    db.session.commit()
    return live_server


def jpeg_photo() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (196, 120, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_visitor_goes_from_home_to_a_category_to_a_product(demo_site, page, tmp_path):
    page.goto(demo_site + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    # The README's picture is refreshed on request only: a test run leaves the checkout as it was.
    page.screenshot(path=str(SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") == "1" else tmp_path / "home.png"))

    page.locator("a.category-tile").first.click()
    page.wait_for_url("**/categories/**")
    category_heading = page.locator("h1").inner_text()
    assert category_heading

    page.locator("main a[href^='/products/']").first.click()
    page.wait_for_url("**/products/**")
    product_name = page.locator("h1").inner_text()
    product = db.session.scalar(select(Product).where(Product.name == product_name))
    assert product is not None and product.is_public
    main_text = page.locator("main").inner_text()
    assert f"{product.price_vnd:,}".replace(",", ".") + "\xa0₫" in main_text
    assert product.cooperative.name in main_text


def test_manager_adds_a_product_with_a_photo_and_sees_it_on_the_storefront(demo_site, page, tmp_path):
    page.goto(demo_site + "/account/login")
    page.fill("#email", MANAGER.email)
    page.fill("#password", MANAGER.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(demo_site + "/")

    page.goto(f"{demo_site}/workspace/{COOPERATIVE_SLUG}/products/new")
    page.fill("#name", "Trứng gà đồi Yên Thế")
    page.select_option("#category_id", index=1)
    page.select_option("#unit", "hộp")
    page.fill("#price_vnd", "65.000")
    page.fill("#stock", "40")
    page.fill("#sku", "TRUNG-10")
    page.select_option("#status", "active")
    page.locator("main form.workspace-form button[type=submit]").click()
    page.wait_for_url("**/edit")

    photo = tmp_path / "trung-ga.jpg"
    photo.write_bytes(jpeg_photo())
    page.set_input_files("#photos", str(photo))
    page.fill("#alt_text", "Hộp 10 quả trứng gà đồi")
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_load_state()

    product = db.session.scalar(select(Product).where(Product.sku == "TRUNG-10"))
    assert product is not None and len(product.images) == 1

    page.goto(f"{demo_site}/products/{product.slug}")
    assert page.locator("h1").inner_text() == "Trứng gà đồi Yên Thế"
    assert "65.000\xa0₫" in page.locator("main").inner_text()
    photo_element = page.locator("img[alt='Hộp 10 quả trứng gà đồi']").first
    assert photo_element.evaluate("img => img.complete && img.naturalWidth > 0")

    page.goto(demo_site + "/products?sort=newest")
    assert "Trứng gà đồi Yên Thế" in page.locator("main").inner_text()


PHONE_SCREENSHOT = SCREENSHOT.with_name("screenshot-phone.png")


def test_a_shopper_on_a_phone_sees_a_reviewed_product_with_its_rating_and_units_sold(demo_site, browser, tmp_path):
    """The README's phone picture: a demo product that its buyer reviewed, at 390×844."""
    product = db.session.scalar(select(Product).where(Product.rating_count > 0).order_by(Product.id))
    assert product is not None, "the demo has a reviewed product"
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN", device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(demo_site + f"/products/{product.slug}")
        main_text = page.locator("main").inner_text()
        assert "Đã bán" in main_text
        assert "đánh giá" in main_text.lower()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        target = PHONE_SCREENSHOT if os.environ.get("UPDATE_SCREENSHOT") == "1" else tmp_path / "phone.png"
        page.screenshot(path=str(target))
    finally:
        context.close()
