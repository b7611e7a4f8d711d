"""The products API lists each product's open batches (checked against the OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime

from tests import factories as f
from tests.traceability.helpers import batch


def test_products_show_their_open_batches(client, app):
    coop = f.cooperative(slug="vai-thieu")
    lychee = f.product(coop, name="Vải thiều sấy", gtin="08934563138165")
    honey = f.product(coop, name="Mật ong")
    batch(lychee, code="OLD", produced_on=date(2026, 6, 1), best_before=None)
    batch(lychee, code="NEW/2", produced_on=date(2026, 11, 1))
    batch(lychee, code="BAD", recalled_at=datetime(2026, 11, 5), recall_reason="Nấm mốc")
    short = batch(honey, code="MO-1")
    f.commit()

    one = client.get(f"/api/v1/products/{lychee.id}").get_json()
    assert [b["code"] for b in one["batches"]] == ["NEW/2", "OLD"]  # the recalled one is not listed
    assert one["batches"][0]["trace_url"] == "http://localhost/01/08934563138165/10/NEW%2F2"
    assert one["batches"][1] == {
        "code": "OLD",
        "produced_on": "2026-06-01",
        "best_before": None,
        "trace_url": "http://localhost/01/08934563138165/10/OLD",
    }
    listing = client.get("/api/v1/products").get_json()
    by_name = {p["name"]: p for p in listing["items"]}
    assert by_name["Mật ong"]["batches"][0]["trace_url"] == f"http://localhost/t/{short.short_code}"
    assert len(by_name["Vải thiều sấy"]["batches"]) == 2


def test_a_new_batch_shows_at_once_despite_the_cache(client, app):
    lychee = f.product(f.cooperative(slug="vai-thieu"), name="Vải thiều sấy")
    f.commit()
    assert client.get(f"/api/v1/products/{lychee.id}").get_json()["batches"] == []
    batch(lychee, code="L1")
    f.commit()
    assert [b["code"] for b in client.get(f"/api/v1/products/{lychee.id}").get_json()["batches"]] == ["L1"]
