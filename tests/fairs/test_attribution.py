"""QR short links /f/<code>: visits, the attribution window, replacing sources, posters."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.extensions import db
from marketplace.fairs.attribution import (
    SOURCE_COOKIE,
    VISITOR_COOKIE,
    Source,
    current_source,
)
from marketplace.fairs.models import BoothStatus, FairStatus, FairVisit
from marketplace.orders.models import Order
from tests import factories as f
from tests.cooperatives.helpers import sign_in

SCAN_TIME = datetime(2026, 11, 20, 3, 0, 0)  # naive UTC: 10:00 in Vietnam
BROWSER = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"}


@pytest.fixture
def fair_setup(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    other_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong")
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    fair = f.fair("Hội chợ Nông sản Bắc Ninh", slug="hoi-cho-bac-ninh", code="HCBN26")
    booth = f.booth(fair, coop, [(lychee, 100_000)], number="A12", code="Ab3xYz")
    pending = f.booth(fair, other_coop, number=None, status=BoothStatus.PENDING, code="PEND01")
    other_fair = f.fair("Hội chợ OCOP Hà Nội", slug="ocop-ha-noi", code="OCOPHN")
    draft = f.fair("Hội chợ nháp", slug="nhap", code="DRAFT1", status=FairStatus.DRAFT)
    manager = f.manager(coop)
    other_manager = f.manager(other_coop)
    staff = f.staff()
    f.commit()
    return type("Setup", (), locals())


def scan(client, code, **kwargs):
    return client.get(f"/f/{code}", headers=kwargs.pop("headers", BROWSER), **kwargs)


def visits() -> list[FairVisit]:
    return list(db.session.scalars(sa.select(FairVisit).order_by(FairVisit.id)))


def source_of(client, now=None) -> Source | None:
    """What current_source() reads in a request carrying this client's cookies."""
    cookie = client.get_cookie(SOURCE_COOKIE)
    headers = {"Cookie": f"{SOURCE_COOKIE}={cookie.value}"} if cookie else {}
    with db.session.no_autoflush, client.application.test_request_context("/", headers=headers):
        return current_source(now)


def frozen(monkeypatch, moment: datetime) -> None:
    monkeypatch.setattr("marketplace.fairs.link_views.utcnow", lambda: moment)


def test_a_booth_scan_records_a_visit_and_goes_to_the_booth_page(client, fair_setup):
    response = scan(client, "ab3xyz")  # codes are case-insensitive

    assert response.status_code == 302
    assert response.location.endswith("/fairs/hoi-cho-bac-ninh/booths/A12")
    [visit] = visits()
    assert (visit.fair_id, visit.booth_id) == (fair_setup.fair.id, fair_setup.booth.id)
    visitor = client.get_cookie(VISITOR_COOKIE)
    assert visitor is not None and visit.visitor == visitor.value and len(visitor.value) >= 16
    source = source_of(client)
    assert (source.fair_id, source.booth_id) == (fair_setup.fair.id, fair_setup.booth.id)
    # The privacy note is flashed for the next page.
    with client.session_transaction() as session:
        [(category, note)] = session["_flashes"]
    assert category == "info" and "A12" in note and "Hội chợ Nông sản Bắc Ninh" in note and "7" in note


def test_a_fair_scan_goes_to_the_fair_page_without_a_booth(client, fair_setup):
    response = scan(client, "HCBN26")

    assert response.status_code == 302 and response.location.endswith("/fairs/hoi-cho-bac-ninh")
    [visit] = visits()
    assert (visit.fair_id, visit.booth_id) == (fair_setup.fair.id, None)
    assert source_of(client) == Source(fair_setup.fair.id, None, source_of(client).scanned_at)


def test_visits_count_in_total_and_by_unique_visitor(app, client, fair_setup):
    scan(client, "Ab3xYz")
    scan(client, "Ab3xYz")
    scan(client, "HCBN26")
    other = app.test_client()
    scan(other, "Ab3xYz")

    rows = visits()
    assert len(rows) == 4
    assert len({v.visitor for v in rows}) == 2
    assert [v.visitor for v in rows].count(client.get_cookie(VISITOR_COOKIE).value) == 3


