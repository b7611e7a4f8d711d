"""Order actions for a customer on a phone: "Huỷ đơn hàng" (every cancellable part at once),
"Mua lại" (an old order's products back in the cart) and "Mua ngay" (one product straight to
checkout, the cart left as it is)."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product, ProductStatus
from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import CartItem, Order, OrderStatusChange, PartStatus
from tests import factories as f
from tests.cooperatives.helpers import sign_in
from tests.test_bad_input import BAD_TEXT, assert_sound, baseline, client_of, fuzz_form, read_form, world  # noqa: F401


@pytest.fixture
def shop(app):
    """Two cooperatives: lychees and honey, and a signed-up customer."""
    lychee_coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu", delivery_fee_vnd=30_000)
    honey_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong", delivery_fee_vnd=25_000)
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10, slug="vai-say")
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=5, slug="mat-ong-rung")
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


def text(response) -> str:
    return response.get_data(as_text=True)


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def placed(shop, lines=None, **fields) -> Order:
    order = f.order(lines or [(shop.lychee, 2), (shop.honey, 3)], **fields)
    f.commit()
    return order


def part_of(order, coop):
    return next(p for p in order.parts if p.cooperative_id == coop.id)


def signed_in(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def cart_of(user) -> dict[int, int]:
    rows = db.session.execute(sa.select(CartItem.product_id, CartItem.quantity).where(CartItem.user_id == user.id))
    return dict(rows.all())


# --- "Huỷ đơn hàng": the service -------------------------------------------------------------------


def test_cancel_order_cancels_every_placed_part_each_with_its_history_and_stock(shop):
    order = placed(shop)

    done = services.cancel_order(order, by=None)
    f.commit()

    db.session.expire_all()
    assert {p.cooperative_id for p in done.cancelled} == {shop.lychee_coop.id, shop.honey_coop.id} and not done.kept
    assert all(p.status == PartStatus.CANCELLED for p in order.parts)
    assert stock_of(shop.lychee) == 10 and stock_of(shop.honey) == 5
    for part in order.parts:  # each part records its own change, by the customer
        assert [(c.from_status, c.to_status, c.actor) for c in part.history][-1] == (
            PartStatus.PLACED,
            PartStatus.CANCELLED,
            "customer",
        )


def test_cancel_order_keeps_a_confirmed_part_and_refuses_when_nothing_is_left(shop):
    order = placed(shop)
    services.change_part_status(part_of(order, shop.honey_coop), PartStatus.CONFIRMED, actor="cooperative")
    f.commit()

    done = services.cancel_order(order, by=shop.customer)
    f.commit()

    assert [p.cooperative_id for p in done.cancelled] == [shop.lychee_coop.id]
    assert [p.cooperative_id for p in done.kept] == [shop.honey_coop.id]
    assert part_of(order, shop.honey_coop).status == PartStatus.CONFIRMED
    assert stock_of(shop.honey) == 2  # the confirmed part keeps its stock
    with pytest.raises(Refused):
        services.cancel_order(order, by=shop.customer)


def test_a_refund_refused_for_one_part_leaves_it_placed_and_the_others_cancelled_and_refunded(
    app, client, shop, monkeypatch
):
    from marketplace.orders.models import PaymentStatus
    from marketplace.payments import stripe_payments

    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x")
    order = placed(shop, payment_method="card")
    order.payment_status = PaymentStatus.PAID
    f.commit()
    refunded = []

    def refund(part):
        if part.cooperative_id == shop.honey_coop.id:
            raise stripe_payments.PaymentUnavailable("The card refund could not be made right now.")
        refunded.append(part.id)
        part.refunded_vnd = part.total_vnd

    monkeypatch.setattr(stripe_payments, "refund_part", refund)

    page = text(
        client.post(f"/orders/{order.number}/cancel", data={"token": order.tracking_token}, follow_redirects=True)
    )

    db.session.expire_all()
    lychee, honey = part_of(order, shop.lychee_coop), part_of(order, shop.honey_coop)
    assert refunded == [lychee.id] and lychee.status == PartStatus.CANCELLED and lychee.refunded_vnd == lychee.total_vnd
    assert honey.status == PartStatus.PLACED and [c.to_status for c in honey.history] == [PartStatus.PLACED]
    assert stock_of(shop.lychee) == 10 and stock_of(shop.honey) == 2
    assert "Phần đơn của HTX Mật ong Sóc Sơn không huỷ được" in page


# --- "Huỷ đơn hàng": the page and the route ----------------------------------------------------------


def test_order_page_offers_one_cancel_button_only_while_two_parts_can_be_cancelled(client, shop):
    order = placed(shop)
    url = f"/orders/{order.number}?token={order.tracking_token}"
    page = text(client.get(url))
    assert f'action="/orders/{order.number}/cancel"' in page and "Huỷ đơn hàng" in page
    assert page.count('/cancel"') == 3  # the whole order and each part

    services.change_part_status(part_of(order, shop.honey_coop), PartStatus.CONFIRMED, actor="cooperative")
    f.commit()
    page = text(client.get(url))
    assert f'action="/orders/{order.number}/cancel"' not in page
    assert f"/parts/{part_of(order, shop.lychee_coop).id}/cancel" in page  # the per-part button stays


def test_guest_cancels_the_whole_order_with_the_token(client, shop):
    order = placed(shop)
    url = f"/orders/{order.number}/cancel"

    assert client.post(url, data={"token": "sai"}).status_code == 404
    page = text(client.post(url, data={"token": order.tracking_token}, follow_redirects=True))

    db.session.expire_all()
    assert all(p.status == PartStatus.CANCELLED for p in order.parts)
    assert "Đã huỷ đơn hàng của:" in page and "HTX Vải thiều Lục Ngạn" in page and "HTX Mật ong Sóc Sơn" in page
    again = text(client.post(url, data={"token": order.tracking_token}, follow_redirects=True))
    assert "Không còn phần nào của đơn hàng này có thể huỷ." in again


def test_owner_cancels_and_is_told_which_part_could_not_be(app, shop):
    order = placed(shop, user=shop.customer)
    services.change_part_status(part_of(order, shop.honey_coop), PartStatus.CONFIRMED, actor="cooperative")
    f.commit()

    page = text(signed_in(app, shop.customer).post(f"/orders/{order.number}/cancel", follow_redirects=True))

    db.session.expire_all()
    assert part_of(order, shop.lychee_coop).status == PartStatus.CANCELLED
    assert part_of(order, shop.honey_coop).status == PartStatus.CONFIRMED
    assert "Phần đơn của HTX Mật ong Sóc Sơn" in page and "không thể huỷ" in page


def test_another_customer_cannot_cancel_or_reorder_the_order(app, shop):
    order = placed(shop, user=shop.customer)
    stranger = f.user(email="nguoila@example.vn")
    f.commit()
    other = signed_in(app, stranger)

    assert other.post(f"/orders/{order.number}/cancel").status_code == 404
    assert other.post(f"/orders/{order.number}/reorder").status_code == 404
    assert other.post("/orders/DH-2026-99999999/cancel").status_code == 404
    assert other.post("/orders/not-a-number/reorder").status_code == 404

    db.session.expire_all()
    assert all(p.status == PartStatus.PLACED for p in order.parts) and cart_of(stranger) == {}
    assert (
        db.session.scalar(
            sa.select(sa.func.count(OrderStatusChange.id)).where(OrderStatusChange.to_status == PartStatus.CANCELLED)
        )
        == 0
    )


# --- "Mua lại" ----------------------------------------------------------------------------------------


@pytest.fixture
def changed_since(shop):
    """An old order of lychees (2), honey (3) and jam (1); since then the honey costs more and
    only 1 is left, and the jam is archived."""
    jam = f.product(shop.lychee_coop, name="Mứt vải", price_vnd=60_000, stock=4, slug="mut-vai")
    f.commit()
    order = placed(shop, [(shop.lychee, 2), (shop.honey, 3), (jam, 1)], user=shop.customer)
    shop.honey.price_vnd = 280_000
    shop.honey.stock = 1
    jam.status = ProductStatus.ARCHIVED
    f.commit()
    return order


def test_reorder_puts_what_is_for_sale_in_the_cart_and_says_what_changed(shop, changed_since):
    result = services.reorder(changed_since, shop.customer, {})
    f.commit()

    assert cart_of(shop.customer) == {shop.lychee.id: 2, shop.honey.id: 1}
    assert sorted(result.added) == [("Mật ong rừng", 1), ("Vải thiều sấy", 2)]
    assert result.unavailable == ["Mứt vải"]
    assert result.repriced == [("Mật ong rừng", 250_000, 280_000)]
    assert result.limited == [("Mật ong rừng", 3, 1)]


def test_reorder_twice_does_not_double_and_a_guest_cart_lives_in_the_session(shop, changed_since):
    session = {}
    services.reorder(changed_since, None, session)
    services.reorder(changed_since, None, session)

    assert {int(k): v[0] for k, v in session["cart"].items()} == {shop.lychee.id: 2, shop.honey.id: 1}


def test_reorder_of_products_all_gone_adds_nothing(shop):
    order = placed(shop, [(shop.honey, 1)])
    shop.honey.stock = 0
    f.commit()

    result = services.reorder(order, None, {})

    assert result.added == [] and result.sold_out == ["Mật ong rừng"]


def test_buy_again_button_fills_the_cart_and_tells_the_customer(app, shop, changed_since):
    customer = signed_in(app, shop.customer)
    history = text(customer.get("/account/orders"))
    assert f'action="/orders/{changed_since.number}/reorder"' in history and "Mua lại" in history
    assert f'action="/orders/{changed_since.number}/reorder"' in text(customer.get(f"/orders/{changed_since.number}"))

    response = customer.post(f"/orders/{changed_since.number}/reorder")
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    page = text(customer.get("/cart"))

    assert "Giá của Mật ong rừng đã thay đổi: 250.000" in page and "280.000" in page
    assert "Không còn bán: Mứt vải." in page
    assert "Mật ong rừng chỉ còn 1 (bạn đã đặt 3)" in page
    assert cart_of(shop.customer) == {shop.lychee.id: 2, shop.honey.id: 1}


def test_guest_buys_again_with_the_token(client, shop):
    order = placed(shop, [(shop.lychee, 2)])
    response = client.post(
        f"/orders/{order.number}/reorder", data={"token": order.tracking_token}, follow_redirects=True
    )
    assert "1 sản phẩm từ đơn" in text(response) and 'value="2"' in text(response)
    assert client.post(f"/orders/{order.number}/reorder", data={"token": "x" * 500}).status_code == 404


# --- "Mua ngay" ----------------------------------------------------------------------------------------


def test_buy_now_checks_out_one_product_and_leaves_the_cart_as_it_was(client, shop):
    client.post("/cart/add", data={"product_id": shop.lychee.id, "quantity": "3"})

    response = client.post("/buy-now", data={"product_id": shop.honey.id, "quantity": "2"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/checkout?buy_now=1")
    page = text(client.get("/checkout?buy_now=1"))
    assert "Mật ong rừng" in page and "Vải thiều sấy" not in page and 'action="/checkout?buy_now=1"' in page

    placed_page = client.post("/checkout?buy_now=1", data=CONTACT, follow_redirects=True)

    assert placed_page.status_code == 200
    order = db.session.scalar(sa.select(Order))
    assert [(i.product_id, i.quantity) for p in order.parts for i in p.items] == [(shop.honey.id, 2)]
    cart = text(client.get("/cart"))
    assert "Vải thiều sấy" in cart and 'value="3"' in cart  # the cart is as it was
    with client.session_transaction() as session:
        assert "buy_now" not in session  # forgotten once placed
    again = client.get("/checkout?buy_now=1")
    assert again.status_code == 302 and db.session.scalar(sa.select(sa.func.count(Order.id))) == 1


def test_buy_now_from_the_product_page_for_a_signed_in_customer(app, shop):
    customer = signed_in(app, shop.customer)
    page = text(customer.get("/products/mat-ong-rung"))
    assert 'formaction="/buy-now"' in page and "Mua ngay" in page

    customer.post("/buy-now", data={"product_id": shop.honey.id, "quantity": "9"})  # 5 left
    customer.post("/checkout?buy_now=1", data=CONTACT)

    order = db.session.scalar(sa.select(Order))
    assert order.user_id == shop.customer.id and order.items_total_vnd == 5 * 250_000
    assert cart_of(shop.customer) == {} and stock_of(shop.honey) == 0


def test_the_ordinary_checkout_still_buys_the_cart(client, shop):
    client.post("/cart/add", data={"product_id": shop.lychee.id, "quantity": "1"})
    client.post("/buy-now", data={"product_id": shop.honey.id, "quantity": "1"})

    client.post("/checkout", data=CONTACT)

    order = db.session.scalar(sa.select(Order))
    assert [i.product_id for p in order.parts for i in p.items] == [shop.lychee.id]
    with client.session_transaction() as session:
        assert session["cart"] == {} and list(session["buy_now"]) == [str(shop.honey.id)]


@pytest.mark.parametrize(
    "data",
    [
        {"product_id": "999999", "quantity": "1"},
        {"product_id": "abc", "quantity": "1"},
        {"product_id": "", "quantity": "1"},
        {"quantity": "1"},
        {"product_id": "{honey}", "quantity": "0"},
        {"product_id": "{honey}", "quantity": "-2"},
        {"product_id": "{honey}", "quantity": "9" * 40},
        {"product_id": "{draft}", "quantity": "1"},
    ],
)
def test_bad_buy_now_input_is_refused_with_a_message(client, shop, data):
    draft = f.product(shop.honey_coop, name="Sáp ong", slug="sap-ong", status=ProductStatus.DRAFT)
    f.commit()
    data = {k: v.format(honey=shop.honey.id, draft=draft.id) for k, v in data.items()}

    response = client.post("/buy-now", data=data, follow_redirects=True)

    assert response.status_code < 500 and "flash-error" in text(response)
    with client.session_transaction() as session:
        assert "buy_now" not in session


def test_buy_now_of_a_product_sold_out_since_goes_back_to_its_page(client, shop):
    client.post("/buy-now", data={"product_id": shop.honey.id, "quantity": "2"})
    shop.honey.stock = 1
    f.commit()

    response = client.get("/checkout?buy_now=1")

    assert response.status_code == 302 and response.headers["Location"].endswith("/products/mat-ong-rung")


def test_a_damaged_buy_now_session_is_nothing_to_buy(client, shop):
    with client.session_transaction() as session:
        session["buy_now"] = {"x": "y"}
    assert client.get("/checkout?buy_now=1").status_code == 302
    with client.session_transaction() as session:
        session["buy_now"] = [1, 2]
    assert client.post("/checkout?buy_now=1", data=CONTACT).status_code == 302
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


# --- bad input on the new forms ------------------------------------------------------------------------


def test_order_action_forms_survive_bad_input(app, world):  # noqa: F811
    from tests.factories import order as make_order

    honey_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong")
    other = f.product(honey_coop, world["category"], slug="mat-ong-rung", name="Mật ong rừng", sku="MO-1")
    placed_order = make_order([(world["product"], 1), (other, 1)], user=world["customer"])
    db.session.commit()
    customer = client_of(app, world["customer"])
    page = f"/orders/{placed_order.number}"
    fuzz_form(customer, page, "/reorder")
    fuzz_form(customer, "/account/orders", "/reorder")
    assert fuzz_form(customer, page, f"/orders/{placed_order.number}/cancel") > 0

    # "Mua ngay" is the add-to-cart form sent to /buy-now (its second button): every field, every bad value.
    guest = client_of(app)
    form = read_form(guest, "/products/vai-tuoi", "/cart/add")
    for field in form["fields"]:
        if field["name"] == "csrf_token":
            continue
        for label, value in BAD_TEXT.items():
            response = guest.post("/buy-now", data={**baseline(form, {}), field["name"]: value}, follow_redirects=True)
            assert_sound(response, f"/buy-now {field['name']}={label}")
    assert guest.post("/buy-now", data=baseline(form, {})).headers["Location"].endswith("/checkout?buy_now=1")
