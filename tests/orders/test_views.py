"""The customer side: cart, checkout, the order page, cancelling, guest lookup and history."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.orders.models import CartItem, Order, OrderStatusChange, PartStatus
from tests import factories as f
from tests.cooperatives.helpers import sign_in


@pytest.fixture
def shop(app):
    """Two cooperatives: lychees (30.000 ₫ delivery, free from 500.000 ₫, pickup) and honey (25.000 ₫)."""
    lychee_coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="vai-thieu",
        delivery_fee_vnd=30_000,
        free_delivery_from_vnd=500_000,
        offers_pickup=True,
        email="vaithieu@example.vn",
    )
    honey_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong", delivery_fee_vnd=25_000)
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10, slug="vai-say")
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=2, slug="mat-ong-rung")
    honey_manager = f.manager(honey_coop, email="quanly.matong@example.vn")
    customer = f.user(email="khach@example.vn", full_name="Lê Thị Hoa", phone="0987654321")
    f.commit()
    return type("Shop", (), locals())


CONTACT = {
    "name": "Nguyễn Thị Lan",
    "phone": "0912 345 678",
    "email": "lan@example.vn",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
    "payment_method": "cod",
}


def add(client, product, quantity=1):
    return client.post("/cart/add", data={"product_id": product.id, "quantity": quantity}, follow_redirects=True)


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def text(response) -> str:
    return response.get_data(as_text=True)


def order_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Order.id)))


# --- cart ------------------------------------------------------------------------------------------


def test_cart_groups_lines_by_cooperative_with_delivery_and_free_delivery_hint(client, shop):
    add(client, shop.lychee, 2)
    page = text(add(client, shop.honey, 1))

    assert "HTX Vải thiều Lục Ngạn" in page and "HTX Mật ong Sóc Sơn" in page
    assert "240.000" in page and "250.000" in page  # subtotals
    assert "30.000" in page and "25.000" in page  # delivery fees
    assert "260.000" in page  # 500.000 - 240.000 more for free delivery
    assert "(3)" in page  # the header's cart count


def test_quantity_is_limited_to_stock_with_a_notice(client, shop):
    page = text(add(client, shop.honey, 5))

    assert 'value="2"' in page  # the cart holds the two that are left
    assert "Mật ong rừng chỉ còn 2" in page  # the flash (Vietnamese, the default language)


def test_update_and_remove_lines(client, shop):
    add(client, shop.lychee, 1)
    add(client, shop.honey, 1)

    page = text(
        client.post("/cart/update", data={"product_id": shop.lychee.id, "quantity": "4"}, follow_redirects=True)
    )
    assert f'id="qty-{shop.lychee.id}" name="quantity" value="4"' in page
    page = text(client.post("/cart/remove", data={"product_id": shop.honey.id}, follow_redirects=True))
    assert "Mật ong rừng" not in page
    page = text(
        client.post("/cart/update", data={"product_id": shop.lychee.id, "quantity": "0"}, follow_redirects=True)
    )
    assert "Vải thiều sấy" not in page


@pytest.mark.parametrize("quantity", ["-1", "abc", "", "9" * 40])
def test_bad_quantities_change_nothing(client, shop, quantity):
    add(client, shop.lychee, 1)

    response = client.post(
        "/cart/update", data={"product_id": shop.lychee.id, "quantity": quantity}, follow_redirects=True
    )

    assert response.status_code == 200
    assert 'name="quantity" value="1"' in text(response)


def test_price_change_and_stock_drop_are_shown_and_block_checkout(client, shop):
    add(client, shop.lychee, 3)
    shop.lychee.price_vnd, shop.lychee.stock = 135_000, 2
    f.commit()

    page = text(client.get("/cart"))

    assert "120.000" in page and "135.000" in page
    assert "/checkout" not in page.split("cart-total")[1]


def test_guest_cart_joins_the_stored_cart_at_sign_in(client, shop):
    add(client, shop.lychee, 2)
    login = client.post("/account/login", data={"email": shop.customer.email, "password": f.PASSWORD})

    assert login.status_code == 302
    item = db.session.scalar(sa.select(CartItem).where(CartItem.user_id == shop.customer.id))
    assert (item.product_id, item.quantity) == (shop.lychee.id, 2)
    assert "Vải thiều sấy" in text(client.get("/cart"))


# --- checkout ----------------------------------------------------------------------------------------


def test_guest_checkout_cod_with_two_cooperatives(client, shop, outbox):
    add(client, shop.lychee, 2)
    add(client, shop.honey, 1)

    response = client.post("/checkout", data={**CONTACT, f"delivery-{shop.lychee_coop.id}": "pickup"})

    order = db.session.scalar(sa.select(Order))
    assert response.status_code == 302 and f"/orders/{order.number}?token={order.tracking_token}" in response.location
    assert (order.total_vnd, order.delivery_total_vnd) == (240_000 + 250_000 + 25_000, 25_000)
    assert (stock_of(shop.lychee), stock_of(shop.honey)) == (8, 1)
    page = text(client.get(response.location))
    assert order.number in page and "HTX Vải thiều Lục Ngạn" in page and "HTX Mật ong Sóc Sơn" in page
    assert "Vải thiều sấy" not in text(client.get("/cart"))
    recipients = sorted(m["To"] for m in outbox)
    assert recipients == ["lan@example.vn", "quanly.matong@example.vn", "vaithieu@example.vn"]


def test_checkout_prefills_the_signed_in_customer(client, shop):
    sign_in(client, shop.customer)
    add(client, shop.lychee)

    page = text(client.get("/checkout"))

    assert 'value="Lê Thị Hoa"' in page and 'value="0987654321"' in page and 'value="khach@example.vn"' in page


def test_out_of_stock_is_refused_with_the_product_and_nothing_written(client, shop, outbox):
    add(client, shop.honey, 2)
    shop.honey.stock = 1  # someone else bought one meanwhile
    f.commit()

    response = client.post("/checkout", data=CONTACT)

    assert response.status_code == 409
    assert "Mật ong rừng" in text(response) and "1" in text(response)
    assert order_count() == 0 and stock_of(shop.honey) == 1 and outbox == []


def test_invalid_phone_is_refused_on_its_field(client, shop):
    add(client, shop.lychee)

    response = client.post("/checkout", data={**CONTACT, "phone": "12345"})

    assert response.status_code == 422
    assert re.search(r'id="phone-error"', text(response))
    assert order_count() == 0 and stock_of(shop.lychee) == 10


def test_a_payment_method_not_offered_is_refused(client, shop):
    add(client, shop.lychee)  # no bank account: no bank transfer

    response = client.post("/checkout", data={**CONTACT, "payment_method": "bank_transfer"})

    assert response.status_code == 422 and 'id="payment_method-error"' in text(response)
    assert order_count() == 0


def test_empty_cart_checkout_goes_back_to_the_cart(client, shop):
    assert client.get("/checkout").location.endswith("/cart")


# --- the order page ---------------------------------------------------------------------------------


def placed(shop, **fields):
    order = f.order([(shop.lychee, 1), (shop.honey, 1)], **fields)
    f.commit()
    return order


def test_order_page_for_the_token_holder_and_the_owner_only(app, client, shop):
    order = placed(shop, user=shop.customer)
    url = f"/orders/{order.number}"

    assert client.get(f"{url}?token={order.tracking_token}").status_code == 200
    assert client.get(f"{url}?token=wrong").status_code == 404
    assert client.get(url).status_code == 404
    owner = app.test_client()
    sign_in(owner, shop.customer)
    assert order.number in text(owner.get(url))
    other = app.test_client()
    sign_in(other, f.user())
    f.commit()
    assert other.get(url).status_code == 404


def test_customer_cancels_a_placed_part_and_the_stock_comes_back(client, shop):
    order = placed(shop)
    part = next(p for p in order.parts if p.cooperative_id == shop.honey_coop.id)
    url = f"/orders/{order.number}/parts/{part.id}/cancel"

    assert client.post(url, data={"token": "wrong"}).status_code == 404
    response = client.post(url, data={"token": order.tracking_token}, follow_redirects=True)

    db.session.expire_all()
    assert response.status_code == 200 and part.status == PartStatus.CANCELLED
    assert stock_of(shop.honey) == 2
    change = db.session.scalar(sa.select(OrderStatusChange).order_by(OrderStatusChange.id.desc()))
    assert change.actor == "customer"


def test_another_customer_cannot_cancel(app, shop):
    order = placed(shop, user=shop.customer)
    other = app.test_client()
    sign_in(other, f.user())
    f.commit()

    response = other.post(f"/orders/{order.number}/parts/{order.parts[0].id}/cancel")

    db.session.expire_all()
    assert response.status_code == 404 and order.parts[0].status == PartStatus.PLACED


def test_guest_lookup_by_phone_or_email(client, shop):
    order = placed(shop)

    by_phone = client.post("/orders/lookup", data={"number": order.number.lower(), "contact": "0912 345 678"})
    by_email = client.post("/orders/lookup", data={"number": order.number, "contact": "LAN.NGUYEN@example.vn"})
    wrong = client.post("/orders/lookup", data={"number": order.number, "contact": "0900000000"})

    assert by_phone.location.endswith(f"/orders/{order.number}?token={order.tracking_token}")
    assert by_email.status_code == 302
    assert wrong.status_code == 422 and order.tracking_token not in text(wrong)


def test_guessing_the_contact_of_an_order_is_stopped_then_allowed_again(client, app, shop, monkeypatch):
    app.config["ORDER_LOOKUP_MAX_FAILURES"] = 3
    order = placed(shop)
    right = {"number": order.number, "contact": "0912345678"}

    guesses = [
        client.post("/orders/lookup", data={"number": order.number, "contact": f"09000000{n:02d}"}) for n in range(3)
    ]
    stopped = client.post("/orders/lookup", data=right)  # even the right phone, for now

    assert [g.status_code for g in guesses] == [422, 422, 422]
    assert stopped.status_code == 429 and order.tracking_token not in text(stopped)
    assert "Vui lòng đợi 15 phút" in text(stopped)
    # Guessing from another address does not help: the order number is counted too.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert elsewhere.post("/orders/lookup", data=right).status_code == 429
    # After the window, the right answer works again.
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr("marketplace.core.throttle.utcnow", lambda: later)
    assert client.post("/orders/lookup", data=right).status_code == 302


def test_a_found_order_does_not_count_towards_the_limit(client, app, shop):
    app.config["ORDER_LOOKUP_MAX_FAILURES"] = 2
    order = placed(shop)

    answers = [
        client.post("/orders/lookup", data={"number": order.number, "contact": "0912345678"}).status_code
        for _ in range(4)
    ]

    assert answers == [302] * 4


def test_history_lists_only_the_customers_orders(client, shop):
    mine = placed(shop, user=shop.customer)
    theirs = placed(shop)
    sign_in(client, shop.customer)

    page = text(client.get("/account/orders"))

    assert f"/orders/{mine.number}" in page and theirs.number not in page


def test_history_needs_sign_in(client, shop):
    assert "/account/login" in client.get("/account/orders").location


# --- card payments ------------------------------------------------------------------------------------


@pytest.fixture
def card_shop(app, shop, monkeypatch):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x")
    return shop


def test_card_order_goes_to_the_payment_page_after_the_commit(client, card_shop, monkeypatch):
    started = []
    monkeypatch.setattr(
        "marketplace.payments.stripe_payments.start_card_payment", lambda order: started.append(order.number)
    )
    add(client, card_shop.lychee)

    response = client.post("/checkout", data={**CONTACT, "payment_method": "card"})

    order = db.session.scalar(sa.select(Order))
    assert started == [order.number]
    assert response.location.endswith(f"/orders/{order.number}/pay?token={order.tracking_token}")


def test_card_payment_that_cannot_start_writes_nothing(client, card_shop, monkeypatch, outbox):
    from marketplace.payments.stripe_payments import PaymentUnavailable

    def unavailable(order):
        raise PaymentUnavailable("Card payments are unavailable right now.")

    monkeypatch.setattr("marketplace.payments.stripe_payments.start_card_payment", unavailable)
    add(client, card_shop.lychee)

    response = client.post("/checkout", data={**CONTACT, "payment_method": "card"})

    assert response.status_code == 422 and "Card payments are unavailable" in text(response)
    assert order_count() == 0 and stock_of(card_shop.lychee) == 10 and outbox == []


def test_guest_cart_is_kept_when_registering(client, shop):
    add(client, shop.honey, 1)

    client.post(
        "/account/register",
        data={
            "email": "moi@example.vn",
            "full_name": "Trần Văn Mới",
            "password": "mat-khau-rat-dai-123",
            "confirm": "mat-khau-rat-dai-123",
        },
    )

    assert "Mật ong rừng" in text(client.get("/cart"))
    assert db.session.scalar(sa.select(sa.func.count(CartItem.id))) == 1


def test_checkout_sends_a_cart_with_problems_back_to_the_cart(client, shop):
    add(client, shop.honey, 2)
    shop.honey.stock = 1
    f.commit()

    response = client.get("/checkout", follow_redirects=True)

    assert response.request.path == "/cart" and "Mật ong rừng" in text(response)


def test_an_unpaid_card_order_page_links_to_its_payment(client, card_shop):
    order = f.order([(card_shop.lychee, 1)], payment_method="card")
    f.commit()

    page = text(client.get(f"/orders/{order.number}?token={order.tracking_token}"))

    assert f"/orders/{order.number}/pay?token={order.tracking_token}" in page