def test_a_forged_visitor_cookie_is_replaced(client, fair_setup):
    client.set_cookie(VISITOR_COOKIE, "<script>")
    scan(client, "Ab3xYz")
    [visit] = visits()
    assert visit.visitor != "<script>" and client.get_cookie(VISITOR_COOKIE).value == visit.visitor


def test_attribution_lasts_the_window_and_no_longer(client, fair_setup, monkeypatch):
    frozen(monkeypatch, SCAN_TIME)
    response = scan(client, "Ab3xYz")

    day_6 = source_of(client, SCAN_TIME + timedelta(days=6, hours=23))
    assert day_6 == Source(fair_setup.fair.id, fair_setup.booth.id, SCAN_TIME)
    assert source_of(client, SCAN_TIME + timedelta(days=7) - timedelta(seconds=1)) is not None
    assert source_of(client, SCAN_TIME + timedelta(days=7)) is None
    assert source_of(client, SCAN_TIME + timedelta(days=30)) is None
    # The cookie itself expires with the window; nothing personal in it.
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(SOURCE_COOKIE + "=")]
    assert "Max-Age=604800" in cookie and "HttpOnly" in cookie


def test_the_window_follows_the_setting(app, client, fair_setup, monkeypatch):
    app.config["FAIR_ATTRIBUTION_DAYS"] = 2
    frozen(monkeypatch, SCAN_TIME)
    scan(client, "Ab3xYz")
    assert source_of(client, SCAN_TIME + timedelta(days=1)) is not None
    assert source_of(client, SCAN_TIME + timedelta(days=2)) is None


def test_a_later_scan_replaces_an_earlier_one(client, fair_setup, monkeypatch):
    frozen(monkeypatch, SCAN_TIME)
    scan(client, "Ab3xYz")
    later = SCAN_TIME + timedelta(days=3)
    frozen(monkeypatch, later)
    scan(client, "OCOPHN")

    assert source_of(client, later + timedelta(days=5)) == Source(fair_setup.other_fair.id, None, later)
    # ...and the window runs from the later scan.
    assert source_of(client, SCAN_TIME + timedelta(days=8)) is not None


@pytest.mark.parametrize("code", ["NOPE99", "DRAFT1", "PEND01", "x" * 40])
def test_unknown_draft_or_unapproved_codes_are_404_and_record_nothing(client, fair_setup, code):
    response = scan(client, code)
    assert response.status_code == 404
    assert visits() == [] and client.get_cookie(SOURCE_COOKIE) is None


def test_head_requests_and_bots_are_not_visits(client, fair_setup):
    head = client.head("/f/Ab3xYz", headers=BROWSER)
    bot = scan(client, "Ab3xYz", headers={"User-Agent": "facebookexternalhit/1.1"})
    no_agent = scan(client, "Ab3xYz", headers={"User-Agent": ""})

    assert [r.status_code for r in (head, bot, no_agent)] == [302, 302, 302]
    assert head.location.endswith("/fairs/hoi-cho-bac-ninh/booths/A12")
    assert visits() == []
    assert client.get_cookie(SOURCE_COOKIE) is None


def test_a_tampered_source_cookie_is_ignored(client, fair_setup):
    scan(client, "Ab3xYz")
    value = client.get_cookie(SOURCE_COOKIE).value
    client.set_cookie(SOURCE_COOKIE, value[:-2] + ("AA" if not value.endswith("AA") else "BB"))
    assert source_of(client) is None
    client.set_cookie(SOURCE_COOKIE, "garbage")
    assert source_of(client) is None


def test_no_source_outside_a_request(app):
    assert current_source() is None


def test_an_order_placed_after_a_scan_carries_its_source(client, fair_setup):
    scan(client, "Ab3xYz")
    client.post("/cart/add", data={"product_id": fair_setup.lychee.id, "quantity": 1})
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
    assert (order.source_fair_id, order.source_booth_id) == (fair_setup.fair.id, fair_setup.booth.id)
    # Attribution never changes the price: the fair price applies to everyone while the fair is on.
    assert order.parts[0].items[0].unit_price_vnd == 100_000


