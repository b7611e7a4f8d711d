"""The installable booth app (issue 17) in headless Chromium: offline sales that survive a reload
and sync exactly once, two phones selling the last units offline, and the VietQR receipt.

The browser context's offline mode cuts the phone off; the service worker serves the booth page
and its files; the sales wait in IndexedDB until the server has answered for them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.fairs.models import OnSiteSale, OnSiteSaleStatus
from marketplace.payments.vietqr import transfer_memo, vietqr_payload
from tests import factories as f

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def app(csrf_app):
    """CSRF protection on, as in production: the sync sends the token from state.json."""
    return csrf_app


@pytest.fixture
def site(app, live_server):
    coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="vai-thieu",
        bank_bin="970436",
        bank_account_number="0011001234567",
        bank_account_name="HTX VAI THIEU",
    )
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    honey = f.product(coop, name="Mật ong rừng", price_vnd=250_000, stock=2)
    fair = f.fair("Hội chợ Nông sản Bắc Ninh", slug="hoi-cho-bac-ninh")
    booth = f.booth(fair, coop, [(lychee, 99_000), honey], number="A12")
    f.manager(coop, email="quanly@vai-thieu.vn")
    f.commit()
    return type("Site", (), {**locals(), "url": live_server})


def _phone(browser, site, clock_ahead=None):
    """A phone with the manager signed in and the booth app open, ready to sell."""
    context = browser.new_context(viewport=PHONE, locale="vi-VN", is_mobile=True, has_touch=True)
    if clock_ahead:
        context.clock.set_system_time(datetime.now(timezone.utc) + clock_ahead)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{site.url}/account/login")
    page.fill("#email", "quanly@vai-thieu.vn")
    page.fill("#password", f.PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    page.goto(f"{site.url}/booth/{site.booth.id}/")
    page.wait_for_selector(f"label.product-tile[data-product-id='{site.honey.id}']")
    return context, page


def _sell(page, product, quantity=1, payment="cash"):
    page.locator(f"label.product-tile[data-product-id='{product.id}']").click()
    for _ in range(quantity - 1):
        page.get_by_role("button", name="Thêm một").click()
    page.locator(f".payment-choices input[value={payment}]").check()
    before = page.locator("[data-sales] li").count()
    page.get_by_role("button", name="Ghi", exact=True).click()
    page.locator("[data-sales] li").nth(before).wait_for()  # stored in IndexedDB, then listed


def _statuses(page):
    return page.eval_on_selector_all("[data-sales] li", "items => items.map(i => i.dataset.status)")


def _rows():
    db.session.expire_all()
    return db.session.scalars(sa.select(OnSiteSale).order_by(OnSiteSale.id)).all()


def _stock(product):
    db.session.expire_all()
    return db.session.get(Product, product.id).stock


def test_offline_sales_survive_a_reload_and_sync_exactly_once(site, browser):
    context, page = _phone(browser, site)
    try:
        # The receipt's QR is the payload the server makes (payments.vietqr), byte for byte.
        cases = [
            ("970436", "0011001234567", 198_000, "A12 0B6C1F2E"),
            ("970415", "1133666688889999", 5_000, "DH-20261203-0001"),
            ("970422", "12345", 0, "Gian hàng Đ7 · bán lẻ"),
            ("970405", "99998888777766665555", 1_234_567_890, ""),
            ("970416", "0123456789", 250_000, "Mật ong rừng × 2 — quầy số 12 của hợp tác xã"),
        ]
        for bank_bin, account, amount, text in cases:
            memo = transfer_memo(text)
            assert page.evaluate("text => BoothApp.transferMemo(text)", text) == memo
            got = page.evaluate("args => BoothApp.vietqrPayload(...args)", [bank_bin, account, amount, memo])
            assert got == vietqr_payload(bank_bin, account, amount, memo)

        # The service worker controls the page and keeps it: then the connection drops.
        page.wait_for_selector("html[data-offline-ready=yes]", state="attached")
        page.wait_for_function("() => navigator.serviceWorker.controller !== null")
        assert page.locator("[data-online]").inner_text() == "Đang có mạng"
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways scrolling
        context.set_offline(True)
        page.wait_for_selector("html[data-connection=no]", state="attached")

        _sell(page, site.lychee, quantity=2, payment="transfer")
        _sell(page, site.honey, quantity=1, payment="cash")
        assert _statuses(page) == ["pending", "pending"]
        assert page.locator("[data-sales] li").first.locator(".booth-sale-status").inner_text() == "chưa đồng bộ"
        assert page.locator("[data-waiting-count]").get_attribute("data-count") == "2"
        stock = page.locator(f"label[data-product-id='{site.lychee.id}'] [data-stock]")
        assert stock.get_attribute("data-stock") == "8"
        assert page.locator("[data-total=total_vnd]").get_attribute("data-value") == str(2 * 99_000 + 250_000)
        assert _rows() == []

        # Reloading without a connection: the page comes from the service worker, the queue from IndexedDB.
        page.reload()
        page.wait_for_selector("html[data-app-ready=yes]", state="attached")
        assert page.locator("[data-online]").inner_text() == "Mất mạng"
        assert _statuses(page) == ["pending", "pending"]
        assert page.locator("[data-waiting-count]").inner_text() == "2 bán chờ đồng bộ"
        manifest = f"/booth/{site.booth.id}/manifest.webmanifest"
        assert page.evaluate("url => fetch(url).then(r => r.json()).then(m => m.name)", manifest) == (
            "Gian hàng A12 · Hội chợ Nông sản Bắc Ninh"
        )

        # The transfer sale's receipt, still offline, with its VietQR code.
        transfer_sale = page.locator("[data-sales] li").last
        sale_id = transfer_sale.get_attribute("data-sale-id")
        transfer_sale.get_by_role("button", name="Biên nhận").click()
        receipt = page.locator("dialog[data-receipt]")
        assert receipt.is_visible()
        text = receipt.inner_text()
        assert "HTX Vải thiều Lục Ngạn" in text and "Hội chợ Nông sản Bắc Ninh" in text and "A12" in text
        assert "198.000" in text and "99.000" in text and "Chuyển khoản" in text
        qr = receipt.locator("svg.vietqr-code")
        assert qr.is_visible()
        memo = transfer_memo(f"A12 {sale_id[:8].upper()}")
        assert qr.get_attribute("data-payload") == vietqr_payload("970436", "0011001234567", 198_000, memo)
        receipt.get_by_role("button", name="Đóng").click()

        # Back online: the queue is sent by itself, and each sale is recorded once.
        context.set_offline(False)
        page.wait_for_function(
            "() => [...document.querySelectorAll('[data-sales] li')].every(li => li.dataset.status === 'recorded')"
        )
        assert page.locator("[data-sales] li").first.locator(".booth-sale-status").inner_text() == "đã đồng bộ"
        assert page.locator("[data-waiting-count]").get_attribute("data-count") == "0"
        assert "Đồng bộ lúc" in page.locator("[data-last-sync]").inner_text()
        page.get_by_role("button", name="Đồng bộ ngay").click()  # sending again changes nothing
        page.wait_for_selector("[data-sync-now]:not([disabled])")
        rows = _rows()
        assert sorted(r.client_id for r in rows) == sorted(
            page.eval_on_selector_all("[data-sales] li", "items => items.map(i => i.dataset.saleId)")
        )
        assert [(r.product_id, r.quantity, r.total_vnd, r.payment.value) for r in rows] == [
            (site.lychee.id, 2, 198_000, "transfer"),
            (site.honey.id, 1, 250_000, "cash"),
        ]
        assert (_stock(site.lychee), _stock(site.honey)) == (8, 1)
        assert page.locator("[data-total=count]").inner_text() == "2"
    finally:
        context.close()


def test_two_phones_sell_the_last_units_offline_and_the_manager_settles_the_conflict(site, browser):
    first_context, first = _phone(browser, site)
    # This phone's clock is 20 minutes fast: its sales still carry the server's time (else "in the future").
    second_context, second = _phone(browser, site, clock_ahead=timedelta(minutes=20))
    try:
        for context, page in ((first_context, first), (second_context, second)):
            context.set_offline(True)
            page.wait_for_selector("html[data-connection=no]", state="attached")
            _sell(page, site.honey, quantity=2, payment="cash")
            assert _statuses(page) == ["pending"]

        first_context.set_offline(False)
        first.wait_for_selector("[data-sales] li[data-status=recorded]")
        second_context.set_offline(False)
        second.wait_for_selector("[data-sales] li[data-status=conflict]")
        sale = second.locator("[data-sales] li").first
        assert "chờ quản lý xử lý" in sale.inner_text()
        assert sale.locator(".booth-sale-reason").inner_text()  # why, in words
        # The conflict took nothing: the phone's count shows none left, and its totals leave it out.
        assert (
            second.locator(f"label[data-product-id='{site.honey.id}'] [data-stock]").get_attribute("data-stock") == "0"
        )
        assert second.locator("[data-total=total_vnd]").get_attribute("data-value") == "500000"

        conflict = next(r for r in _rows() if r.status == OnSiteSaleStatus.CONFLICT)
        assert abs(conflict.created_at - datetime.now(timezone.utc).replace(tzinfo=None)) < timedelta(minutes=2)
        assert _stock(site.honey) == 0

        # The manager sees it on the booth's sales page and confirms it (they had the honey).
        first.goto(f"{site.url}/workspace/vai-thieu/fairs/hoi-cho-bac-ninh/sales")
        section = first.locator("#onsite-conflicts")
        assert "Cần xử lý" in section.inner_text()
        row = section.locator(f"[data-conflict='{conflict.id}']")
        assert "2 × Mật ong rừng" in row.inner_text()
        row.locator("input[name=stock_left]").fill("0")
        with first.expect_navigation():
            row.locator("form.onsite-confirm button[type=submit]").click()
        assert first.locator("#onsite-conflicts").count() == 0
        # The phone learns it at its next sync.
        second.get_by_role("button", name="Đồng bộ ngay").click()
        second.wait_for_selector("[data-sales] li[data-status=recorded]")
        assert second.locator("[data-total=total_vnd]").get_attribute("data-value") == "1000000"

        # Signed out meanwhile: the next sale waits on the phone, which asks to sign in again.
        second_context.clear_cookies()
        _sell(second, site.lychee)
        second.locator("[data-sign-in]").get_by_role("link", name="Đăng nhập lại").wait_for()
        assert _statuses(second) == ["pending", "recorded"]
        assert len(_rows()) == 2
    finally:
        first_context.close()
        second_context.close()
