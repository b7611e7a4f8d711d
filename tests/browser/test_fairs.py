"""From scanning a booth's QR link to a paid order credited to the fair, in headless Chromium.

The customer opens /f/<code> (as the phone's camera would), lands on the booth page with
the privacy note, buys a showcased product at its fair price by bank transfer, and sees
on the order page that the order is credited to the booth (and that the price is the
fair price); the cooperative then records the transfer in its workspace and the order
is paid. Card payment (Stripe) is not driven here: it is covered by tests/payments.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from marketplace.extensions import db
from marketplace.orders.models import Order, PaymentStatus
from tests import factories as f

pytestmark = pytest.mark.browser


@pytest.fixture
def fair_site(app, live_server):
    coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="vai-thieu",
        bank_bin="970436",
        bank_account_number="0011001234567",
        bank_account_name="HTX VAI THIEU",
    )
    lychee = f.product(coop, name="Vải thiều sấy", slug="vai-thieu-say", price_vnd=120_000, stock=10)
    fair = f.fair("Hội chợ Nông sản Bắc Ninh", slug="hoi-cho-bac-ninh", code="HCBN26")
    booth = f.booth(fair, coop, [(lychee, 99_000)], number="A12", code="QrA12x")
    manager = f.manager(coop, email="quanly@vai-thieu.vn")
    f.commit()
    return type("Site", (), {**locals(), "url": live_server})


def test_scanning_a_booth_link_to_a_paid_attributed_order(fair_site, page, browser):
    site = fair_site
    page.goto(f"{site.url}/f/qra12X")  # any case, as a QR reader may change it
    page.wait_for_url("**/fairs/hoi-cho-bac-ninh/booths/A12")
    note = page.locator(".flash-info").inner_text()
    assert "A12" in note and "Hội chợ Nông sản Bắc Ninh" in note and "7" in note

    page.goto(f"{site.url}/products/vai-thieu-say")
    page.fill("#add-quantity", "2")
    page.locator("form.add-to-cart button[type=submit]:not([formaction])").click()
    page.wait_for_url("**/cart")
    page.locator("main a[href='/checkout']").click()
    page.wait_for_url("**/checkout")
    assert page.locator("#attribution-note").get_attribute("data-source-booth") == str(site.booth.id)
    page.fill("#name", "Nguyễn Thị Lan")
    page.fill("#phone", "0912 345 678")
    page.fill("#email", "lan@example.vn")
    page.select_option("#province_code", str(f.BAC_NINH))
    page.wait_for_selector(f"#ward_code option[value='{f.LUC_NGAN}']", state="attached")
    page.select_option("#ward_code", str(f.LUC_NGAN))
    page.fill("#street", "Số 12, thôn Đồng Cốc")
    page.check("input[name=payment_method][value=bank_transfer]")
    page.locator("form.checkout-form button[type=submit]").click()
    page.wait_for_url("**/orders/DH-*")

    order = db.session.scalar(select(Order))
    assert (order.source_fair_id, order.source_booth_id) == (site.fair.id, site.booth.id)
    [item] = order.parts[0].items
    assert (item.unit_price_vnd, item.regular_price_vnd, order.items_total_vnd) == (99_000, 120_000, 198_000)
    order_url = page.url
    note = page.locator("#attribution-note")
    assert note.get_attribute("data-source-booth") == str(site.booth.id)
    assert "Hội chợ Nông sản Bắc Ninh" in note.inner_text()
    items = page.locator("main").inner_text()
    assert "99.000" in items and "120.000" in items  # the fair price, the regular one struck beside it

    # The cooperative receives the transfer and records it in its workspace.
    staff_context = browser.new_context(locale="vi-VN")
    staff = staff_context.new_page()
    staff.goto(f"{site.url}/account/login")
    staff.fill("#email", "quanly@vai-thieu.vn")
    staff.fill("#password", f.PASSWORD)
    staff.locator("main form button[type=submit]").click()
    staff.wait_for_load_state()
    staff.goto(f"{site.url}/workspace/vai-thieu/orders/{order.parts[0].id}")
    staff.locator(f"form[action$='/orders/{order.parts[0].id}/payment-received'] button[type=submit]").click()
    staff.wait_for_load_state()
    staff_context.close()

    db.session.expire_all()
    paid = db.session.scalar(select(Order))
    assert paid.payment_status == PaymentStatus.PAID and paid.source_booth_id == site.booth.id
    page.goto(order_url)
    assert page.locator("#attribution-note").count() == 1
    assert "Đã thanh toán" in page.locator("main").inner_text()  # "Paid"