def test_an_order_without_a_scan_has_no_source(client, fair_setup):
    client.post("/cart/add", data={"product_id": fair_setup.lychee.id, "quantity": 1})
    client.post(
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
    order = db.session.scalar(sa.select(Order))
    assert order is not None and (order.source_fair_id, order.source_booth_id) == (None, None)
    assert order.parts[0].items[0].unit_price_vnd == 100_000


# --- posters -----------------------------------------------------------------------------------------


def poster_urls(setup):
    return {
        "fair_png": f"/agency/fairs/{setup.fair.slug}/poster.png",
        "fair_html": f"/agency/fairs/{setup.fair.slug}/poster",
        "booth_png": f"/agency/fairs/{setup.fair.slug}/booths/{setup.booth.id}/poster.png",
        "booth_html": f"/agency/fairs/{setup.fair.slug}/booths/{setup.booth.id}/poster",
        "own_png": f"/workspace/vai-thieu/fairs/{setup.fair.slug}/poster.png",
        "own_html": f"/workspace/vai-thieu/fairs/{setup.fair.slug}/poster",
    }


def test_agency_staff_print_fair_and_booth_posters(client, fair_setup):
    sign_in(client, fair_setup.staff)
    urls = poster_urls(fair_setup)
    for key in ("fair_png", "booth_png"):
        response = client.get(urls[key])
        assert response.status_code == 200 and response.mimetype == "image/png"
        image = Image.open(io.BytesIO(response.data))
        assert image.size == (1240, 1754)
    page = client.get(urls["booth_html"]).get_data(as_text=True)
    assert "<svg" in page and "http://localhost/f/Ab3xYz" in page and "A12" in page and "HTX Vải thiều Lục Ngạn" in page
    fair_page = client.get(urls["fair_html"]).get_data(as_text=True)
    assert "http://localhost/f/HCBN26" in fair_page
    # A pending booth has no poster (no number, its link does not work yet).
    assert (
        client.get(f"/agency/fairs/{fair_setup.fair.slug}/booths/{fair_setup.pending.id}/poster.png").status_code == 404
    )
    # A booth of another fair is not found under this one.
    assert client.get(f"/agency/fairs/ocop-ha-noi/booths/{fair_setup.booth.id}/poster.png").status_code == 404


def test_the_poster_qr_code_holds_the_short_link(client, fair_setup):
    """The QR matrix drawn on the page is the one segno makes for the absolute /f/<code> URL."""
    import segno

    sign_in(client, fair_setup.staff)
    page = client.get(poster_urls(fair_setup)["booth_html"]).get_data(as_text=True)
    expected = segno.make("http://localhost/f/Ab3xYz", error="q").svg_inline(
        scale=1, border=4, omitsize=True, svgclass="poster-qr", lineclass=None, dark="#000", light="#fff"
    )
    path = expected[expected.index("<path") : expected.index("/>", expected.index("<path"))]
    assert path in page


def test_a_manager_prints_only_their_own_booth_poster(client, fair_setup):
    urls = poster_urls(fair_setup)
    sign_in(client, fair_setup.manager)
    assert client.get(urls["own_png"]).status_code == 200
    assert "http://localhost/f/Ab3xYz" in client.get(urls["own_html"]).get_data(as_text=True)
    assert client.get(urls["booth_png"]).status_code == 403  # the agency's pages are not theirs
    assert client.get(urls["fair_png"]).status_code == 403

    sign_in(client, fair_setup.other_manager)
    assert client.get(urls["own_png"]).status_code == 403  # another cooperative's workspace
    # Its own booth is still pending: no poster yet.
    assert client.get(f"/workspace/mat-ong/fairs/{fair_setup.fair.slug}/poster.png").status_code == 404


def test_posters_need_sign_in(client, fair_setup):
    for url in poster_urls(fair_setup).values():
        response = client.get(url)
        assert response.status_code in (302, 401) and "/f/" not in (response.location or "")
