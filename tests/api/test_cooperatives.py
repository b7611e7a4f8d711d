"""GET /api/v1/cooperatives and the province/ward look-ups."""

from __future__ import annotations

from datetime import date

import pytest

from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core import geo
from tests.factories import BAC_NINH, HA_NOI, LUC_NGAN

COOPERATIVE_KEYS = {
    "id",
    "name",
    "slug",
    "province",
    "ward",
    "is_youth",
    "member_count",
    "youth_member_count",
    "founded_on",
    "url",
}


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [item["name"] for item in response.get_json()["items"]]


def test_cooperative_item_shape(client, make):
    coop = make.cooperative(
        "HTX Vải Lục Ngạn", slug="htx-vai", founded_on=date(2020, 6, 15), member_count=30, youth_member_count=21
    )
    make.commit()

    item = client.get("/api/v1/cooperatives").get_json()["items"][0]
    assert set(item) == COOPERATIVE_KEYS
    assert item == {
        "id": coop.id,
        "name": "HTX Vải Lục Ngạn",
        "slug": "htx-vai",
        "province": {"code": BAC_NINH, "name": "Bắc Ninh"},
        "ward": {"code": LUC_NGAN, "name": "Xã Lục Ngạn"},
        "is_youth": True,
        "member_count": 30,
        "youth_member_count": 21,
        "founded_on": "2020-06-15",
        "url": "http://localhost/cooperatives/htx-vai",
    }
    assert client.get("/api/v1/cooperatives/htx-vai").get_json() == item


def test_missing_founding_date_is_null(client, make):
    make.cooperative(slug="moi", founded_on=None)
    make.commit()
    assert client.get("/api/v1/cooperatives/moi").get_json()["founded_on"] is None


@pytest.mark.parametrize("status", [CooperativeStatus.PENDING, CooperativeStatus.SUSPENDED])
def test_unapproved_cooperatives_are_404_and_not_listed(client, make, status):
    make.cooperative("HTX Ẩn", slug="an", status=status)
    make.cooperative("HTX Hiện", slug="hien")
    make.commit()

    response = client.get("/api/v1/cooperatives/an")
    assert response.status_code == 404
    assert response.get_json() == {"error": "Cooperative not found", "details": {}}
    assert names(client.get("/api/v1/cooperatives")) == ["HTX Hiện"]


def test_filters_envelope_and_name_order(client, make):
    ha_noi_ward = geo.wards(HA_NOI)[0][0]
    make.cooperative("HTX C", is_youth=False)
    make.cooperative("HTX A", province_code=HA_NOI, ward_code=ha_noi_ward)
    make.cooperative("HTX B")
    make.commit()

    assert names(client.get("/api/v1/cooperatives")) == ["HTX A", "HTX B", "HTX C"]
    assert names(client.get(f"/api/v1/cooperatives?province={HA_NOI}")) == ["HTX A"]
    assert names(client.get("/api/v1/cooperatives?youth=1")) == ["HTX A", "HTX B"]
    assert names(client.get("/api/v1/cooperatives?youth=false")) == ["HTX C"]
    body = client.get("/api/v1/cooperatives?per_page=2&page=2").get_json()
    assert (body["total"], body["page"], body["pages"]) == (3, 2, 2)
    assert [i["name"] for i in body["items"]] == ["HTX C"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [("page=0", "page"), ("per_page=101", "per_page"), ("youth=maybe", "youth"), ("province=0", "province")],
)
def test_bad_parameters_are_400(client, query, parameter):
    response = client.get(f"/api/v1/cooperatives?{query}")
    assert response.status_code == 400
    assert list(response.get_json()["details"]) == [parameter]


def test_provinces_and_wards(client):
    provinces = client.get("/api/v1/provinces").get_json()["items"]
    assert {"code": BAC_NINH, "name": "Bắc Ninh"} in provinces
    assert len(provinces) == len(geo.provinces())

    wards = client.get(f"/api/v1/provinces/{BAC_NINH}/wards").get_json()["items"]
    assert {"code": LUC_NGAN, "name": "Xã Lục Ngạn"} in wards
    assert all(set(w) == {"code", "name"} for w in wards)


def test_wards_of_unknown_province_are_404(client):
    response = client.get("/api/v1/provinces/9999/wards")
    assert response.status_code == 404
    assert response.get_json()["error"] == "Unknown province"
    assert client.get("/api/v1/provinces/abc/wards").status_code == 404
