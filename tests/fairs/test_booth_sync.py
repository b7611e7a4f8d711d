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

from marketplace.catalog.models import Product
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import booth_sync, onsite
from marketplace.fairs.booth_access import HELPER_SESSION_KEY
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


RACERS = 2


def test_the_same_batch_sent_twice_at_once_is_recorded_once(app, client, setup, monkeypatch):
    """Both requests pass the "already have it?" check before either writes: the unique id
    lets one in, the other's SAVEPOINT (and the stock it took) is rolled back."""
    s = setup
    sign_in(client, s.manager)
    cookie = client.get_cookie("session").value
    batch = [sale(s.lychee, 2), sale(s.tea, 1), sale(s.lychee, 1)]
    url = f"/booth/{s.booth.id}/sync"
    record = booth_sync._record
    arrived = threading.Barrier(RACERS)
    local = threading.local()
    lost: list = []

    def racing_record(*args, **kwargs):
        if not getattr(local, "waited", False):  # only the first sale: then one waits for the other's lock
            local.waited = True
            arrived.wait(20)
        stored = record(*args, **kwargs)
        if stored is None:
            lost.append(args[1])
        return stored

    monkeypatch.setattr(booth_sync, "_record", racing_record)
    answers: list = []

    def send():
        phone = app.test_client()
        phone.set_cookie("session", cookie)
        try:
            response = phone.post(url, json={"sales": batch})
            answers.append((response.status_code, response.get_json()["results"]))
        except Exception:  # noqa: BLE001 - any error fails the test with its text
            answers.append(traceback.format_exc(limit=8))

    threads = [threading.Thread(target=send) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    errors = [answer for answer in answers if isinstance(answer, str)]
    assert not errors, "\n".join(errors)
    db.session.expire_all()
    assert len(answers) == RACERS and {status for status, _results in answers} == {200}
    assert answers[0][1] == answers[1][1] and [r["status"] for r in answers[0][1]] == ["recorded"] * 3
    assert sale_count() == 3 and stock_of(s.lychee) == 7 and stock_of(s.tea) == 1
    # The unique id stopped a second copy (not a check before writing); which request lost
    # which sale depends on how the two interleave.
    assert lost and set(lost) <= {one["id"] for one in batch} and len(lost) == len(set(lost))


# --- conflicts -------------------------------------------------------------------------------


def test_a_sale_whose_stock_is_gone_is_a_conflict_that_takes_nothing(client, setup):
    s = setup
    sign_in(client, s.manager)
    batch = [sale(s.tea, 1), sale(s.tea, 2), sale(s.lychee, 1)]  # 2 of tea left: the second cannot have it

    response = sync(client, s.booth, batch).get_json()
    assert [r["status"] for r in response["results"]] == ["recorded", "conflict", "recorded"]
    assert stock_of(s.tea) == 1 and stock_of(s.lychee) == 9 and sale_count() == 3
    assert response["state"]["today"]["count"] == 2  # the conflict does not count
    assert sync(client, s.booth, batch).get_json()["results"] == response["results"]
    assert stock_of(s.tea) == 1


def conflict_sale(client, s, quantity=3) -> OnSiteSale:
    sign_in(client, s.manager)
    result = sync(client, s.booth, [sale(s.tea, quantity, 70_000)]).get_json()["results"][0]
    assert result["status"] == "conflict"
    return db.session.get(OnSiteSale, result["sale_id"])


def test_a_manager_confirms_a_conflict_with_the_stock_left(client, setup):
    s = setup
    conflict = conflict_sale(client, s)
    booth_sync.confirm_conflict(conflict, "1", s.manager)
    db.session.commit()

    assert conflict.status == OnSiteSaleStatus.RECORDED and conflict.counts
    assert conflict.resolved_by_id == s.manager.id and conflict.resolved_at is not None
    assert stock_of(s.tea) == 1
    with pytest.raises(Refused):  # a second manager's confirm finds it done
        booth_sync.confirm_conflict(conflict, "0", s.manager)
    db.session.rollback()
    assert stock_of(s.tea) == 1
    assert onsite.day_totals(onsite.sales_of_day(s.booth))["total_vnd"] == 210_000


@pytest.mark.parametrize("stock_left", ["", "-1", "abc", "1.5e3", None, "99999999999"])
def test_confirming_needs_a_whole_stock_left(client, setup, stock_left):
    s = setup
    conflict = conflict_sale(client, s)
    with pytest.raises(Refused):
        booth_sync.confirm_conflict(conflict, stock_left, s.manager)
    db.session.rollback()
    assert conflict.status == OnSiteSaleStatus.CONFLICT and stock_of(s.tea) == 2


def test_cancelling_a_conflict_voids_it_without_giving_stock_back(client, setup):
    s = setup
    conflict = conflict_sale(client, s)
    with pytest.raises(Refused):
        booth_sync.cancel_conflict(conflict, "  ", s.manager)
    booth_sync.cancel_conflict(conflict, "Khách đổi ý", s.manager)
    db.session.commit()

    assert conflict.voided_at is not None and conflict.void_reason == "Khách đổi ý" and stock_of(s.tea) == 2
    with pytest.raises(Refused):
        booth_sync.confirm_conflict(conflict, "0", s.manager)
    db.session.rollback()
    again = sync(client, s.booth, [{**sale(s.tea, 3), "id": conflict.client_id}]).get_json()["results"][0]
    assert again["status"] == "cancelled" and again["sale_id"] == conflict.id
    assert stock_of(s.tea) == 2


def test_voiding_a_conflict_gives_nothing_back_and_a_confirmed_one_gives_its_units(client, setup):
    s = setup
    conflict = conflict_sale(client, s)
    onsite.void_sale(conflict, "Nhầm", s.manager)
    db.session.commit()
    assert stock_of(s.tea) == 2

    confirmed = conflict_sale(client, s)
    booth_sync.confirm_conflict(confirmed, "0", s.manager)
    onsite.void_sale(confirmed, "Nhầm", s.manager)
    db.session.commit()
    assert stock_of(s.tea) == 3


# --- refusals --------------------------------------------------------------------------------


def in_english(client) -> None:
    with client.session_transaction() as session:
        session["lang"] = "en"


def refused(client, booth, sales) -> list[dict]:
    before = sale_count()
    response = sync(client, booth, sales)
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert all(r["status"] == "refused" and r["reason"] and r["sale_id"] is None for r in results)
    assert sale_count() == before
    return results


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"product_id": "not showcased"}, "no longer sells"),
        ({"product_id": "other cooperative"}, "no longer sells"),
        ({"product_id": "7"}, "no longer sells"),
        ({"quantity": 0}, "at least 1"),
        ({"quantity": 1000}, "At most 999"),
        ({"quantity": 1.5}, "at least 1"),
        ({"quantity": True}, "at least 1"),
        ({"unit_price_vnd": -1}, "whole number of đồng"),
        ({"unit_price_vnd": 1000.5}, "whole number of đồng"),
        ({"unit_price_vnd": 10**12}, "whole number of đồng"),
        ({"payment": "card"}, "cash or transfer"),
        ({"payment": None}, "cash or transfer"),
        ({"sold_at": "yesterday"}, "not valid"),
        ({"sold_at": "2026-12-03T07:12:03"}, "not valid"),  # no zone
        ({"sold_at": "past the fair"}, "outside the fair"),
        ({"sold_at": "future"}, "in the future"),
    ],
)
def test_a_sale_breaking_a_rule_is_refused_with_its_reason_and_not_stored(client, setup, change, reason):
    s = setup
    sign_in(client, s.manager)
    in_english(client)
    one = sale(s.lychee, 1)
    value = next(iter(change.values()))
    if value == "not showcased":
        change = {"product_id": s.not_showcased.id}
    elif value == "other cooperative":
        change = {"product_id": s.honey.id}
    elif value == "past the fair":
        change = {"sold_at": (s.fair.starts_at - timedelta(minutes=1)).isoformat() + "Z"}
    elif value == "future":
        change = {"sold_at": (utcnow() + timedelta(minutes=6)).isoformat() + "+00:00"}
    [result] = refused(client, s.booth, [{**one, **change}])
    assert reason in result["reason"]
    assert stock_of(s.lychee) == 10


