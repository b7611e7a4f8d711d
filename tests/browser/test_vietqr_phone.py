"""Paying by VietQR on the phone that shows the order page: copy the amount, save the QR picture."""

from __future__ import annotations

import pytest

from tests import factories as f

pytestmark = pytest.mark.browser


@pytest.fixture
def transfer_order(app):
    """A bank-transfer order from two cooperatives, with long names that must wrap on a phone."""
    lychee_coop = f.cooperative(
        "Hợp tác xã Thanh niên Nông nghiệp Công nghệ cao Vải thiều Lục Ngạn",
        slug="vai-thieu",
        delivery_fee_vnd=20_000,
        bank_bin="970436",
        bank_account_number="1023456789",
        bank_account_name="HOP TAC XA THANH NIEN NONG NGHIEP CONG NGHE CAO VAI THIEU LUC NGAN",
    )
    honey_coop = f.cooperative(
        "HTX Mật ong Sóc Sơn",
        slug="mat-ong",
        delivery_fee_vnd=25_000,
        bank_bin="970415",
        bank_account_number="1133666688889999",
        bank_account_name="HOP TAC XA MAT ONG SOC SON",
    )
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=5)
    order = f.order([(lychee, 5), (honey, 1)], payment_method="bank_transfer")
    f.commit()
    lychee_part = next(part for part in order.parts if part.cooperative_id == lychee_coop.id)
    return order, lychee_part


@pytest.mark.parametrize("width, height", [(390, 844), (1366, 900)], ids=["phone", "laptop"])
def test_shopper_copies_the_amount_and_saves_the_qr(live_server, browser, transfer_order, width, height):
    order, part = transfer_order
    context = browser.new_context(viewport={"width": width, "height": height}, locale="vi-VN", accept_downloads=True)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(f"{live_server}/orders/{order.number}?token={order.tracking_token}")
        assert "Đơn này cần 2 lần chuyển khoản" in page.locator("main").inner_text()

        copy_amount = page.locator(f"button[data-copy-target='transfer-{part.id}-amount']")
        assert copy_amount.is_visible()  # shown by copy.js
        copy_amount.click()
        block = page.locator(f".transfer:has(#transfer-{part.id}-amount)")
        block.locator(".copy-status[role=status]", has_text="Đã sao chép").wait_for()  # read out by screen readers
        assert copy_amount.inner_text() == "Đã sao chép"
        assert page.evaluate("navigator.clipboard.readText()") == "620000"

        with page.expect_download() as download_info:
            block.locator("a", has_text="Tải ảnh QR").click()
        download = download_info.value
        assert download.suggested_filename == f"vietqr-{order.number}-vai-thieu.png"
        with open(download.path(), "rb") as picture:
            assert picture.read(8) == b"\x89PNG\r\n\x1a\n"

        assert page.evaluate("document.documentElement.scrollWidth") <= width
        name = block.locator("dd.transfer-name").last
        assert name.bounding_box()["x"] + name.bounding_box()["width"] <= width
    finally:
        context.close()
