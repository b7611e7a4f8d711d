"""The checkout form's hidden key: the same form sent twice (a double click, back and send
again) places one order and shows it."""

from __future__ import annotations

import re
import threading
import time
import traceback

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import Order
from tests import factories as f
from tests.cooperatives.helpers import sign_in

CONTACT = {
    "name": "Nguyễn Thị Lan",
    "phone": "0912 345 678",
    "email": "lan@example.vn",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
    "payment_method": "cod",
}
SENT_AGAIN = "Đơn hàng này đã được gửi rồi, đây là đơn hàng của bạn."  # as the site shows it, in Vietnamese


@pytest.fixture
def lychee(app):
    cooperative = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu", delivery_fee_vnd=30_000)
    product = f.product(cooperative, name="Vải thiều sấy", price_vnd=120_000, stock=10, slug="vai-say")
    f.commit()
    return product


def form_key(client) -> str:
    page = client.get("/checkout").get_data(as_text=True)
    found = re.search(r'<input[^>]*name="idempotency_key"[^>]*value="([^"]+)"', page)
    assert found, "no hidden key in the checkout form"
    return found.group(1)


def ready_to_check_out(client, product, quantity=2) -> dict:
    """The product in the cart and the checkout form as the browser would send it."""
    client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})
    return {**CONTACT, "idempotency_key": form_key(client)}


def orders_placed() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def test_each_checkout_page_has_its_own_hidden_key(client, lychee):
    client.post("/cart/add", data={"product_id": lychee.id, "quantity": 1})
    first, second = form_key(client), form_key(client)
    assert len(first) >= 32 and first != second


@pytest.mark.parametrize("signed_in", [False, True], ids=["guest", "customer"])
def test_the_same_form_sent_twice_places_one_order_and_shows_it(client, lychee, signed_in):
    if signed_in:
        sign_in(client, f.user(email="khach@example.vn"))
        f.commit()
    form = ready_to_check_out(client, lychee)

    first = client.post("/checkout", data=form)
    again = client.post("/checkout", data=form)  # back, and send again: the cart is empty by now

    order = db.session.scalar(sa.select(Order))
    assert first.status_code == again.status_code == 302
    assert again.location == first.location and f"/orders/{order.number}" in again.location
    page = client.get(again.location).get_data(as_text=True)
    assert order.number in page and SENT_AGAIN in page
    assert orders_placed() == 1 and stock_of(lychee) == 8


def test_a_refused_sending_can_be_corrected_and_sent_with_the_same_key(client, lychee):
    form = ready_to_check_out(client, lychee)

    refused = client.post("/checkout", data={**form, "phone": "12345"})
    placed = client.post("/checkout", data=form)

    assert refused.status_code == 422 and form["idempotency_key"] in refused.get_data(as_text=True)
    assert placed.status_code == 302 and orders_placed() == 1 and stock_of(lychee) == 8


def test_a_new_checkout_page_places_a_new_order(client, lychee):
    client.post("/checkout", data=ready_to_check_out(client, lychee))
    second = client.post("/checkout", data=ready_to_check_out(client, lychee))
    assert second.status_code == 302 and orders_placed() == 2 and stock_of(lychee) == 6


def test_a_form_without_its_key_is_placed_as_before(client, lychee):
    client.post("/cart/add", data={"product_id": lychee.id, "quantity": 1})
    assert client.post("/checkout", data=CONTACT).status_code == 302
    assert orders_placed() == 1


CLICKS = 3


def test_a_double_click_places_one_order(app, client, lychee, monkeypatch):
    """Both sendings at once: the second waits for the first on the key, then shows its order."""
    form = ready_to_check_out(client, lychee)
    session_cookie = client.get_cookie("session").value
    place_order = services.place_order

    def slow_place_order(*args, **kwargs):
        order = place_order(*args, **kwargs)
        time.sleep(0.5)  # still running while the other click arrives
        return order

    monkeypatch.setattr(services, "place_order", slow_place_order)
    start = threading.Barrier(CLICKS)
    answers: list = []

    def click():
        browser = app.test_client()
        browser.set_cookie("session", session_cookie)
        start.wait(30)
        try:
            response = browser.post("/checkout", data=form)
            answers.append((response.status_code, response.location))
        except Exception:  # noqa: BLE001 - any error fails the test with its text
            answers.append(traceback.format_exc(limit=5))

    threads = [threading.Thread(target=click) for _ in range(CLICKS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)

    errors = [answer for answer in answers if isinstance(answer, str)]
    assert not errors, "\n".join(errors)
    db.session.expire_all()
    order = db.session.scalar(sa.select(Order))
    assert orders_placed() == 1 and stock_of(lychee) == 8
    assert len(answers) == CLICKS and {status for status, _location in answers} == {302}
    locations = {location for _status, location in answers}
    assert len(locations) == 1 and f"/orders/{order.number}?token={order.tracking_token}" in locations.pop()
