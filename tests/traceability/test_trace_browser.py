"""In a real browser: print a label sheet, read a label's QR code and open the trace page."""

from __future__ import annotations

import re

import pytest

from tests import factories as f
from tests.browser import conftest as browser_fixtures
from tests.traceability.helpers import batch
from tests.traceability.qr_svg import encodes

pytestmark = pytest.mark.browser
# The live server and Chromium of tests/browser (its conftest reaches only its own folder).
live_server = browser_fixtures.live_server
browser = browser_fixtures.browser
page = browser_fixtures.page


def test_print_labels_then_open_the_trace_page_from_a_label_qr(app, live_server, page):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    lychee = f.product(coop, name="Vải thiều sấy", gtin="08934563138165")
    lot = batch(lychee, code="L/26.01", recalled_at=None)
    f.manager(coop, email="quanly@vai-thieu.vn")
    f.commit()

    page.goto(f"{live_server}/account/login")
    page.fill("#email", "quanly@vai-thieu.vn")
    page.fill("#password", f.PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server}/workspace/vai-thieu/batches/{lot.id}/labels?size=2x7&pages=2")
    labels = page.locator(".label-sheet .label")
    assert labels.count() == 28
    # Each label fits its cell of the sheet: 99.1 × 38.1 mm (1 mm = 96 / 25.4 CSS px).
    box = labels.first.bounding_box()
    assert box["width"] == pytest.approx(99.1 * 96 / 25.4, abs=1)
    assert box["height"] == pytest.approx(38.1 * 96 / 25.4, abs=1)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 2  # two sheets, two A4 pages
    assert page.locator(".labels-tools").is_hidden()

    # "Scan" a printed label: read its QR code's modules and find the URL it encodes.
    svg = labels.nth(17).locator("svg").evaluate("e => e.outerHTML")
    url = labels.nth(17).get_attribute("data-url")
    assert url.endswith("/01/08934563138165/10/L%2F26.01")
    assert encodes(svg, url)
    phone = page.context.browser.new_context(locale="vi-VN").new_page()
    phone.goto(url)
    assert "Vải thiều sấy" in phone.locator("h1").inner_text()
    assert "L/26.01" in phone.locator(".trace-lot").inner_text()
    phone.context.close()
