"""On a phone (390×844), and on a laptop (1366×900): a guest sees what they pay at checkout, change as they choose pickup
(without the page reloading), is told that bank transfer means one transfer per cooperative,
and pays by transfer without giving an email. Money is written by the script as the server
writes it, in Vietnamese and in English."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders.models import Order
from tests import factories as f

pytestmark = pytest.mark.browser


@pytest.fixture(params=[(390, 844), (1366, 900)], ids=["phone", "laptop"])
def phone(browser, request):
    width, height = request.param
    mobile = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale="vi-VN", is_mobile=mobile, has_touch=mobile
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def shop(app, live_server):
    bank = {"bank_bin": "970436", "bank_account_name": "HTX"}
    lychee_coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="vai-thieu",
        delivery_fee_vnd=30_000,
        free_delivery_from_vnd=500_000,
        offers_pickup=True,
        bank_account_number="0011001234567",
        **bank,
    )
    honey_coop = f.cooperative(
        "HTX Mật ong Sóc Sơn",
        slug="mat-ong",
        delivery_fee_vnd=25_000,
        offers_pickup=False,
        bank_account_number="0011007654321",
        **bank,
    )
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10, slug="vai-say")
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=10, slug="mat-ong-rung")
    f.commit()
    return type("Shop", (), {**locals(), "url": live_server})


def dong(text: str) -> int:
    assert "₫" in text, text
    return int(re.sub(r"\D", "", text))


def test_guest_sees_the_total_change_with_pickup_and_pays_two_transfers_without_email(shop, phone):
    page = phone
    for product, quantity in ((shop.lychee, 2), (shop.honey, 1)):
        page.goto(f"{shop.url}/products/{product.slug}")
        page.fill("#add-quantity", str(quantity))
        page.locator("form.add-to-cart").get_by_role("button", name="Thêm vào giỏ").click()
        page.wait_for_url("**/cart")
    assert "Giao tận nhà 30.000\xa0₫, miễn phí từ 500.000\xa0₫" in page.locator("main").inner_text()

    page.locator("main a[href='/checkout']").click()
    page.wait_for_url("**/checkout")
    total = page.locator("[data-total=total]")
    assert dong(total.inner_text()) == 240_000 + 30_000 + 250_000 + 25_000
    expect(page.locator("input[name=recalculate]")).to_be_hidden()  # the script keeps the figures current
    page.evaluate("window.stillTheSamePage = true")

    page.check(f"#delivery-{shop.lychee_coop.id}-pickup")

    expect(total).to_have_text(re.compile(r"^515\.000\s₫$"))
    lychee_total = page.locator(f"strong[data-group-total='{shop.lychee_coop.id}']")
    assert dong(page.locator(f"[data-group-fee='{shop.lychee_coop.id}']").inner_text()) == 0
    assert dong(lychee_total.inner_text()) == 240_000
    assert dong(page.locator("[data-total=delivery]").inner_text()) == 25_000
    assert page.evaluate("window.stillTheSamePage") is True  # no reload

    note = page.locator("#transfer-split")
    note.scroll_into_view_if_needed()
    expect(note).to_be_visible()
    text = note.inner_text()
    assert "2 lần chuyển khoản riêng" in text
    assert "HTX Vải thiều Lục Ngạn: 240.000\xa0₫" in text and "HTX Mật ong Sóc Sơn: 275.000\xa0₫" in text
    assert (
        page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    )  # nothing wider than the screen

    # In English the script writes money as the server does there too.
    page.goto(f"{shop.url}/lang/en?next=/checkout")
    page.check(f"#delivery-{shop.lychee_coop.id}-pickup")
    expect(total).to_have_text("₫515,000")
    expect(lychee_total).to_have_text("₫240,000")
    page.evaluate("window.stillTheSamePage = true")

    page.fill("#name", "Nguyễn Thị Lan")
    page.fill("#phone", "0912 345 678")
    page.select_option("#province_code", str(f.BAC_NINH))
    page.wait_for_selector(f"#ward_code option[value='{f.LUC_NGAN}']", state="attached")
    page.select_option("#ward_code", str(f.LUC_NGAN))
    page.fill("#street", "Số 12, thôn Đồng Cốc")
    page.check("input[name=payment_method][value=bank_transfer]")
    page.locator("#street").press("Enter")  # Enter in a field places nothing: only the button does
    page.wait_for_timeout(300)  # time for a navigation that must not come
    assert page.evaluate("window.stillTheSamePage") is True and db.session.scalar(select(Order)) is None
    page.locator("form.checkout-form button[type=submit]").click()
    page.wait_for_url("**/orders/DH-*")

    order = db.session.scalar(select(Order))
    assert (order.total_vnd, order.contact_email, order.payment_method) == (515_000, "", "bank_transfer")
    assert order.number in page.locator("h1").inner_text()
    main = page.locator("main").inner_text()
    assert "HTX Vải thiều Lục Ngạn" in main and "HTX Mật ong Sóc Sơn" in main