def test_reasons_are_in_vietnamese_by_default(client, setup):
    sign_in(client, setup.manager)
    [result] = refused(client, setup.booth, [sale(setup.lychee, payment="card")])
    assert "tiền mặt" in result["reason"].lower()


def test_a_clock_a_little_ahead_and_other_zones_are_fine(client, setup):
    s = setup
    sign_in(client, s.manager)
    ahead = (utcnow() + timedelta(minutes=4)).isoformat() + "Z"
    vietnam = (utcnow() + timedelta(hours=7) - timedelta(minutes=1)).isoformat() + "+07:00"
    results = sync(client, s.booth, [sale(s.lychee, sold_at=ahead), sale(s.lychee, sold_at=vietnam)]).get_json()
    assert [r["status"] for r in results["results"]] == ["recorded", "recorded"]


@pytest.mark.parametrize("what", ["draft fair", "booth pending", "cooperative suspended", "long after the fair"])
def test_no_sale_is_recorded_when_the_booth_cannot_sell(client, setup, what):
    s = setup
    sold_at = utcnow() - timedelta(minutes=3)
    if what == "draft fair":
        s.fair.status = FairStatus.DRAFT
    elif what == "booth pending":
        s.booth.status = BoothStatus.PENDING
    elif what == "cooperative suspended":
        s.coop.status = CooperativeStatus.SUSPENDED
    else:
        s.fair.starts_at, s.fair.ends_at = utcnow() - timedelta(days=12), utcnow() - timedelta(days=8)
        sold_at = s.fair.starts_at + timedelta(hours=1)
    db.session.commit()
    sign_in(client, s.manager)
    refused(client, s.booth, [sale(s.lychee, sold_at=sold_at), sale(s.tea, sold_at=sold_at)])
    assert stock_of(s.lychee) == 10


