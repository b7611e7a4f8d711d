"""The contract check itself (tests/api/contract.py): it catches each kind of disagreement
between the API and its OpenAPI document, and the test client runs it on every /api/ call."""

from __future__ import annotations

import gzip
import json

import pytest
from flask import Response, current_app
from werkzeug.test import EnvironBuilder

from tests.api.contract import ContractBroken, ContractClient, app_contract, check_call

PAGE = {"items": [], "total": 0, "page": 1, "pages": 0}


@pytest.fixture(autouse=True)
def _app(app):
    """The document lists the app's payment methods: it is built in an app's context."""
    return app


PROVINCE = {"code": 24, "name": "Tỉnh Bắc Ninh"}


def call(path: str, status: int, body, query: str = "", method: str = "GET", gzipped: bool = False) -> None:
    request = EnvironBuilder(path=path, query_string=query, method=method, base_url="http://localhost/").get_request()
    data = json.dumps(body).encode()
    response = Response(gzip.compress(data) if gzipped else data, status=status, mimetype="application/json")
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    check_call(app_contract(current_app, "http://localhost/api/v1"), request, response)


@pytest.mark.parametrize(
    ("path", "status", "body", "query", "broken"),
    [
        ("/api/v1/cooperatives", 200, {**PAGE, "next": None}, "", "'next' was unexpected"),
        ("/api/v1/provinces", 200, {"items": [{**PROVINCE, "code": "24"}]}, "", "'24' is not of type 'integer'"),
        ("/api/v1/provinces", 200, {"items": [{"code": 24}]}, "", "'name' is a required property"),
        ("/api/v1/provinces", 418, {"items": []}, "", "Unknown response http status: 418"),
        ("/api/v1/cooperatives", 200, PAGE, "page=0", "accepted a request the document refuses"),
        ("/api/v1/cooperatives", 200, PAGE, "youth=maybe", "accepted a request the document refuses"),
        ("/api/v1/no-such-list", 200, PAGE, "", "not in the OpenAPI document"),
    ],
)
def test_each_kind_of_disagreement_is_caught(path, status, body, query, broken):
    with pytest.raises(ContractBroken, match=broken):
        call(path, status, body, query)


def test_a_url_must_be_absolute():
    cooperative = {
        "id": 1,
        "name": "HTX",
        "slug": "htx",
        "province": PROVINCE,
        "ward": {"code": 7582, "name": "Xã Lục Ngạn"},
        "is_youth": True,
        "member_count": 7,
        "youth_member_count": 5,
        "founded_on": None,
        "url": "http://localhost/cooperatives/htx",
    }
    call("/api/v1/cooperatives/htx", 200, cooperative)
    with pytest.raises(ContractBroken, match="is not a 'uri'"):
        call("/api/v1/cooperatives/htx", 200, {**cooperative, "url": "/cooperatives/htx"})


def test_a_compressed_answer_is_read_uncompressed():
    call("/api/v1/provinces", 200, {"items": [PROVINCE]}, gzipped=True)
    with pytest.raises(ContractBroken, match="'name' is a required property"):
        call("/api/v1/provinces", 200, {"items": [{"code": 24}]}, gzipped=True)


def test_refusals_keep_the_contract():
    call("/api/v1/cooperatives", 400, {"error": "Invalid query parameters", "details": {"page": "bad"}}, "page=0")
    call("/api/v1/no-such-list", 404, {"error": "Not found", "details": {}})
    call("/api/v1/provinces", 405, {"error": "Method not allowed", "details": {}}, method="DELETE")
    # Given empty, a parameter is one left out (the document's description says so).
    call("/api/v1/cooperatives", 200, PAGE, "province=&youth=")


def test_the_test_client_checks_every_api_call(client, monkeypatch):
    assert isinstance(client, ContractClient)
    assert client.get("/api/v1/provinces").status_code == 200
    monkeypatch.setattr("marketplace.api.views.geo.provinces", lambda: [("24", "Tỉnh Bắc Ninh")])
    with pytest.raises(ContractBroken, match="is not of type 'integer'"):
        client.get("/api/v1/provinces")
