"""The OpenAPI document describes the API that really exists."""

from __future__ import annotations

import json
import re

from tests.api.test_cooperatives import COOPERATIVE_KEYS
from tests.api.test_products import PRODUCT_KEYS


def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def api_routes(app) -> set[str]:
    """Every /api/v1 route as an OpenAPI path: /products/<int:product_id> -> /products/{product_id}."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = rule.rule.removeprefix("/api/v1")
            paths.add(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", path))
    return paths


def resolve(doc: dict, ref: str) -> dict:
    node = doc
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def all_refs(node):
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from all_refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from all_refs(value)


def test_document_is_openapi_3_1_and_lists_every_route(app, client):
    doc = document(client)
    assert doc["openapi"].startswith("3.1")
    assert doc["info"]["title"] and doc["info"]["version"]
    assert doc["servers"] == [{"url": "http://localhost/api/v1"}]
    assert set(doc["paths"]) == api_routes(app)
    assert {
        "/products",
        "/products/{product_id}",
        "/cooperatives",
        "/cooperatives/{slug}",
        "/provinces",
        "/provinces/{code}/wards",
        "/openapi.json",
    } <= set(doc["paths"])


def test_every_reference_resolves_and_every_operation_is_complete(client):
    doc = document(client)
    for ref in all_refs(doc):
        assert resolve(doc, ref), ref
    operation_ids = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            assert method in ("get", "post")
            assert {"200", "201"} & set(operation["responses"])
            operation_ids.append(operation["operationId"])
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{([a-z_]+)}", path)), path
    assert len(operation_ids) == len(set(operation_ids))


def test_schemas_match_what_the_api_returns(client):
    schemas = document(client)["components"]["schemas"]
    assert set(schemas["Product"]["properties"]) == PRODUCT_KEYS == set(schemas["Product"]["required"])
    assert set(schemas["Cooperative"]["properties"]) == COOPERATIVE_KEYS == set(schemas["Cooperative"]["required"])
    for envelope in ("ProductPage", "CooperativePage"):
        assert set(schemas[envelope]["properties"]) == {"items", "total", "page", "pages"}
    assert set(schemas["Error"]["properties"]) == {"error", "details"}


def test_documented_query_parameters_are_the_ones_read(client):
    paths = document(client)["paths"]

    def names(path):
        return [p["name"] for p in paths[path]["get"]["parameters"]]

    assert names("/products") == [
        "q",
        "category",
        "cooperative",
        "province",
        "ocop_min",
        "youth",
        "sort",
        "page",
        "per_page",
    ]
    assert names("/cooperatives") == ["province", "youth", "page", "per_page"]
    # Each documented constraint is enforced: a value outside it is a 400 naming the parameter.
    for path, params in (("/products", names("/products")), ("/cooperatives", names("/cooperatives"))):
        for name in params:
            if name in ("q", "category", "cooperative"):
                continue
            response = client.get(f"/api/v1{path}?{name}=not-valid")
            assert response.status_code == 400, name
            assert list(response.get_json()["details"]) == [name]
    sort = next(p for p in paths["/products"]["get"]["parameters"] if p["name"] == "sort")
    assert sort["schema"]["enum"] == ["relevance", "newest", "price_asc", "price_desc"]