def test_a_closed_fair_still_takes_its_sales_within_a_week(client, setup):
    s = setup
    s.fair.starts_at, s.fair.ends_at = utcnow() - timedelta(days=5), utcnow() - timedelta(days=2)
    s.fair.status = FairStatus.CLOSED
    db.session.commit()
    sign_in(client, s.manager)
    result = sync(client, s.booth, [sale(s.lychee, sold_at=s.fair.ends_at - timedelta(hours=1))]).get_json()
    assert result["results"][0]["status"] == "recorded" and result["state"]["can_sell"] is False


def test_an_id_of_another_booths_sale_is_refused(client, setup):
    s = setup
    sign_in(client, s.other_manager)
    theirs = sale(s.honey, 1, 250_000)
    assert sync(client, s.other_booth, [theirs]).get_json()["results"][0]["status"] == "recorded"
    sign_in(client, s.manager)
    in_english(client)
    [result] = refused(client, s.booth, [{**sale(s.lychee), "id": theirs["id"]}])
    assert "another booth" in result["reason"] and stock_of(s.lychee) == 10


@pytest.mark.parametrize(
    "body",
    [
        None,
        [],
        {"sales": {}},
        {"sale": []},
        {"sales": ["x"]},
        {"sales": [{"id": str(uuid.uuid4())}]},
        "text",
    ],
)
def test_a_body_that_is_not_a_batch_is_400_and_records_nothing(client, setup, body):
    s = setup
    sign_in(client, s.manager)
    good = sale(s.lychee)
    if isinstance(body, dict) and isinstance(body.get("sales"), list):
        body = {"sales": [good, *body["sales"]]}
    response = (
        client.post(f"/booth/{s.booth.id}/sync", json=body)
        if body != "text"
        else client.post(f"/booth/{s.booth.id}/sync", data="sales", content_type="text/plain")
    )
    assert response.status_code == 400 and response.get_json()["error"]
    assert sale_count() == 0 and stock_of(s.lychee) == 10


def test_more_than_200_sales_is_400(client, setup):
    s = setup
    sign_in(client, s.manager)
    response = sync(client, s.booth, [sale(s.lychee) for _ in range(201)])
    assert response.status_code == 400 and sale_count() == 0


