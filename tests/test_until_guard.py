"""Inputs that still crash the application on this branch, expected handled (issue 15).

The guard branch (core/input_guard.py) answers each with a 400 naming the field. Every test
here is a strict xfail named UNTIL_GUARD: once the guard is merged they pass, the strict mark
turns that into a failure, and the merger deletes this file's marks together with
tests/fuzzing.py's UNTIL_GUARD (the fuzzers then send these inputs too). Only these known
crashes are marked; any other 500 a fuzzer finds fails the suite.
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from marketplace.catalog.importer import PRODUCT_HEADER, import_products
from marketplace.core.csv_import import ImportFailed
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.factories import BAC_NINH, LUC_NGAN

UNTIL_GUARD = pytest.mark.xfail(
    strict=True, reason="UNTIL_GUARD: crashes until the guard branch (core/input_guard.py, issue 15) is merged"
)


@pytest.fixture
def product(make):
    cooperative = make.cooperative(slug="htx-vai")
    found = make.product(cooperative, sku="VT-1", stock=10)
    make.commit()
    return found


def order_body(product_id: int, **contact) -> dict:
    return {
        "items": [{"product_id": product_id, "quantity": 1}],
        "contact": {"name": "Nguyễn Thị Lan", "phone": "0912 345 678", **contact},
        "address": {"province": BAC_NINH, "ward": LUC_NGAN, "street": "Số 12"},
        "payment_method": "cod",
    }


def post_raw(client, text: str):
    return client.post("/api/v1/orders", data=text, content_type="application/json")


def orders() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


@UNTIL_GUARD
def test_a_nul_in_a_string_is_a_400(client, product):
    response = post_raw(client, json.dumps(order_body(product.id, name="A\u0000")))
    assert response.status_code == 400 and orders() == 0


@UNTIL_GUARD
def test_a_lone_surrogate_is_a_400(client, product):
    response = post_raw(client, json.dumps(order_body(product.id, name="\ud800")))  # sent as the escape \ud800
    assert response.status_code == 400 and orders() == 0


@UNTIL_GUARD
def test_a_product_id_beyond_the_column_is_a_400(client, product):
    response = post_raw(client, json.dumps(order_body(2**63)))
    assert 400 <= response.status_code < 500 and orders() == 0


@UNTIL_GUARD
def test_deeply_nested_json_is_refused(client, product):
    response = post_raw(client, "[" * 50_000)
    assert 400 <= response.status_code < 500


@UNTIL_GUARD
def test_a_nul_in_a_csv_cell_names_the_cell(app, product):
    row = ["htx-vai", "VT-2", "Vải\x00", "Trái cây", "kg", "1000", "1", "", "", ""]
    with pytest.raises(ImportFailed) as failed:
        import_products(",".join(PRODUCT_HEADER) + "\n" + ",".join(row) + "\n", cooperative=product.cooperative)
    assert [problem.column for problem in failed.value.problems] == ["name"]
