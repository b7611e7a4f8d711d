"""The public trace page: by short link and by GS1 Digital Link, recalls, certificates, fair credit."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.fairs.attribution import SOURCE_COOKIE
from marketplace.fairs.models import BoothStatus, FairVisit
from marketplace.orders.models import Order
from marketplace.traceability import batches
from tests import factories as f
from tests.traceability.helpers import TODAY, batch, certificate

BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"}


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(batches, "today", lambda: TODAY)


@pytest.fixture
def setup(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    lychee = f.product(coop, name="Vải thiều sấy", sku="VAI-1", gtin="08934563138165")
    valid = certificate(coop, number="VG-VALID", expires_on=None)
    expired = certificate(coop, lychee, number="VG-OLD", issued_on=date(2023, 1, 1), expires_on=date(2026, 12, 3))
    unverified = certificate(coop, number="VG-NEW", verified_at=None)
    lot = batch(lychee, code="L/26.01", certificate_ids=[valid.id, expired.id, unverified.id], notes="Bón phân hữu cơ")
    f.commit()
    return type("Setup", (), locals())


def main_text(response) -> str:
    """The page's article, without what changes between two requests (the CSRF token, flashes)."""
    return re.search(r"<article class=\"trace-page\".*?</article>", response.text, re.S).group(0)


def test_short_link_and_digital_link_show_the_same_page(client, setup):
    by_code = client.get(f"/t/{setup.lot.short_code}", headers=BROWSER)
    by_gs1 = client.get("/01/08934563138165/10/L%2F26.01", headers=BROWSER)
    by_gtin13 = client.get("/01/8934563138165/10/L%2F26.01?17=270520", headers=BROWSER)
    assert by_code.status_code == by_gs1.status_code == by_gtin13.status_code == 200
    assert main_text(by_code) == main_text(by_gs1) == main_text(by_gtin13)
    page = by_code.text
    for expected in (
        "Vải thiều sấy",
        "HTX Vải thiều Lục Ngạn",
        "L/26.01",
        "Đồi vải Phượng Sơn",
        "Lục Ngạn",
        "Bắc Ninh",
    ):
        assert expected in page
    assert "Bón phân hữu cơ" in page
    assert "public" in by_code.headers["Cache-Control"] and "max-age" in by_code.headers["Cache-Control"]


def test_the_short_link_works_in_any_case(client, setup):
    assert client.get(f"/t/{setup.lot.short_code.lower()}").status_code == 200


def test_certificates_show_their_validity(client, setup):
    page = client.get(f"/t/{setup.lot.short_code}").text
    assert sorted(re.findall(r'trace-certificate-(\w+)"', page)) == ["expired", "unverified", "valid"]
    valid_item = re.search(r'trace-certificate-valid">(.*?)</li>', page, re.S).group(1)
    assert "VG-VALID" in valid_item  # no expiry date: valid, never shown as expired
    expired_item = re.search(r'trace-certificate-expired">(.*?)</li>', page, re.S).group(1)
    assert "VG-OLD" in expired_item  # expired on its expiry day (today)


@pytest.mark.parametrize(
    "path",
    [
        "/t/ZZZZZZZZ",
        "/t/0O1IL",
        "/01/08934563138164/10/L%2F26.01",  # bad check digit
        "/01/08934563138172/10/L%2F26.01",  # a GTIN no product has
        "/01/08934563138165/10/L-OTHER",  # a lot the product does not have
        "/01/08934563138165/10/L%C3%B4",  # not a GS1 lot
    ],
)
def test_unknown_codes_and_links_are_404(client, setup, path):
    assert client.get(path).status_code == 404


def test_a_recalled_batch_says_so_in_plain_words(client, setup):
    setup.lot.recalled_at = datetime(2026, 12, 2, 3, 0)
    setup.lot.recall_reason = "Phát hiện nấm mốc trong một số gói"
    f.commit()
    for path in (f"/t/{setup.lot.short_code}", "/01/08934563138165/10/L%2F26.01"):
        page = client.get(path).text
        assert 'class="trace-recall" role="alert"' in page
        assert "Phát hiện nấm mốc trong một số gói" in page
    open_one = batch(setup.lychee, code="L2")
    f.commit()
    page = client.get(f"/t/{open_one.short_code}").text
    assert "trace-recall" not in page


def test_a_scan_during_a_fair_credits_the_cooperative_s_booth(client, setup):
    fair = f.fair("Hội chợ Nông sản Bắc Ninh", code="HCBN26")
    booth = f.booth(fair, setup.coop, [setup.lychee], number="A12", code="BOOTH1")
    f.commit()
    response = client.get(f"/t/{setup.lot.short_code}", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert client.get_cookie(SOURCE_COOKIE) is not None
    visit = db.session.scalar(sa.select(FairVisit))
    assert (visit.fair_id, visit.booth_id) == (fair.id, booth.id)
    # A later order from this browser is credited to the booth, as after a booth QR scan.
    client.post("/cart/add", data={"product_id": setup.lychee.id, "quantity": 1})
    response = client.post(
        "/checkout",
        data={
            "name": "Nguyễn Thị Lan",
            "phone": "0912 345 678",
            "email": "lan@example.vn",
            "province_code": str(f.BAC_NINH),
            "ward_code": str(f.LUC_NGAN),
            "street": "Số 12, thôn Đồng Cốc",
            "payment_method": "cod",
        },
    )
    assert response.status_code == 302
    order = db.session.scalar(sa.select(Order))
    assert (order.source_fair_id, order.source_booth_id) == (fair.id, booth.id)


def test_no_credit_without_a_fair_on_or_an_approved_booth(client, setup):
    fair = f.fair("Hội chợ", code="HC1")
    f.booth(fair, setup.coop, number=None, status=BoothStatus.PENDING, code="PEND1")
    f.commit()
    response = client.get(f"/t/{setup.lot.short_code}", headers=BROWSER)
    assert client.get_cookie(SOURCE_COOKIE) is None
    assert db.session.scalar(sa.select(sa.func.count(FairVisit.id))) == 0
    assert "public" in response.headers["Cache-Control"]


def test_bots_are_not_counted(client, setup):
    fair = f.fair("Hội chợ", code="HC2")
    f.booth(fair, setup.coop, number="B1", code="BOOTH2")
    f.commit()
    assert (
        client.get(f"/t/{setup.lot.short_code}", headers={"User-Agent": "facebookexternalhit/1.1"}).status_code == 200
    )
    assert db.session.scalar(sa.select(sa.func.count(FairVisit.id))) == 0