def test_a_full_batch_of_200_is_recorded(client, setup):
    s = setup
    s.lychee.stock = 500
    db.session.commit()
    sign_in(client, s.manager)
    results = sync(client, s.booth, [sale(s.lychee) for _ in range(200)]).get_json()["results"]
    assert {r["status"] for r in results} == {"recorded"} and sale_count() == 200 and stock_of(s.lychee) == 300


# --- who may sync ----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_access_refusals_are_json(client, setup, method):
    s = setup

    def call(booth_id):
        if method == "get":
            return client.get(f"/booth/{booth_id}/state.json")
        return client.post(f"/booth/{booth_id}/sync", json={"sales": [sale(s.lychee)]})

    anonymous = call(s.booth.id)
    assert (anonymous.status_code, anonymous.get_json()) == (401, {"error": "sign_in"})
    assert anonymous.headers["Cache-Control"] == "no-store"
    sign_in(client, s.other_manager)
    assert (call(s.booth.id).status_code, call(s.booth.id).get_json()) == (403, {"error": "forbidden"})
    assert (call(999_999).status_code, call(999_999).get_json()) == (404, {"error": "not_found"})
    assert sale_count() == 0 and stock_of(s.lychee) == 10


def test_a_helper_syncs_and_the_sale_remembers_the_helper(client, setup):
    s = setup
    helper = helper_of(s.booth)
    sign_in_helper(client, helper)

    state = client.get(f"/booth/{s.booth.id}/state.json").get_json()
    assert state["seller"] == {"kind": "helper", "name": "Lê Thị Bán"}
    result = sync(client, s.booth, [sale(s.lychee, 2)]).get_json()["results"][0]
    stored = db.session.get(OnSiteSale, result["sale_id"])
    assert result["status"] == "recorded" and stored.helper_id == helper.id and stored.recorded_by_id is None


def test_a_helper_of_another_booth_is_refused(client, setup):
    s = setup
    sign_in_helper(client, helper_of(s.other_booth))
    assert client.get(f"/booth/{s.booth.id}/state.json").status_code == 403
    response = sync(client, s.booth, [sale(s.lychee)])
    assert (response.status_code, response.get_json()) == (403, {"error": "forbidden"}) and sale_count() == 0


def test_with_csrf_on_a_sync_needs_the_token_from_state(csrf_app, setup):
    s = setup
    client = csrf_app.test_client()
    sign_in(client, s.manager)
    one = sale(s.lychee)

    refused_ = sync(client, s.booth, [one])
    assert refused_.status_code == 400 and refused_.get_json()["error"] == "csrf" and sale_count() == 0
    token = client.get(f"/booth/{s.booth.id}/state.json").get_json()["csrf_token"]
    accepted = sync(client, s.booth, [one], headers={"X-CSRFToken": token})
    assert accepted.status_code == 200 and accepted.get_json()["results"][0]["status"] == "recorded"


# --- the manager's sales page and the fair's results -----------------------------------------


def sales_url(s) -> str:
    return f"/workspace/vai-thieu/fairs/{s.fair.slug}/sales"


def helper_conflict(client, s) -> OnSiteSale:
    """A helper sells 3 of the tea offline (2 left) and 1 lychee: one conflict, one sale."""
    helper = helper_of(s.booth)
    sign_in_helper(client, helper)
    batch = [sale(s.tea, 3, 70_000), sale(s.lychee, 1, 100_000, "transfer")]
    results = sync(client, s.booth, batch).get_json()["results"]
    assert [r["status"] for r in results] == ["conflict", "recorded"]
    with client.session_transaction() as session:
        session.clear()
    return db.session.get(OnSiteSale, results[0]["sale_id"])


def test_the_manager_sees_conflicts_to_resolve_and_app_sales_with_the_helpers_name(client, setup):
    s = setup
    conflict = helper_conflict(client, s)
    sign_in(client, s.manager)
    html = client.get(sales_url(s)).get_data(as_text=True)

    assert 'id="onsite-conflicts"' in html and "Cần xử lý" in html
    block = html.split(f'id="conflict-{conflict.id}"')[1].split("</li>")[0]
    assert "3 × Chè xanh" in block and "Lê Thị Bán" in block and "từ ứng dụng" in block
    assert 'name="stock_left"' in block and 'name="reason"' in block
    assert "Tồn kho hiện tại: 2" in block
    today = html.split('id="onsite-totals"')[1]
    assert "từ ứng dụng" in today and "Lê Thị Bán" in today
    assert 'data-value="1"' in today.split("</dl>")[0]  # one sale counts: the lychee; the conflict does not


