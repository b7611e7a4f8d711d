"""Printable pack labels: sheets of A4 labels, each with a QR code of the batch's trace link."""

from __future__ import annotations

import re

import pytest

from marketplace.traceability import batch_views
from tests import factories as f
from tests.cooperatives.helpers import sign_in
from tests.traceability.helpers import batch


@pytest.fixture
def setup(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    with_gtin = f.product(coop, name="Vải thiều sấy", gtin="08934563138165")
    without = f.product(coop, name="Mật ong hoa vải")
    gs1_lot = batch(with_gtin, code="L/26.01")
    short_lot = batch(without, code="MO-7")
    manager = f.manager(coop)
    f.commit()
    return type("Setup", (), locals())


@pytest.fixture
def payloads(monkeypatch):
    """What each label page asked segno to encode."""
    seen = []
    real = batch_views.label_qr_svg

    def recording(url):
        seen.append(url)
        return real(url)

    monkeypatch.setattr(batch_views, "label_qr_svg", recording)
    return seen


@pytest.mark.parametrize(("size", "count"), [("3x8", 24), ("2x7", 14), ("4x10", 40)])
def test_a_sheet_has_one_qr_code_per_label(client, setup, payloads, size, count):
    sign_in(client, setup.manager)
    page = client.get(f"/workspace/vai-thieu/batches/{setup.gs1_lot.id}/labels?size={size}")
    assert page.status_code == 200
    assert page.text.count('class="label-qr"') == count
    assert page.text.count('class="label" ') == count
    assert f"label-sheet-{size}" in page.text
    assert "style=" not in page.text  # the CSP forbids inline styles
    assert payloads == ["http://localhost/01/08934563138165/10/L%2F26.01"]
    assert page.text.count("L/26.01") >= count


def test_several_pages(client, setup):
    sign_in(client, setup.manager)
    page = client.get(f"/workspace/vai-thieu/batches/{setup.gs1_lot.id}/labels?size=2x7&pages=3")
    assert page.text.count('class="label-qr"') == 42
    assert client.get(f"/workspace/vai-thieu/batches/{setup.gs1_lot.id}/labels?pages=0").status_code == 400
    assert client.get(f"/workspace/vai-thieu/batches/{setup.gs1_lot.id}/labels?size=9x9").status_code == 404


def test_without_a_gtin_the_qr_is_the_short_link(client, setup, payloads):
    sign_in(client, setup.manager)
    page = client.get(f"/workspace/vai-thieu/batches/{setup.short_lot.id}/labels")
    assert page.text.count('class="label-qr"') == 24  # 3 × 8 by default
    assert payloads == [f"http://localhost/t/{setup.short_lot.short_code}"]


def test_each_label_s_qr_opens_the_trace_page(client, setup, payloads):
    sign_in(client, setup.manager)
    for lot in (setup.gs1_lot, setup.short_lot):
        client.get(f"/workspace/vai-thieu/batches/{lot.id}/labels")
    for url in payloads:
        path = re.sub(r"^http://localhost", "", url)
        page = client.get(path)
        assert page.status_code == 200 and "trace-page" in page.text


def test_the_qr_svg_is_inline_and_labelled(app):
    with app.test_request_context("/"):
        svg = str(batch_views.label_qr_svg("https://cho.vn/t/ABCDEFGH"))
    assert svg.startswith("<svg") and 'role="img"' in svg and "https://cho.vn/t/ABCDEFGH" in svg
    assert "style" not in svg


def test_each_printed_qr_encodes_the_trace_link(client, setup):
    from tests.traceability.qr_svg import encodes

    sign_in(client, setup.manager)
    for lot, url in (
        (setup.gs1_lot, "http://localhost/01/08934563138165/10/L%2F26.01"),
        (setup.short_lot, f"http://localhost/t/{setup.short_lot.short_code}"),
    ):
        page = client.get(f"/workspace/vai-thieu/batches/{lot.id}/labels?size=4x10").text
        svgs = re.findall(r"<svg .*?</svg>", page, re.S)
        assert len(svgs) == 40
        assert all(encodes(svg, url) for svg in svgs)
        assert not encodes(svgs[0], url + "X")
