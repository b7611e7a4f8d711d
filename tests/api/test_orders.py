"""POST /api/v1/orders and GET /api/v1/orders/<number>?token=: placing and following orders."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.orders.models import Order, OrderItem
from tests.factories import BAC_NINH, LUC_NGAN

ORDER_KEYS = {
    "number",
    "tracking_token",
    "status",
    "payment",
    "parts",
    "items_total_vnd",
    "delivery_total_vnd",
    "total_vnd",
    "url",
}


@pytest.fixture
def shop(make):
    lychee_coop = make.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="htx-vai",
        delivery_fee_vnd=30_000,
        free_delivery_from_vnd=500_000,
        bank_bin="970436",
        bank_account_number="0011004455667",
        bank_account_name="HTX VAI THIEU LUC NGAN",
    )
    honey_coop = make.cooperative(
        "HTX Mật ong Sóc Sơn",
        slug="htx-ong",
        delivery_fee_vnd=25_000,
        bank_bin="970415",
        bank_account_number="113000998877",
        bank_account_name="HTX MAT ONG SOC SON",
    )
    lychee = make.product(lychee_coop, name="Vải thiều sấy", unit="kg", price_vnd=120_000, stock=10)
    honey = make.product(honey_coop, name="Mật ong rừng", unit="chai", price_vnd=250_000, stock=1)
    make.commit()
    return type("Shop", (), locals())


def body(*lines, **changes) -> dict:
    data = {
        "items": [{"product_id": product.id, "quantity": quantity} for product, quantity in lines],
        "contact": {"name": "Nguyễn Thị Lan", "phone": "0912 345 678", "email": "lan@example.vn"},
        "address": {"province": BAC_NINH, "ward": LUC_NGAN, "street": "Số 12, thôn Đồng Cốc"},
        "delivery": {},
        "payment_method": "cod",
    }
    data.update(changes)
    return data


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def orders_written() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def test_cash_order_from_two_cooperatives(client, shop):
    response = client.post(
        "/api/v1/orders",
        json=body((shop.lychee, 2), (shop.honey, 1), delivery={"htx-vai": "pickup"}, note="Gọi trước khi giao"),
    )
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    assert set(order) == ORDER_KEYS
    assert order["number"].startswith("DH-") and order["status"] == "placed"
    assert order["payment"]["method"] == "cod" and order["payment"]["status"] == "unpaid"
    honey_part, lychee_part = order["parts"]
    assert honey_part["cooperative"] == {"slug": "htx-ong", "name": "HTX Mật ong Sóc Sơn"}
    assert (honey_part["delivery_method"], honey_part["delivery_fee_vnd"], honey_part["total_vnd"]) == (
        "home",
        25_000,
        275_000,
    )
    assert (lychee_part["delivery_method"], lychee_part["delivery_fee_vnd"]) == ("pickup", 0)
    assert lychee_part["items"] == [
        {
            "product_id": shop.lychee.id,
            "name": "Vải thiều sấy",
            "unit": "kg",
            "unit_price_vnd": 120_000,
            "quantity": 2,
            "line_total_vnd": 240_000,
        }
    ]
    assert (order["items_total_vnd"], order["delivery_total_vnd"], order["total_vnd"]) == (490_000, 25_000, 515_000)
    assert order["url"] == f"http://localhost/orders/{order['number']}?token={order['tracking_token']}"
    assert response.headers["Location"].endswith(f"/api/v1/orders/{order['number']}?token={order['tracking_token']}")
    # Written once, stock taken.
    assert orders_written() == 1
    assert (stock_of(shop.lychee), stock_of(shop.honey)) == (8, 0)
    assert db.session.scalar(sa.select(Order.note)) == "Gọi trước khi giao"


def test_the_customer_and_each_cooperative_are_emailed_after_the_commit(client, shop, make, outbox):
    make.manager(shop.lychee_coop, email="quanly@htx-vai.vn")
    make.manager(shop.honey_coop, email="quanly@htx-ong.vn")
    make.commit()
    number = client.post("/api/v1/orders", json=body((shop.lychee, 1), (shop.honey, 1))).get_json()["number"]
    recipients = sorted(message["To"] for message in outbox)
    assert recipients == ["lan@example.vn", "quanly@htx-ong.vn", "quanly@htx-vai.vn"]
    assert all(number in message["Subject"] for message in outbox)


def test_bank_transfer_gives_a_vietqr_payload_per_cooperative(client, shop):
    response = client.post(
        "/api/v1/orders", json=body((shop.lychee, 1), (shop.honey, 1), payment_method="bank_transfer")
    )
    assert response.status_code == 201, response.get_json()
    order = response.get_json()
    transfers = {t["cooperative"]: t for t in order["payment"]["transfers"]}
    assert set(transfers) == {"htx-vai", "htx-ong"}
    parts = {p["cooperative"]["slug"]: p for p in order["parts"]}
    for slug, transfer in transfers.items():
        assert transfer["amount_vnd"] == parts[slug]["total_vnd"]
        assert transfer["vietqr_payload"].startswith("000201")  # EMVCo QR payload
        assert order["number"] in transfer["memo"] and transfer["bank_name"]
    assert transfers["htx-vai"]["account_number"] == "0011004455667"
    assert client.get(response.headers["Location"]).get_json()["payment"]["transfers"] == order["payment"]["transfers"]


def test_out_of_stock_is_409_with_what_is_left_and_writes_nothing(client, shop):
    response = client.post("/api/v1/orders", json=body((shop.lychee, 3), (shop.honey, 2)))
    assert response.status_code == 409
    error = response.get_json()
    assert error["details"] == {"product_id": shop.honey.id, "remaining": 1}
    assert "Mật ong rừng" in error["error"]
    assert orders_written() == 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(OrderItem)) == 0
    assert (stock_of(shop.lychee), stock_of(shop.honey)) == (10, 1)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"contact": {"name": "Lan", "phone": "12345", "email": "lan@example.vn"}}, "contact.phone"),
        ({"contact": {"name": "Lan", "phone": "0912345678", "email": "lan"}}, "contact.email"),
        ({"address": {"province": BAC_NINH, "ward": 1, "street": "Số 1"}}, "address.ward"),
        ({"address": {"province": "Bắc Ninh", "ward": LUC_NGAN, "street": "Số 1"}}, "address.province"),
        ({"payment_method": "bitcoin"}, "payment_method"),
        ({"delivery": {"htx-vai": "pickup"}}, "delivery"),
        ({"delivery": {"htx-khong-co": "home"}}, "delivery.htx-khong-co"),
        ({"delivery": {"htx-vai": "drone"}}, "delivery.htx-vai"),
        ({"items": []}, "items"),
        ({"items": [{"product_id": 999_999, "quantity": 1}]}, "items"),
        ({"items": [{"product_id": "1", "quantity": 1}]}, "items[0].product_id"),
    ],
)
def test_bad_field_is_400_naming_it_and_writes_nothing(client, shop, change, field):
    shop.lychee_coop.offers_pickup = False
    db.session.commit()
    response = client.post("/api/v1/orders", json=body((shop.lychee, 1), **change))
    assert response.status_code == 400, response.get_json()
    error = response.get_json()
    assert list(error["details"]) == [field]
    assert error["details"][field]
    assert orders_written() == 0
    assert stock_of(shop.lychee) == 10


def test_every_bad_field_is_named_at_once(client, shop):
    data = body((shop.lychee, 0))
    data["contact"] = {"name": "Lan"}  # no phone; no email is fine (it is optional)
    del data["address"]
    response = client.post("/api/v1/orders", json=data)
    assert response.status_code == 400
    assert set(response.get_json()["details"]) == {
        "items[0].quantity",
        "contact.phone",
        "address",
    }


def test_unknown_product_and_zero_quantity_are_refused(client, shop):
    unknown = client.post("/api/v1/orders", json={**body(), "items": [{"product_id": 999_999, "quantity": 1}]})
    assert unknown.get_json()["details"] == {"items": "This product is not for sale."}
    zero = client.post("/api/v1/orders", json=body((shop.lychee, 0)))
    assert zero.get_json()["details"] == {"items[0].quantity": "must be between 1 and 999"}
    assert orders_written() == 0


def test_body_that_is_not_json_is_400(client, shop):
    bad_json = client.post("/api/v1/orders", data='{"items": [', content_type="application/json")
    assert bad_json.status_code == 400
    assert bad_json.get_json()["details"] == {"body": "not valid JSON"}
    form = client.post("/api/v1/orders", data={"items": "1"})
    assert form.status_code == 400
    assert list(form.get_json()["details"]) == ["body"]
    array = client.post("/api/v1/orders", json=[1, 2])
    assert array.status_code == 400 and array.get_json()["details"] == {"body": "must be a JSON object"}
    assert orders_written() == 0


def test_posting_needs_no_csrf_token(csrf_app, make):
    product = make.product(stock=2)
    make.commit()
    response = csrf_app.test_client().post("/api/v1/orders", json=body((product, 1)))
    assert response.status_code == 201, response.get_json()


def test_the_token_holder_follows_the_order(client, shop):
    placed = client.post("/api/v1/orders", json=body((shop.lychee, 2))).get_json()
    number, token = placed["number"], placed["tracking_token"]

    response = client.get(f"/api/v1/orders/{number}?token={token}")
    assert response.status_code == 200
    assert response.get_json() == placed
    assert response.headers["Cache-Control"] == "no-store"

    for url in (
        f"/api/v1/orders/{number}",
        f"/api/v1/orders/{number}?token=wrong",
        f"/api/v1/orders/DH-2026-999999?token={token}",
        f"/api/v1/orders/{number}?token=đ%C3%A9{token}",
        f"/api/v1/orders/{number}?token={'x' * 5000}",
        f"/api/v1/orders/{'9' * 300}?token={token}",
    ):
        missing = client.get(url)
        assert missing.status_code == 404
        assert missing.get_json() == {"error": "Order not found", "details": {}}


def test_the_documented_order_is_the_one_returned(client, shop):
    placed = client.post("/api/v1/orders", json=body((shop.lychee, 1))).get_json()
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    assert set(schemas["Order"]["properties"]) == set(placed) == set(schemas["Order"]["required"])
    assert set(schemas["OrderPart"]["properties"]) == set(placed["parts"][0])
    assert set(schemas["OrderItem"]["properties"]) == set(placed["parts"][0]["items"][0])
    assert set(placed["payment"]) <= set(schemas["Payment"]["properties"])
    assert set(schemas["OrderRequest"]["properties"]) == set(body()) | {"note"}


def test_card_payment_that_cannot_start_is_503_and_writes_nothing(app, client, shop, monkeypatch):
    from marketplace.payments import stripe_payments
    from marketplace.payments.stripe_payments import PaymentUnavailable

    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x")

    def unavailable(order):
        raise PaymentUnavailable()

    monkeypatch.setattr(stripe_payments, "start_card_payment", unavailable)
    response = client.post("/api/v1/orders", json=body((shop.lychee, 2), payment_method="card"))
    assert response.status_code == 503
    assert response.get_json()["error"].startswith("Card payments are unavailable")
    assert orders_written() == 0
    assert stock_of(shop.lychee) == 10


def test_card_order_answers_with_the_client_secret(app, client, shop, monkeypatch):
    from marketplace.payments import stripe_payments

    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x")
    monkeypatch.setattr(stripe_payments, "start_card_payment", lambda order: "pi_123_secret_456")
    response = client.post("/api/v1/orders", json=body((shop.lychee, 2), payment_method="card"))
    assert response.status_code == 201
    payment = response.get_json()["payment"]
    assert payment["method"] == "card" and payment["client_secret"] == "pi_123_secret_456"
    assert payment["expires_at"].endswith("Z")
    followed = client.get(response.headers["Location"]).get_json()
    assert "client_secret" not in followed["payment"]