def test_the_manager_confirms_a_conflict_on_the_page(client, setup):
    s = setup
    conflict = helper_conflict(client, s)
    sign_in(client, s.manager)
    url = f"{sales_url(s)}/{conflict.id}/confirm"

    refused_ = client.post(url, data={"stock_left": "-3"})
    assert refused_.status_code == 400 and 'id="onsite-error"' in refused_.get_data(as_text=True)
    db.session.expire_all()
    assert conflict.status == OnSiteSaleStatus.CONFLICT and stock_of(s.tea) == 2

    done = client.post(url, data={"stock_left": "0"})
    assert done.status_code == 302
    db.session.expire_all()
    assert conflict.status == OnSiteSaleStatus.RECORDED and conflict.resolved_by_id == s.manager.id
    assert stock_of(s.tea) == 0
    html = client.get(sales_url(s)).get_data(as_text=True)
    assert 'id="onsite-conflicts"' not in html
    again = client.post(url, data={"stock_left": "5"})
    assert again.status_code == 400 and stock_of(s.tea) == 0


def test_the_manager_cancels_a_conflict_on_the_page(client, setup):
    s = setup
    conflict = helper_conflict(client, s)
    sign_in(client, s.manager)
    url = f"{sales_url(s)}/{conflict.id}/cancel"

    assert client.post(url, data={"reason": " "}).status_code == 400
    assert client.post(url, data={"reason": "Khách trả lại"}).status_code == 302
    db.session.expire_all()
    assert conflict.voided_at is not None and conflict.voided_by_id == s.manager.id and stock_of(s.tea) == 2


def test_only_the_booths_managers_resolve_its_conflicts(client, setup):
    s = setup
    conflict = helper_conflict(client, s)
    sign_in_helper(client, helper_of(s.booth, "Người giúp"))  # a helper is no manager: sign in
    assert client.post(f"{sales_url(s)}/{conflict.id}/confirm", data={"stock_left": "0"}).status_code == 302
    sign_in(client, s.other_manager)
    assert client.post(f"{sales_url(s)}/{conflict.id}/confirm", data={"stock_left": "0"}).status_code == 403
    assert (
        client.post(f"/workspace/mat-ong/fairs/{s.fair.slug}/sales/{conflict.id}/cancel", data={"reason": "x"})
    ).status_code == 404
    db.session.expire_all()
    assert conflict.status == OnSiteSaleStatus.CONFLICT and conflict.voided_at is None and stock_of(s.tea) == 2


def test_fair_results_count_a_conflict_only_once_confirmed(client, setup):
    from marketplace.fairs.results import fair_results

    s = setup
    conflict = helper_conflict(client, s)

    def booth_row():
        db.session.expire_all()
        found = fair_results(s.fair)
        row = next(r for r in found.booths if r.booth_number == "A12")
        tea = next((p for p in found.products if p.name == "Chè xanh"), None)
        return (row.onsite_sales, row.onsite_units, row.onsite_revenue_vnd), tea.onsite_units if tea else 0

    assert booth_row() == ((1, 1, 100_000), 0)
    booth_sync.confirm_conflict(conflict, "0", s.manager)
    db.session.commit()
    assert booth_row() == ((2, 4, 310_000), 3)


def test_a_known_id_still_answers_its_status_once_the_booth_cannot_sell(client, setup):
    s = setup
    sign_in(client, s.manager)
    one = sale(s.lychee, 2)
    first = sync(client, s.booth, [one]).get_json()["results"]
    s.booth.status = BoothStatus.PENDING
    db.session.commit()
    assert sync(client, s.booth, [one]).get_json()["results"] == first
    assert sale_count() == 1 and stock_of(s.lychee) == 8
