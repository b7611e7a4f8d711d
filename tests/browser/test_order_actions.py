"""On a 390px phone and a 1366px laptop: "Mua lại" on a past order fills the cart and says the price changed,
and checkout (with the saved address filled in) places it at today's price;
"Mua ngay" on a product page goes to checkout with that product only."""

from __future__ import annotations

import pytest

from marketplace.accounts import addresses
from tests import factories as f

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width, height", [(390, 844), (1366, 900)], ids=["phone", "laptop"])
def test_buy_again_and_buy_now(app, live_server, browser, width, height):
    coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong", delivery_fee_vnd=25_000)
    honey = f.product(coop, name="Mật ong rừng", price_vnd=250_000, stock=5, slug="mat-ong-rung")
    f.product(coop, name="Sáp ong", price_vnd=40_000, stock=8, slug="sap-ong")
    customer = f.user(email="hoa@example.vn", full_name="Lê Thị Hoa")
    order = f.order([(honey, 2)], user=customer)
    honey.price_vnd = 270_000
    addresses.add_address(
        customer,
        addresses.AddressData(
            label="Nhà",
            recipient_name="Lê Thị Hoa",
            phone="0912345678",
            province_code=f.BAC_NINH,
            ward_code=f.LUC_NGAN,
            street="Số 12, thôn Đồng Cốc",
        ),
    )
    f.commit()
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server}/account/login")
        page.fill("#email", "hoa@example.vn")
        page.fill("#password", f.PASSWORD)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state()

        page.goto(f"{live_server}/orders/{order.number}")
        buy_again = page.get_by_role("button", name="Mua lại")
        assert buy_again.is_visible()
        buy_again.click()
        page.wait_for_url("**/cart")
        main = page.locator("main").inner_text()
        assert "Giá của Mật ong rừng đã thay đổi: 250.000" in main and "270.000" in main
        assert page.locator("input[name=quantity]").first.input_value() == "2"

        # Reordered with the saved address: checkout has it filled in, the order pays today's price.
        page.locator("main a[href='/checkout']").click()
        page.wait_for_url("**/checkout")
        assert page.input_value("#street") == "Số 12, thôn Đồng Cốc"
        assert page.input_value("#ward_code") == str(f.LUC_NGAN)
        page.check("input[name=payment_method][value=cod]")
        page.get_by_role("button", name="Đặt hàng").click()
        page.wait_for_url("**/orders/DH-*")
        placed = page.locator("main").inner_text()
        assert "Số 12, thôn Đồng Cốc" in placed and "540.000" in placed  # 2 × 270.000 ₫

        page.goto(f"{live_server}/products/sap-ong")
        page.fill("#add-quantity", "3")
        buy_now = page.get_by_role("button", name="Mua ngay")
        assert buy_now.is_visible() and buy_now.bounding_box()["x"] + buy_now.bounding_box()["width"] <= width
        buy_now.click()
        page.wait_for_url("**/checkout?buy_now=1")
        checkout = page.locator("main").inner_text()
        assert "Sáp ong" in checkout and "Mật ong rừng" not in checkout
        assert "giỏ hàng của bạn vẫn giữ nguyên" in checkout
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
