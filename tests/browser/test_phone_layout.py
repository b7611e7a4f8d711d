"""Shopping on a phone (390×844) and on a laptop (1366×900): a short sticky header with a
"Menu" button, filters folded behind "Bộ lọc" so products come first, no page wider than
the screen, and a manager's orders as cards whose totals are whole."""

from __future__ import annotations

import os
import re

import pytest
from sqlalchemy import select

from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.demo import data as demo
from marketplace.demo.loader import load_demo
from marketplace.extensions import db
from marketplace.orders.models import OrderPart

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}


@pytest.fixture
def demo_site(app, live_server):
    load_demo(image_width=96)
    db.session.commit()
    return live_server


def shot(page, name: str) -> None:
    """PHONE_LAYOUT_SHOTS=<folder>: keep screenshots to look at."""
    folder = os.environ.get("PHONE_LAYOUT_SHOTS")
    if folder:
        width = page.viewport_size["width"]
        page.screenshot(path=f"{folder}/{width}-{name}.png", full_page=name == "orders")


def page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def assert_no_sideways_scroll(page, what: str) -> None:
    scroll_width, viewport = page_width(page)
    assert scroll_width <= viewport, f"{what}: {scroll_width} px wide in a {viewport} px window"


def a_manager_with_orders():
    for user in demo.USERS:
        for slug in user.cooperatives:
            part = db.session.scalar(
                select(OrderPart.id)
                .join(Cooperative, Cooperative.id == OrderPart.cooperative_id)
                .where(Cooperative.slug == slug)
                .limit(1)
            )
            if part is not None:
                return user, slug
    raise AssertionError("the demo data has no cooperative with an order")


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["phone", "laptop"])
def test_header_filters_and_widths(demo_site, browser, viewport):
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    phone = viewport is PHONE
    header = page.locator("header.site-header")
    menu_button = page.locator("button.menu-toggle")
    products_link = page.locator(".main-nav a[href='/products']")

    page.goto(demo_site + "/")
    shot(page, "home")
    assert_no_sideways_scroll(page, "home")
    if phone:
        assert header.bounding_box()["height"] <= 120
        # Logo, "Menu" and the cart on one line, the search box under them, the whole width.
        tops = [page.locator(sel).bounding_box()["y"] for sel in (".brand", "button.menu-toggle", ".cart-link")]
        assert max(tops) - min(tops) < 20, tops
        assert page.locator("#site-search-q").bounding_box()["width"] > 250
        assert not products_link.is_visible()
        assert menu_button.get_attribute("aria-expanded") == "false"
        assert menu_button.get_attribute("aria-controls") == "site-menu"
        menu_button.click()
        shot(page, "menu")
        assert menu_button.get_attribute("aria-expanded") == "true"
        assert products_link.is_visible() and page.locator(".user-nav a[href^='/account/login']").is_visible()
        page.keyboard.press("Escape")
        assert not products_link.is_visible()
        # Sticky: still at the top of the window after scrolling down.
        page.evaluate("window.scrollTo(0, 1500)")
        assert page.evaluate("window.scrollY") > 500
        assert abs(header.bounding_box()["y"]) < 1
    else:
        assert not menu_button.is_visible()
        assert products_link.is_visible() and page.locator(".user-nav a[href^='/account/login']").is_visible()

    page.goto(demo_site + "/products?youth=1&ocop_min=3")
    shot(page, "products")
    assert_no_sideways_scroll(page, "/products")
    panel = page.locator("details.filter-panel")
    assert re.fullmatch(r"Bộ lọc \(2\)", panel.locator("summary").inner_text().strip())
    first_card = page.locator(".product-card").first
    if phone:
        assert panel.get_attribute("open") is None
        assert not page.locator("#filter-province").is_visible()
        assert first_card.bounding_box()["y"] < PHONE["height"], "no product in the first screen"
        panel.locator("summary").click()
        assert page.locator("#filter-province").is_visible()
    else:
        assert panel.get_attribute("open") is not None
        assert page.locator("#filter-province").is_visible()

    product = db.session.scalars(select(Product).order_by(Product.id)).first()
    page.goto(f"{demo_site}/products/{product.slug}")
    shot(page, "product")
    assert_no_sideways_scroll(page, "a product page")

    manager, slug = a_manager_with_orders()
    page.goto(demo_site + "/account/login")
    page.fill("#email", manager.email)
    page.fill("#password", manager.password)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(demo_site + "/")
    page.goto(f"{demo_site}/workspace/{slug}/orders")
    shot(page, "orders")
    assert_no_sideways_scroll(page, "the workspace orders")
    row = page.locator("table.orders-table tbody tr").first
    for label in ("Tổng cộng", "Thanh toán", "Trạng thái"):
        cell = row.locator(f"td[data-label='{label}']")
        box = cell.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], label
    total = row.locator("td[data-label='Tổng cộng']")
    assert re.search(r"\d{1,3}(\.\d{3})+\s₫$", total.inner_text().strip()), total.inner_text()
    # Nothing of the total is cut or hidden under a scroll.
    assert total.evaluate("td => td.scrollWidth <= td.clientWidth")
    if phone:
        # One card per order: the column's name before each value.
        assert total.evaluate("td => getComputedStyle(td, '::before').content") == '"Tổng cộng"'
    context.close()


def test_without_javascript_the_menu_link_shows_the_navigation(demo_site, browser):
    context = browser.new_context(viewport=PHONE, locale="vi-VN", java_script_enabled=False)
    page = context.new_page()
    page.goto(demo_site + "/products")
    products_link = page.locator(".main-nav a[href='/products']")
    assert not products_link.is_visible()
    page.locator("a.menu-toggle").click()
    assert products_link.is_visible()
    # Filters still reachable by their summary.
    page.locator("details.filter-panel summary").click()
    assert page.locator("#filter-province").is_visible()
    context.close()
