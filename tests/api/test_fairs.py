"""GET /api/v1/fairs and /api/v1/fairs/<slug>: phases, drafts hidden, booths and current prices."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from marketplace.fairs.models import BoothStatus, FairStatus

START = datetime(2026, 12, 4, 1, 0)
END = START + timedelta(days=3)

FAIR_KEYS = {
    "slug",
    "name",
    "kind",
    "status",
    "phase",
    "starts_at",
    "ends_at",
    "applications_close_at",
    "venue",
    "address",
    "organisers",
    "description",
    "banner_url",
    "booth_count",
    "url",
}
PRODUCT_KEYS = {
    "id",
    "name",
    "slug",
    "unit",
    "stock",
    "price_vnd",
    "regular_price_vnd",
    "fair_price",
    "booth_fair_price_vnd",
    "url",
}


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = START

    c = Clock()
    monkeypatch.setattr("marketplace.api.fairs.utcnow", lambda: c.now)
    monkeypatch.setattr("marketplace.fairs.views.utcnow", lambda: c.now)
    monkeypatch.setattr("marketplace.core.content_version.utcnow", lambda: c.now)
    return c


def slugs(client, query: str = "") -> list[str]:
    response = client.get(f"/api/v1/fairs{query}")
    assert response.status_code == 200, response.get_json()
    return [item["slug"] for item in response.get_json()["items"]]


@pytest.fixture
def fair_with_booths(make):
    youth_union = make.agency("Tỉnh đoàn Bắc Ninh")
    fair = make.fair(
        "Hội chợ Nông sản OCOP Bắc Ninh 2026",
        slug="hoi-cho-ocop",
        starts_at=START,
        ends_at=END,
        organisers=[youth_union],
        street="Đường Lý Thái Tổ",
    )
    coop = make.cooperative("HTX Vải thiều", slug="htx-vai-thieu")
    honey = make.product(coop, name="Mật ong", slug="mat-ong", price_vnd=150_000, unit="chai")
    tea = make.product(coop, name="Trà", slug="tra", price_vnd=80_000)
    make.booth(fair, coop, [(honey, 120_000), tea], number="A1")
    other = make.cooperative("HTX Chờ", slug="htx-cho")
    make.booth(fair, other, [make.product(other)], number=None, status=BoothStatus.PENDING)
    make.commit()
    return fair


def test_list_by_phase_with_edges(client, make, clock):
    make.fair(slug="ocop", starts_at=START, ends_at=END)
    make.fair(slug="nhap", starts_at=START, ends_at=END, status=FairStatus.DRAFT)
    make.commit()

    clock.now = START - timedelta(seconds=1)
    assert (slugs(client, "?status=upcoming"), slugs(client, "?status=ongoing")) == (["ocop"], [])
    clock.now = START
    assert (slugs(client, "?status=upcoming"), slugs(client, "?status=ongoing")) == ([], ["ocop"])
    clock.now = END
    assert (slugs(client, "?status=ongoing"), slugs(client, "?status=past")) == ([], ["ocop"])
    assert slugs(client) == ["ocop"]  # every public fair; never the draft


def test_bad_status_is_a_400_naming_it(client):
    for bad in ("soon", "draft", "ONGOING"):
        response = client.get(f"/api/v1/fairs?status={bad}")
        assert response.status_code == 400
        body = response.get_json()
        assert body["error"] == "Invalid query parameters"
        assert body["details"] == {"status": "must be one of upcoming, ongoing, past"}
    assert client.get("/api/v1/fairs?page=0").status_code == 400


def test_list_item_shape(client, fair_with_booths, clock):
    response = client.get("/api/v1/fairs?status=ongoing")
    body = response.get_json()
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
    item = body["items"][0]
    assert set(item) == FAIR_KEYS
    assert item["phase"] == "ongoing" and item["status"] == "published" and item["kind"] == "trade_fair"
    assert (item["starts_at"], item["ends_at"]) == ("2026-12-04T01:00:00Z", "2026-12-07T01:00:00Z")
    assert item["booth_count"] == 1
    assert item["organisers"] == [
        {"id": item["organisers"][0]["id"], "name": "Tỉnh đoàn Bắc Ninh", "kind": "youth_union"}
    ]
    assert item["address"]["province"]["name"] == "Bắc Ninh" and item["address"]["street"] == "Đường Lý Thái Tổ"
    assert item["url"] == "http://localhost/fairs/hoi-cho-ocop" and item["banner_url"] is None


def test_detail_has_booths_with_current_prices_during_the_fair(client, fair_with_booths, clock):
    clock.now = START + timedelta(hours=1)
    body = client.get("/api/v1/fairs/hoi-cho-ocop").get_json()
    assert set(body) == FAIR_KEYS | {"booths"}
    assert [b["number"] for b in body["booths"]] == ["A1"]  # the pending booth is not listed
    booth = body["booths"][0]
    assert booth["cooperative"]["slug"] == "htx-vai-thieu"
    assert booth["url"] == "http://localhost/fairs/hoi-cho-ocop/booths/A1"
    honey, tea = booth["products"]
    assert set(honey) == PRODUCT_KEYS
    assert (honey["slug"], honey["price_vnd"], honey["regular_price_vnd"], honey["booth_fair_price_vnd"]) == (
        "mat-ong",
        120_000,
        150_000,
        120_000,
    )
    assert honey["fair_price"] == {
        "price_vnd": 120_000,
        "fair": {"slug": "hoi-cho-ocop", "name": "Hội chợ Nông sản OCOP Bắc Ninh 2026"},
        "ends_at": "2026-12-07T01:00:00Z",
    }
    assert (tea["price_vnd"], tea["fair_price"], tea["booth_fair_price_vnd"]) == (80_000, None, None)


@pytest.mark.parametrize("offset", [-timedelta(seconds=1), END - START])
def test_no_fair_price_before_or_after(client, fair_with_booths, clock, offset):
    clock.now = START + offset
    honey = client.get("/api/v1/fairs/hoi-cho-ocop").get_json()["booths"][0]["products"][0]
    assert (honey["price_vnd"], honey["regular_price_vnd"], honey["fair_price"]) == (150_000, 150_000, None)
    assert honey["booth_fair_price_vnd"] == 120_000  # announced for the fair's dates


def test_drafts_and_unknown_fairs_are_404(client, make):
    make.fair(slug="nhap", status=FairStatus.DRAFT)
    make.commit()
    for slug in ("nhap", "khong-co"):
        response = client.get(f"/api/v1/fairs/{slug}")
        assert response.status_code == 404
        assert response.get_json() == {"error": "Fair not found", "details": {}}


def test_documented_in_openapi(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert [p["name"] for p in doc["paths"]["/fairs"]["get"]["parameters"]] == ["status", "page", "per_page"]
    schemas = doc["components"]["schemas"]
    assert set(schemas["Fair"]["properties"]) == FAIR_KEYS == set(schemas["Fair"]["required"])
    assert set(schemas["FairDetail"]["properties"]) == FAIR_KEYS | {"booths"}
    assert (
        set(schemas["ShowcasedProduct"]["properties"]) == PRODUCT_KEYS == set(schemas["ShowcasedProduct"]["required"])
    )
    assert schemas["Fair"]["properties"]["phase"]["enum"] == ["upcoming", "ongoing", "past"]
