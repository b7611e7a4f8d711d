"""Idempotency-Key on POST /api/v1/orders: a retried order is not a second order."""

from __future__ import annotations

import json
import threading
import time
import traceback
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.idempotency import IdempotencyKey
from marketplace.orders.models import Order
from tests.factories import BAC_NINH, LUC_NGAN

KEY = "5f0c8a8e-2b1d-4c1e-9a57-0e3d4b7f6a21"


@pytest.fixture
def honey(make):
    cooperative = make.cooperative("HTX Mật ong Sóc Sơn", slug="htx-ong", delivery_fee_vnd=25_000)
    product = make.product(cooperative, name="Mật ong rừng", unit="chai", price_vnd=250_000, stock=10)
    make.commit()
    return product


def body(product, quantity=1, **changes) -> dict:
    return {
        "items": [{"product_id": product.id, "quantity": quantity}],
        "contact": {"name": "Nguyễn Thị Lan", "phone": "0912 345 678", "email": "lan@example.vn"},
        "address": {"province": BAC_NINH, "ward": LUC_NGAN, "street": "Số 12, thôn Đồng Cốc"},
        "payment_method": "cod",
        **changes,
    }


def place(client, data, key=KEY):
    headers = {} if key is None else {"Idempotency-Key": key}
    return client.post("/api/v1/orders", json=data, headers=headers)


def orders_placed() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def test_the_same_key_and_body_again_gets_the_first_answer_and_places_nothing(client, honey):
    first = place(client, body(honey, 2))
    again = place(client, body(honey, 2))

    assert first.status_code == again.status_code == 201
    assert again.get_data() == first.get_data()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    assert orders_placed() == 1 and stock_of(honey) == 8


def test_the_same_object_however_it_is_written_is_the_same_body(client, honey):
    first = place(client, body(honey))
    rewritten = json.dumps(dict(reversed(list(body(honey).items()))), indent=2, ensure_ascii=False)

    again = client.post(
        "/api/v1/orders", data=rewritten, content_type="application/json", headers={"Idempotency-Key": KEY}
    )

    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and orders_placed() == 1


def test_the_same_key_with_another_body_is_refused(client, honey):
    place(client, body(honey, 1))

    refused = place(client, body(honey, 3))

    assert refused.status_code == 422
    assert list(refused.get_json()["details"]) == ["Idempotency-Key"]
    assert "another request body" in refused.get_json()["error"]
    assert orders_placed() == 1 and stock_of(honey) == 9


def test_without_a_key_each_request_is_an_order_as_before(client, honey):
    assert place(client, body(honey), key=None).status_code == 201
    assert place(client, body(honey), key=None).status_code == 201
    assert orders_placed() == 2
    assert db.session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0


def test_another_key_is_another_order(client, honey):
    assert place(client, body(honey), key="order-1").status_code == 201
    second = place(client, body(honey), key="order-2")
    assert second.status_code == 201 and "Idempotent-Replayed" not in second.headers
    assert orders_placed() == 2


@pytest.mark.parametrize("key", ["", "   ", "k" * 256, "khóa-đơn", "tab\there", "bell\x07"])
def test_a_malformed_key_is_refused_and_nothing_is_placed(client, honey, key):
    response = place(client, body(honey), key=key)

    assert response.status_code == 400
    assert list(response.get_json()["details"]) == ["Idempotency-Key"]
    assert orders_placed() == 0 and stock_of(honey) == 10


def test_the_longest_key_and_inner_spaces_are_accepted(client, honey):
    assert place(client, body(honey), key="k" * 255).status_code == 201
    assert place(client, body(honey), key="order 2 of today").status_code == 201
    assert orders_placed() == 2


def test_a_refused_request_is_not_remembered(client, honey):
    refused = place(client, body(honey, 11))  # more than the stock
    assert refused.status_code == 409 and "Idempotent-Replayed" not in refused.headers

    placed = place(client, body(honey, 2))  # the same key, corrected

    assert placed.status_code == 201 and "Idempotent-Replayed" not in placed.headers
    assert orders_placed() == 1 and stock_of(honey) == 8


def test_an_invalid_body_is_not_remembered_either(client, honey):
    assert place(client, body(honey, contact={})).status_code == 400
    assert place(client, body(honey)).status_code == 201
    assert orders_placed() == 1


def test_a_key_is_kept_for_a_day_then_places_a_new_order(client, honey):
    first = place(client, body(honey))
    db.session.execute(sa.update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=24, minutes=1)))
    db.session.commit()

    again = place(client, body(honey))

    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert again.get_json()["number"] != first.get_json()["number"] and orders_placed() == 2


def test_prune_keys_deletes_the_keys_older_than_a_day(client, runner, honey):
    place(client, body(honey), key="old")
    place(client, body(honey), key="new")
    old = sa.update(IdempotencyKey).where(IdempotencyKey.key == "old")
    db.session.execute(old.values(created_at=utcnow() - timedelta(hours=25)))
    db.session.commit()

    result = runner.invoke(args=["orders", "prune-keys"])

    assert result.exit_code == 0, result.output
    assert "Deleted 1 idempotency key(s) older than 24 hours" in result.output
    db.session.expire_all()
    assert db.session.scalars(sa.select(IdempotencyKey.key)).all() == ["new"]
    assert place(client, body(honey), key="new").headers["Idempotent-Replayed"] == "true"


SENDERS = 5


def test_requests_sent_at_once_with_one_key_place_one_order(app, honey, monkeypatch):
    """The first holds the key while it places the order (slowed down here); the others wait for
    it on the key's unique index, then answer with its answer."""
    place_order = services.place_order

    def slow_place_order(*args, **kwargs):
        order = place_order(*args, **kwargs)
        time.sleep(0.5)  # still running while the others arrive
        return order

    monkeypatch.setattr(services, "place_order", slow_place_order)
    start = threading.Barrier(SENDERS)
    answers: list = []
    data = body(honey, 2)

    def send():
        client = app.test_client()
        start.wait(30)
        try:
            response = place(client, data)
            answers.append((response.status_code, response.get_data(), response.headers.get("Idempotent-Replayed")))
        except Exception:  # noqa: BLE001 - any error fails the test with its text
            answers.append(traceback.format_exc(limit=5))

    threads = [threading.Thread(target=send) for _ in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    errors = [answer for answer in answers if isinstance(answer, str)]
    assert not errors, "\n".join(errors)
    assert len(answers) == SENDERS
    assert {status for status, _body, _replayed in answers} == {201}
    assert len({answer_body for _status, answer_body, _replayed in answers}) == 1
    assert sorted(replayed or "" for _status, _body, replayed in answers) == [""] + ["true"] * (SENDERS - 1)
    db.session.expire_all()
    assert orders_placed() == 1 and stock_of(honey) == 8


def test_the_key_and_its_answers_are_in_the_openapi_document(client):
    operation = client.get("/api/v1/openapi.json").get_json()["paths"]["/orders"]["post"]
    (header,) = operation["parameters"]
    assert (header["name"], header["in"], header["required"]) == ("Idempotency-Key", "header", False)
    assert header["schema"]["maxLength"] == 255
    assert "Idempotent-Replayed" in operation["responses"]["201"]["headers"]
    assert "another body" in operation["responses"]["422"]["description"]
