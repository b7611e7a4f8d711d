"""The payment-method registry is the one place a method is declared: a fourth method,
registered by a test app the way payments registers card, is offered where it is available,
placed through the checkout and the API, and shown on the pages and emails, with no change
to orders, the API or the templates."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from jinja2 import ChoiceLoader, DictLoader

from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.orders import payment_methods, services
from marketplace.orders.models import Order, PartStatus, PaymentStatus
from marketplace.orders.payment_methods import PaymentMethodType
from tests import factories as f
from tests.cooperatives.helpers import sign_in

# The partials a method adds are ordinary templates; these live in the test app's loader.
TEMPLATES = {
    "voucher/order_summary.html": '<p class="voucher">Voucher {{ payment.voucher }}</p>',
    "voucher/confirmation_part.html": "<p>Voucher {{ payment.voucher }} covers {{ part.cooperative.name }}.</p>",
    "voucher/confirmation_part.txt": "Voucher {{ payment.voucher }} covers {{ part.cooperative.name }}.\n",
}


class Voucher(PaymentMethodType):
    """A gift voucher: taken by the cooperatives that accept it, paid as soon as it is placed."""

    code = "voucher"
    label = "Phiếu quà tặng"
    api_availability = "voucher when every cooperative of the order accepts vouchers"
    status_on_placing = PaymentStatus.PAID
    recorded_by_hand = False
    not_recorded_by_hand = _l("Card payments are recorded by Stripe, not by hand.")  # any translated message
    templates = {"order_summary": "voucher/order_summary.html", "confirmation_part": "voucher/confirmation_part"}
    api_properties = {"voucher": {"type": "string", "description": "The voucher that paid the order."}}

    def __init__(self, accepting: set[int]):
        self.accepting = accepting
        self.started, self.cancelled = [], []

    def available(self, cooperatives) -> bool:
        return all(cooperative.id in self.accepting for cooperative in cooperatives)

    def start(self, order) -> dict:
        self.started.append(order.number)
        return {"voucher": f"V-{order.id}"}

    def details(self, order) -> dict:
        return {"voucher": f"V-{order.id}"}

    def api_fields(self, order) -> dict:
        return {"voucher": f"V-{order.id}"}

    def part_cancelled(self, part) -> None:
        self.cancelled.append(part.id)


@pytest.fixture
def shop(app):
    """Two cooperatives; only the lychee one accepts vouchers."""
    lychee_coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu", delivery_fee_vnd=30_000)
    honey_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong", delivery_fee_vnd=25_000)
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=5)
    manager = f.manager(lychee_coop)
    f.commit()
    return type("Shop", (), locals())


@pytest.fixture
def voucher(app, shop):
    method = Voucher(accepting={shop.lychee_coop.id})
    payment_methods.register(app, method)
    app.jinja_env.loader = ChoiceLoader([DictLoader(TEMPLATES), app.jinja_env.loader])
    return method


CONTACT = {
    "name": "Nguyễn Thị Lan",
    "phone": "0912 345 678",
    "email": "lan@example.vn",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
}


def add(client, product, quantity=1):
    client.post("/cart/add", data={"product_id": product.id, "quantity": quantity})


def text(response) -> str:
    return response.get_data(as_text=True)


def orders() -> list[Order]:
    return db.session.scalars(sa.select(Order)).all()


def test_a_fourth_method_is_offered_only_where_it_is_available(client, shop, voucher):
    add(client, shop.lychee)
    assert 'value="voucher"' in text(client.get("/checkout"))
    assert "Phiếu quà tặng" in text(client.get("/checkout"))

    add(client, shop.honey)  # the honey cooperative does not take vouchers
    page = text(client.get("/checkout"))
    assert 'value="voucher"' not in page and 'value="cod"' in page

    refused = client.post("/checkout", data={**CONTACT, "payment_method": "voucher"})
    assert refused.status_code == 422 and 'id="payment_method-error"' in text(refused)
    assert orders() == [] and voucher.started == []


def test_a_fourth_method_is_placed_through_the_checkout_and_shown(app, client, shop, voucher, outbox):
    add(client, shop.lychee, 2)

    placed = client.post("/checkout", data={**CONTACT, "payment_method": "voucher"})

    [order] = orders()
    assert placed.status_code == 302 and placed.location.endswith(
        f"/orders/{order.number}?token={order.tracking_token}"
    )
    assert (order.payment_method, order.payment_status, order.expires_at) == ("voucher", PaymentStatus.PAID, None)
    assert order.paid_at is not None and voucher.started == [order.number]
    page = text(client.get(placed.location))
    assert "Phiếu quà tặng" in page and f'<p class="voucher">Voucher V-{order.id}</p>' in page
    confirmation = outbox[0].get_body(("plain",)).get_content()
    assert "Phiếu quà tặng" in confirmation and f"Voucher V-{order.id} covers HTX Vải thiều Lục Ngạn." in confirmation
    assert f"Voucher V-{order.id}" in outbox[0].get_body(("html",)).get_content()


def test_the_workspace_and_the_status_changes_ask_the_method(app, client, shop, voucher):
    order = f.order([(shop.lychee, 1)], payment_method="voucher")
    f.commit()
    part = order.parts[0]
    manager = app.test_client()
    sign_in(manager, shop.manager)

    page = text(manager.get(f"/workspace/vai-thieu/orders/{part.id}"))
    assert "Phiếu quà tặng" in page and "/payment-received" not in page  # paid already: nothing to record
    with pytest.raises(Refused, match="Stripe"):
        services.mark_payment_received(part, by=shop.manager)
    slip = text(manager.get(f"/workspace/vai-thieu/orders/{part.id}/packing-slip"))
    assert "Phiếu quà tặng" in slip  # nothing to collect on delivery, naming the method

    services.change_part_status(part, PartStatus.CANCELLED, by=shop.manager, actor="cooperative", reason="Hết hàng")
    assert voucher.cancelled == [part.id]


def test_the_api_and_its_document_read_the_registry(client, shop, voucher):
    body = {
        "items": [{"product_id": shop.lychee.id, "quantity": 1}],
        "contact": {"name": "Nguyễn Thị Lan", "phone": "0912 345 678"},
        "address": {"province": f.BAC_NINH, "ward": f.LUC_NGAN, "street": "Số 1"},
        "payment_method": "voucher",
    }
    response = client.post("/api/v1/orders", json=body)
    assert response.status_code == 201, response.get_json()
    payment = response.get_json()["payment"]
    [order] = orders()
    assert payment == {"method": "voucher", "status": "paid", "expires_at": None, "voucher": f"V-{order.id}"}

    refused = client.post("/api/v1/orders", json={**body, "items": [{"product_id": shop.honey.id, "quantity": 1}]})
    assert refused.status_code == 400 and list(refused.get_json()["details"]) == ["payment_method"]

    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    requested = schemas["OrderRequest"]["properties"]["payment_method"]
    assert requested["enum"] == ["cod", "bank_transfer", "card", "voucher"]
    assert requested["description"].endswith("; voucher when every cooperative of the order accepts vouchers.")
    assert schemas["Payment"]["properties"]["method"]["enum"] == requested["enum"]
    assert set(payment) <= set(schemas["Payment"]["properties"])


def test_an_order_whose_method_is_gone_still_shows_by_its_code(app, client, shop, voucher):
    order = f.order([(shop.lychee, 1)], payment_method="voucher")
    f.commit()
    del app.extensions[payment_methods.EXTENSION]["voucher"]

    page = text(client.get(f"/orders/{order.number}?token={order.tracking_token}"))

    assert "voucher" in page and order.payment_method == "voucher"
    with pytest.raises(Refused):  # and nobody can order with it any more
        f.order([(shop.lychee, 1)], payment_method="voucher")


def test_a_code_is_registered_once(app):
    payment_methods.register(app, Voucher(set()))
    for again in (Voucher(set()), type("AnotherCard", (PaymentMethodType,), {"code": "card"})()):
        with pytest.raises(ValueError, match="twice"):
            payment_methods.register(app, again)
