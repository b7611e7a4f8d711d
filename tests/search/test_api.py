"""GET /api/v1/products?q=...: the search engine behind the same envelope, item shape and filters."""

from __future__ import annotations

import pytest

from marketplace.extensions import db
from tests.api.test_products import PRODUCT_KEYS
from tests.factories import HA_NOI


def body(client, url: str, **params) -> dict:
    response = client.get(url, query_string=params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def slugs(client, **params) -> list[str]:
    return [item["slug"] for item in body(client, "/api/v1/products", **params)["items"]]


def test_search_keeps_the_envelope_and_the_item_shape(client, catalogue):
    found = body(client, "/api/v1/products", q="vai thieu")

    assert set(found) == {"items", "total", "page", "pages"}
    assert (found["total"], found["page"], found["pages"]) == (1, 1, 1)
    item = found["items"][0]
    assert set(item) == PRODUCT_KEYS
    assert item == body(client, f"/api/v1/products/{catalogue.vai.id}")


@pytest.mark.parametrize("typed", ["vai thieu", "Vải Thiều", "VAI", "vải th", "luc ngan vai"])
def test_words_are_matched_without_accents_or_capitals(client, catalogue, typed):
    assert slugs(client, q=typed)[0] == "vai-thieu-luc-ngan"


def test_relevance_is_the_default_and_sold_out_comes_last(client, catalogue):
    assert slugs(client, q="vải") == ["vai-thieu-luc-ngan", "mat-ong"]
    assert slugs(client, q="vải", sort="relevance") == ["vai-thieu-luc-ngan", "mat-ong"]
    assert slugs(client, q="vải", sort="price_desc") == ["mat-ong", "vai-thieu-luc-ngan"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"province": HA_NOI}, ["mat-ong"]),
        ({"category": "trai-cay"}, ["vai-thieu-luc-ngan"]),  # a top category includes its sub-categories
        ({"category": "banh-keo"}, ["mat-ong"]),
        ({"cooperative": "htx-luc-ngan"}, ["vai-thieu-luc-ngan"]),
        ({"ocop_min": 5}, ["mat-ong"]),
        ({"youth": "1"}, ["vai-thieu-luc-ngan"]),
        ({"youth": "false"}, ["mat-ong"]),
        ({"province": HA_NOI, "youth": "1"}, []),
    ],
)
def test_search_accepts_every_filter(client, catalogue, filters, expected):
    assert slugs(client, q="vai", **filters) == expected


def test_paging_through_search_results(client, catalogue):
    first = body(client, "/api/v1/products", q="vai", per_page=1)
    second = body(client, "/api/v1/products", q="vai", per_page=1, page=2)
    past = body(client, "/api/v1/products", q="vai", per_page=1, page=5)

    assert (first["total"], first["pages"], [i["slug"] for i in first["items"]]) == (2, 2, ["vai-thieu-luc-ngan"])
    assert [i["slug"] for i in second["items"]] == ["mat-ong"]
    assert (past["items"], past["total"], past["page"], past["pages"]) == ([], 2, 5, 2)


def test_nothing_found_is_an_empty_page(client, catalogue):
    # No silent spelling correction for programs: "thieeeu" finds nothing.
    assert body(client, "/api/v1/products", q="thieeeu") == {"items": [], "total": 0, "page": 1, "pages": 0}


def test_only_public_products_are_found(client, catalogue):
    assert slugs(client, q="vai", per_page=100) == ["vai-thieu-luc-ngan", "mat-ong"]


def test_a_change_is_searchable_as_soon_as_it_is_committed(client, catalogue):
    catalogue.gao.name = "Gạo nếp cái hoa vàng"
    db.session.commit()

    assert slugs(client, q="nep cai") == ["gao-tam"]
    assert slugs(client, q="gao tam") == []


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_blank_words_are_the_plain_list(client, catalogue, blank):
    assert body(client, "/api/v1/products", q=blank) == body(client, "/api/v1/products")


def test_relevance_without_words_is_newest_first(client, catalogue):
    assert slugs(client, sort="relevance") == slugs(client, sort="newest") == slugs(client)


@pytest.mark.parametrize(
    ("params", "bad"),
    [
        ({"province": "abc"}, ["province"]),
        ({"sort": "best"}, ["sort"]),
        ({"ocop_min": "9", "category": "khong-co"}, ["category", "ocop_min"]),
        ({"per_page": "1000"}, ["per_page"]),
        ({"page": "0", "sort": "cheapest"}, ["page", "sort"]),
    ],
)
def test_bad_parameters_are_named_with_words_too(client, catalogue, params, bad):
    response = client.get("/api/v1/products", query_string={"q": "vai", **params})

    assert response.status_code == 400
    assert response.get_json()["error"] == "Invalid query parameters"
    assert sorted(response.get_json()["details"]) == bad


def test_a_bad_sort_names_the_choices_in_english(client, catalogue):
    client.get("/lang/vi")
    response = client.get("/api/v1/products?q=vai&sort=best")

    assert response.get_json()["details"] == {"sort": "must be one of relevance, newest, price_asc, price_desc"}


@pytest.mark.parametrize("typed", ['"', "*", "AND", "vai OR", "name:vai", "a" * 10_000, "🍯", "\u0301"])
def test_odd_words_never_break_the_api(client, catalogue, typed):
    found = body(client, "/api/v1/products", q=typed)

    assert set(found) == {"items", "total", "page", "pages"}


def test_a_nul_character_is_a_json_bad_request(client, catalogue):
    response = client.get("/api/v1/products?q=v%00ai")

    assert response.status_code == 400
    assert response.get_json()["error"]


def test_the_document_describes_q_and_relevance(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    parameters = {p["name"]: p for p in doc["paths"]["/products"]["get"]["parameters"]}

    assert parameters["q"]["in"] == "query" and parameters["q"]["schema"]["type"] == "string"
    assert "relevance" in parameters["sort"]["schema"]["enum"]
