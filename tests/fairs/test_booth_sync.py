"""The booth app's server side: state.json, the batch sync (exactly once), conflicts, refusals, access."""

from __future__ import annotations

import hashlib
import secrets
import threading
import traceback
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product, ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import booth_sync, onsite
from marketplace.fairs.booth_access import HELPER_SESSION_KEY, BoothActor
from marketplace.fairs.models import BoothHelper, BoothStatus, FairStatus, OnSiteSale, OnSiteSaleStatus
from tests import factories as f
from tests.cooperatives.helpers import sign_in


@pytest.fixture
def setup(app):
    coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="vai-thieu",
        bank_bin="970436",
        bank_account_number="0123456789",
        bank_account_name="HTX VAI THIEU",
    )
    other_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong")
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000, stock=10, unit="hộp")
    tea = f.product(coop, name="Chè xanh", price_vnd=80_000, stock=2)
    not_showcased = f.product(coop, name="Gà đồi", price_vnd=200_000, stock=5)
    honey = f.product(other_coop, name="Mật ong rừng", price_vnd=250_000, stock=5)
    fair = f.fair("Hội chợ Nông sản Bắc Ninh", slug="hoi-cho")
    booth = f.booth(fair, coop, [(lychee, 100_000), tea], number="A12")
    other_booth = f.booth(fair, other_coop, [honey], number="B3")
    manager = f.manager(coop, full_name="Trần Văn Quản")
    other_manager = f.manager(other_coop)
    f.commit()
    return type("Setup", (), locals())


def helper_of(booth, name="Lê Thị Bán") -> BoothHelper:
    now = utcnow()
    helper = BoothHelper(
        booth_id=booth.id,
        name=name,
        code_hash=hashlib.sha256(secrets.token_bytes(8)).hexdigest(),
        session_token=secrets.token_hex(16),
        valid_from=now - timedelta(days=2),
        valid_until=now + timedelta(days=5),
    )
    db.session.add(helper)
    db.session.commit()
    return helper


def sign_in_helper(client, helper) -> None:
    with client.session_transaction() as session:
        session[HELPER_SESSION_KEY] = f"{helper.id}:{helper.session_token}"


def sale(product, quantity=1, price=100_000, payment="cash", sold_at=None, **fields) -> dict:
    when = sold_at or utcnow() - timedelta(minutes=3)
    return {
        "id": fields.pop("id", str(uuid.uuid4())),
        "product_id": product.id if hasattr(product, "id") else product,
        "quantity": quantity,
        "unit_price_vnd": price,
        "payment": payment,
        "sold_at": when.isoformat(timespec="milliseconds") + "Z" if not isinstance(when, str) else when,
        **fields,
    }


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def sale_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(OnSiteSale.id)))


def sync(client, booth, sales, **kwargs):
    return client.post(f"/booth/{booth.id}/sync", json={"sales": sales}, **kwargs)


# --- state.json ------------------------------------------------------------------------------


def test_state_lists_the_booths_products_at_the_fair_price_with_stock_bank_and_today(client, setup):
    s = setup
    sign_in(client, s.manager)
    response = client.get(f"/booth/{s.booth.id}/state.json")

    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    state = response.get_json()
    assert state["booth"]["number"] == "A12" and state["booth"]["fair"]["is_on"] is True
    assert state["booth"]["cooperative"] == {"name": "HTX Vải thiều Lục Ngạn", "slug": "vai-thieu"}
    assert state["booth"]["fair"]["starts_at"].endswith("Z")
    assert state["seller"] == {"kind": "manager", "name": "Trần Văn Quản"}
    assert state["can_sell"] is True
    products = {p["name"]: p for p in state["products"]}
    assert set(products) == {"Vải thiều sấy", "Chè xanh"}  # showcased and the cooperative's own
    assert products["Vải thiều sấy"] | {"id": 0} == {
        "id": 0,
        "name": "Vải thiều sấy",
        "unit": "hộp",
        "price_vnd": 100_000,
        "regular_price_vnd": 120_000,
        "stock": 10,
        "image_url": None,
    }
    assert products["Chè xanh"]["price_vnd"] == 80_000
    assert state["bank"]["bin"] == "970436" and state["bank"]["account_number"] == "0123456789"
    assert state["bank"]["account_name"] == "HTX VAI THIEU" and state["bank"]["bank_name"]
    assert state["today"] == {"count": 0, "units": 0, "total_vnd": 0, "cash_vnd": 0, "transfer_vnd": 0}
    assert state["csrf_token"] and state["server_time"].endswith("Z")


def test_state_has_no_bank_when_the_cooperative_gave_none(client, setup):
    sign_in(client, setup.other_manager)
    state = client.get(f"/booth/{setup.other_booth.id}/state.json").get_json()
    assert state["bank"] is None and [p["name"] for p in state["products"]] == ["Mật ong rừng"]


# --- exactly once ----------------------------------------------------------------------------


def test_a_batch_is_recorded_and_the_same_batch_again_changes_nothing(client, setup):
    s = setup
    sign_in(client, s.manager)
    batch = [sale(s.lychee, 2, 100_000, "cash"), sale(s.tea, 1, 75_000, "transfer")]

    first = sync(client, s.booth, batch)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    results = first.get_json()["results"]
    assert [(r["id"], r["status"]) for r in results] == [(batch[0]["id"], "recorded"), (batch[1]["id"], "recorded")]
    assert all(r["sale_id"] for r in results)
    assert stock_of(s.lychee) == 8 and stock_of(s.tea) == 1 and sale_count() == 2
    state = first.get_json()["state"]
    assert state["today"] == {"count": 2, "units": 3, "total_vnd": 275_000, "cash_vnd": 200_000, "transfer_vnd": 75_000}
    assert {p["name"]: p["stock"] for p in state["products"]} == {"Vải thiều sấy": 8, "Chè xanh": 1}

    again = sync(client, s.booth, batch)
    assert again.get_json()["results"] == results
    assert stock_of(s.lychee) == 8 and stock_of(s.tea) == 1 and sale_count() == 2

    stored = db.session.get(OnSiteSale, results[1]["sale_id"])
    assert (stored.unit_price_vnd, stored.total_vnd, stored.payment.value) == (75_000, 75_000, "transfer")
    assert stored.client_id == batch[1]["id"] and stored.recorded_by_id == s.manager.id and stored.helper_id is None
    assert stored.synced_at is not None and stored.status == OnSiteSaleStatus.RECORDED
    assert abs(stored.created_at - (utcnow() - timedelta(minutes=3))) < timedelta(seconds=30)


def test_the_same_id_twice_in_one_batch_is_recorded_once(client, setup):
    s = setup
    sign_in(client, s.manager)
    one = sale(s.lychee, 2)
    results = sync(client, s.booth, [one, dict(one), sale(s.lychee, 1)]).get_json()["results"]

    assert [r["status"] for r in results] == ["recorded"] * 3
    assert results[0] == results[1] and results[2]["sale_id"] != results[0]["sale_id"]
    assert stock_of(s.lychee) == 7 and sale_count() == 2


def test_an_id_in_upper_case_is_the_same_sale(client, setup):
    s = setup
    sign_in(client, s.manager)
    one = sale(s.lychee, 2)
    sync(client, s.booth, [one])
    results = sync(client, s.booth, [{**one, "id": one["id"].upper()}]).get_json()["results"]
    assert results[0]["status"] == "recorded" and results[0]["id"] == one["id"].upper()
    assert stock_of(s.lychee) == 8 and sale_count() == 1
