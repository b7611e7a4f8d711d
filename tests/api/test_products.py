"""GET /api/v1/products: envelope, item shape, filters, sort, visibility, bad parameters."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from marketplace.catalog.models import ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core import geo
from marketplace.extensions import db
from marketplace.traceability.models import Certificate, CertificateKind
from tests.factories import BAC_NINH, HA_NOI

PRODUCT_KEYS = {
    "id",
    "name",
    "slug",
    "sku",
    "price_vnd",
    "regular_price_vnd",
    "fair_price",
    "unit",
    "stock",
    "ocop_stars",
    "certificates",
    "rating",
    "units_sold",
    "category",
    "origin",
    "cooperative",
    "url",
    "batches",
}


def slugs(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["slug"] for item in response.get_json()["items"]]


def aged(product, days: int):
    product.created_at = datetime(2026, 11, 1) - timedelta(days=days)
    return product


def test_item_has_exactly_the_documented_fields(client, make):
    category = make.category("Mật ong", slug="mat-ong")
    coop = make.cooperative("HTX Ong", slug="htx-ong")
    product = make.product(
        coop,
        category,
        slug="mat-ong-rung",
        name="Mật ong rừng",
        sku="MO-1",
        price_vnd=285_000,
        unit="chai",
        stock=12,
        ocop_stars=4,
        origin="Sơn Động",
    )
    # The stars come from a valid (verified, unexpired) OCOP certificate.
    db.session.add(
        Certificate(
            cooperative=coop,
            product=product,
            kind=CertificateKind.OCOP,
            ocop_stars=4,
            number="OCOP-123",
            issuer="UBND tỉnh Bắc Giang",
            issued_on=date(2024, 5, 1),
            verified_at=datetime(2024, 5, 2),
        )
    )
    make.commit()

    item = client.get("/api/v1/products").get_json()["items"][0]
    assert set(item) == PRODUCT_KEYS
    assert item == {
        "id": product.id,
        "name": "Mật ong rừng",
        "slug": "mat-ong-rung",
        "sku": "MO-1",
        "price_vnd": 285_000,
        "regular_price_vnd": 285_000,
        "fair_price": None,
        "unit": "chai",
        "stock": 12,
        "ocop_stars": 4,
        "certificates": [
            {
                "kind": "ocop",
                "name": "OCOP",
                "ocop_stars": 4,
                "number": "OCOP-123",
                "issuer": "UBND tỉnh Bắc Giang",
                "issued_on": "2024-05-01",
                "expires_on": None,
                "verified": True,
                "scope": "product",
            }
        ],
        "rating": {"average": None, "count": 0},
        "units_sold": 0,
        "category": {"id": category.id, "name": "Mật ong", "slug": "mat-ong"},
        "origin": "Sơn Động",
        "cooperative": {"id": coop.id, "name": "HTX Ong", "slug": "htx-ong"},
        "url": "http://localhost/products/mat-ong-rung",
        "batches": [],
    }
    assert client.get(f"/api/v1/products/{product.id}").get_json() == item


def test_envelope_and_pagination(client, make):
    coop = make.cooperative()
    for n in range(5):
        aged(make.product(coop, slug=f"sp-{n}"), n)
    make.commit()

    body = client.get("/api/v1/products?per_page=2").get_json()
    assert (body["total"], body["page"], body["pages"]) == (5, 1, 3)
    assert [i["slug"] for i in body["items"]] == ["sp-0", "sp-1"]
    last = client.get("/api/v1/products?per_page=2&page=3").get_json()
    assert (last["total"], last["page"], last["pages"]) == (5, 3, 3)
    assert [i["slug"] for i in last["items"]] == ["sp-4"]
    past = client.get("/api/v1/products?per_page=2&page=9").get_json()
    assert (past["items"], past["total"], past["page"]) == ([], 5, 9)


def test_empty_catalogue(client):
    assert client.get("/api/v1/products").get_json() == {"items": [], "total": 0, "page": 1, "pages": 0}


@pytest.mark.parametrize(
    ("product_status", "coop_status"),
    [
        (ProductStatus.DRAFT, CooperativeStatus.APPROVED),
        (ProductStatus.ARCHIVED, CooperativeStatus.APPROVED),
        (ProductStatus.ACTIVE, CooperativeStatus.PENDING),
        (ProductStatus.ACTIVE, CooperativeStatus.SUSPENDED),
    ],
)
def test_non_public_products_are_404_and_not_listed(client, make, product_status, coop_status):
    hidden = make.product(make.cooperative(status=coop_status), status=product_status, slug="an")
    make.product(slug="hien")
    make.commit()

    response = client.get(f"/api/v1/products/{hidden.id}")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Product not found", "details": {}}
    assert slugs(client.get("/api/v1/products")) == ["hien"]


def test_unknown_product_is_json_404(client):
    response = client.get("/api/v1/products/424242")
    assert response.status_code == 404
    assert response.get_json()["error"] == "Product not found"


def test_filters(client, make):
    fruit = make.category(slug="trai-cay")
    lychee = make.category(parent=fruit, slug="vai-thieu")
    honey = make.category(slug="mat-ong")
    youth_bn = make.cooperative(slug="htx-bn", is_youth=True)
    other_hn = make.cooperative(slug="htx-hn", is_youth=False, province_code=HA_NOI, ward_code=geo.wards(HA_NOI)[0][0])
    aged(make.product(youth_bn, lychee, slug="vai", ocop_stars=4), 1)
    aged(make.product(youth_bn, honey, slug="mat", ocop_stars=3), 2)
    aged(make.product(other_hn, fruit, slug="cam", ocop_stars=5), 3)
    aged(make.product(other_hn, honey, slug="mat-hn"), 4)
    make.commit()

    assert slugs(client.get("/api/v1/products?category=trai-cay")) == ["vai", "cam"]
    assert slugs(client.get("/api/v1/products?category=vai-thieu")) == ["vai"]
    assert slugs(client.get("/api/v1/products?cooperative=htx-hn")) == ["cam", "mat-hn"]
    assert slugs(client.get(f"/api/v1/products?province={BAC_NINH}")) == ["vai", "mat"]
    assert slugs(client.get(f"/api/v1/products?province={HA_NOI}")) == ["cam", "mat-hn"]
    assert slugs(client.get("/api/v1/products?ocop_min=4")) == ["vai", "cam"]
    assert slugs(client.get("/api/v1/products?ocop_min=5")) == ["cam"]
    assert slugs(client.get("/api/v1/products?youth=1")) == ["vai", "mat"]
    assert slugs(client.get("/api/v1/products?youth=true")) == ["vai", "mat"]
    assert slugs(client.get("/api/v1/products?youth=0")) == ["cam", "mat-hn"]
    assert slugs(client.get("/api/v1/products?youth=false")) == ["cam", "mat-hn"]
    assert slugs(client.get("/api/v1/products?category=mat-ong&youth=1&ocop_min=3")) == ["mat"]


def test_sort(client, make):
    coop = make.cooperative()
    aged(make.product(coop, slug="cu-re", price_vnd=50_000), 3)
    aged(make.product(coop, slug="vua-dat", price_vnd=300_000), 2)
    aged(make.product(coop, slug="moi-vua", price_vnd=120_000), 1)
    make.commit()

    assert slugs(client.get("/api/v1/products")) == ["moi-vua", "vua-dat", "cu-re"]
    assert slugs(client.get("/api/v1/products?sort=newest")) == ["moi-vua", "vua-dat", "cu-re"]
    assert slugs(client.get("/api/v1/products?sort=price_asc")) == ["cu-re", "moi-vua", "vua-dat"]
    assert slugs(client.get("/api/v1/products?sort=price_desc")) == ["vua-dat", "moi-vua", "cu-re"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("page=-1", "page"),
        ("per_page=0", "per_page"),
        ("per_page=1000", "per_page"),
        ("per_page=x", "per_page"),
        ("ocop_min=2", "ocop_min"),
        ("ocop_min=6", "ocop_min"),
        ("ocop_min=bốn", "ocop_min"),
        ("sort=x", "sort"),
        ("youth=maybe", "youth"),
        ("province=abc", "province"),
        ("province=9999", "province"),
        ("category=khong-co", "category"),
        ("cooperative=khong-co", "cooperative"),
    ],
)
def test_bad_parameter_is_400_naming_it(client, query, parameter):
    response = client.get(f"/api/v1/products?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "Invalid query parameters"
    assert list(body["details"]) == [parameter]
    assert body["details"][parameter]


def test_every_bad_parameter_is_named_at_once(client):
    response = client.get("/api/v1/products?page=0&per_page=1000&ocop_min=2&sort=x&youth=maybe&province=abc")
    assert response.status_code == 400
    assert set(response.get_json()["details"]) == {"page", "per_page", "ocop_min", "sort", "youth", "province"}


def test_error_reasons_are_english_whatever_the_site_language(client):
    details = client.get("/api/v1/products?per_page=1000").get_json()["details"]
    assert details == {"per_page": "must be between 1 and 100"}


def test_pending_cooperative_cannot_be_used_as_a_filter(client, make):
    make.cooperative(slug="cho", status=CooperativeStatus.PENDING)
    make.commit()
    response = client.get("/api/v1/products?cooperative=cho")
    assert response.status_code == 400
    assert "cooperative" in response.get_json()["details"]


def test_api_is_read_only(client):
    response = client.post("/api/v1/products")
    assert response.status_code == 405
    assert "error" in response.get_json()


def test_api_needs_no_csrf_token_and_sets_no_cookie(csrf_app):
    response = csrf_app.test_client().get("/api/v1/products")
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
