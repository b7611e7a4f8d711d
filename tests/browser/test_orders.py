"""A guest buys from two cooperatives in headless Chromium, paying cash on delivery."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.catalog.models import Product
from marketplace.demo.loader import load_demo
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests import factories as f

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_site(app, live_server):
    load_demo(image_width=96)
    db.session.commit()
    return live_server


def two_products_of_two_cooperatives() -> list[Product]:
    chosen: dict[int, Product] = {}
    for product in db.session.scalars(select(Product).order_by(Product.id)):
        if product.is_public and product.stock >= 2 and product.cooperative_id not in chosen:
            chosen[product.cooperative_id] = product
        if len(chosen) == 2:
            return list(chosen.values())
    raise AssertionError("the demo data has no two cooperatives with products in stock")


def test_guest_buys_from_two_cooperatives_with_cash_on_delivery(demo_site, page):
    first, second = two_products_of_two_cooperatives()
    for product in (first, second):
        page.goto(f"{demo_site}/products/{product.slug}")
        page.fill("#add-quantity", "2")
        page.locator("form.add-to-cart button[type=submit]:not([formaction])").click()
        page.wait_for_url("**/cart")
    cart = page.locator("main").inner_text()
    assert first.cooperative.name in cart and second.cooperative.name in cart

    page.locator("main a[href='/checkout']").click()
    page.wait_for_url("**/checkout")
    page.fill("#name", "Nguyễn Thị Lan")
    page.fill("#phone", "0912 345 678")
    page.fill("#email", "lan@example.vn")
    page.select_option("#province_code", str(f.BAC_NINH))
    page.wait_for_selector(f"#ward_code option[value='{f.LUC_NGAN}']", state="attached")
    page.select_option("#ward_code", str(f.LUC_NGAN))
    page.fill("#street", "Số 12, thôn Đồng Cốc")
    page.check("input[name=payment_method][value=cod]")
    page.locator("form.checkout-form button[type=submit]").click()
    page.wait_for_url("**/orders/DH-*")

    number = page.url.split("/orders/")[1].split("?")[0]  # the demo has orders of its own
    order = db.session.scalar(select(Order).where(Order.number == number))
    assert order is not None and len(order.parts) == 2
    main = page.locator("main").inner_text()
    assert order.number in page.locator("h1").inner_text()
    assert first.cooperative.name in main and second.cooperative.name in main
    assert first.name in main and second.name in main
