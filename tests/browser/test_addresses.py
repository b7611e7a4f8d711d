"""A signed-in customer with a saved default address adds a second one, finds the default
filled in at checkout, on a phone and on a laptop, and places a cash-on-delivery order to it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.accounts import addresses
from marketplace.core import geo
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests import factories as f

HANOI_WARD = geo.wards(f.HA_NOI)[0][0]

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width, height", [(390, 844), (1366, 900)], ids=["phone", "laptop"])
def test_checkout_fills_in_the_default_address(app, live_server, browser, width, height):
    customer = f.user(email="hoa@example.vn", full_name="Lê Thị Hoa")
    product = f.product(f.cooperative(slug="vai-thieu"), name="Vải thiều sấy", slug="vai-say", stock=5)
    addresses.add_address(
        customer,
        addresses.AddressData(
            label="Nhà",
            recipient_name="Nguyễn Thị Lan",
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

        # A second address, typed on the "Thêm địa chỉ" form: the province fills the ward list.
        page.goto(f"{live_server}/account/addresses/new")
        page.fill("#label", "Cơ quan")
        page.fill("#phone", "0987 654 321")
        page.select_option("#province_code", str(f.HA_NOI))
        page.wait_for_selector(f"#ward_code option[value='{HANOI_WARD}']", state="attached")
        page.select_option("#ward_code", str(HANOI_WARD))
        page.fill("#street", "Số 62 Bà Triệu")
        page.get_by_role("button", name="Lưu địa chỉ").click()
        page.wait_for_url("**/account/addresses")
        assert page.locator(".address-card").count() == 2

        page.goto(f"{live_server}/products/{product.slug}")
        page.get_by_role("button", name="Thêm vào giỏ").click()
        page.wait_for_url("**/cart")
        page.goto(f"{live_server}/checkout")

        assert page.input_value("#name") == "Nguyễn Thị Lan"
        assert page.input_value("#phone") == "0912 345 678"
        assert page.input_value("#email") == "hoa@example.vn"
        assert page.input_value("#province_code") == str(f.BAC_NINH)
        assert page.input_value("#ward_code") == str(f.LUC_NGAN)
        assert page.locator("#ward_code option:checked").inner_text() == geo.ward_name(f.LUC_NGAN)
        assert page.input_value("#street") == "Số 12, thôn Đồng Cốc"
        street_box = page.locator("#street").bounding_box()
        assert street_box is not None and street_box["x"] >= 0 and street_box["x"] + street_box["width"] <= width

        page.check("input[name=payment_method][value=cod]")
        page.get_by_role("button", name="Đặt hàng").click()
        page.wait_for_url("**/orders/DH-*")
    finally:
        context.close()

    order = db.session.scalar(select(Order).where(Order.user_id == customer.id))
    assert order is not None
    assert (order.contact_name, order.contact_phone, order.ward_code, order.street) == (
        "Nguyễn Thị Lan",
        "0912345678",
        f.LUC_NGAN,
        "Số 12, thôn Đồng Cốc",
    )
    assert len(addresses.addresses_of(customer)) == 2  # the same address: not saved twice
