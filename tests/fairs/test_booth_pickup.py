"""Pickup at a fair booth: offered for a cooperative with an approved booth while its fair
is on, free, stored on the order part with its booth, shown to the customer and the
cooperative, refused (nothing written) once the fair is not on."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.fairs.models import BoothStatus, FairStatus
from marketplace.orders.models import DeliveryMethod, Order, OrderPart
from marketplace.orders.services import place_order
from tests import factories as f
from tests.cooperatives.helpers import sign_in

START = datetime(2026, 12, 4, 1, 0)  # 08:00 in Vietnam
END = datetime(2026, 12, 7, 10, 0)  # 17:00 in Vietnam
DURING = START + timedelta(hours=3)

CONTACT = {
    "name": "Nguyễn Thị Lan",
    "phone": "0912 345 678",
    "email": "lan@example.vn",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
    "payment_method": "cod",
}


@pytest.fixture
def clock(monkeypatch):
    class Clock:
        now = DURING

        def set(self, when: datetime) -> None:
            self.now = when

    c = Clock()
    for module in (
        "marketplace.core.content_version",
        "marketplace.fairs.pricing",
        "marketplace.catalog.queries",
        "marketplace.orders.cart",
        "marketplace.orders.services",
    ):
        monkeypatch.setattr(f"{module}.utcnow", lambda: c.now)
    return c


@pytest.fixture
def shop(app):
    coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="vai-thieu",
        delivery_fee_vnd=30_000,
        offers_pickup=False,
        email="vaithieu@example.vn",
    )
    honey_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong", delivery_fee_vnd=25_000)
    lychee = f.product(coop, name="Vải thiều sấy", slug="vai-say", price_vnd=120_000, stock=10)
    honey = f.product(honey_coop, name="Mật ong rừng", slug="mat-ong-rung", price_vnd=250_000, stock=5)
    fair = f.fair("Hội chợ nông sản Bắc Ninh", starts_at=START, ends_at=END)
    booth = f.booth(fair, coop, [lychee], number="A12")
    manager = f.manager(coop, email="quanly@example.vn")
    f.commit()
    return type(
        "Shop",
        (),
        {
            "coop": coop,
            "honey_coop": honey_coop,
            "lychee": lychee,
            "honey": honey,
            "fair": fair,
            "booth": booth,
            "manager": manager,
        },
    )


def text_of(response) -> str:
    assert response.status_code in (200, 409, 422), response.status_code
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def booth_value(booth) -> str:
    return f"fair_booth-{booth.id}"


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def order_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(Order.id)))


def check_out(client, shop, delivery: str):
    client.post("/cart/add", data={"product_id": shop.lychee.id, "quantity": 2})
    return client.post("/checkout", data={**CONTACT, f"delivery-{shop.coop.id}": delivery})


# --- offered while the fair is on -------------------------------------------------------------------


def test_the_cart_and_checkout_offer_pickup_at_the_booth_while_the_fair_is_on(client, shop, clock):
    client.post("/cart/add", data={"product_id": shop.lychee.id, "quantity": 1})

    assert "Nhận tại gian hàng A12, Hội chợ nông sản Bắc Ninh: miễn phí" in text_of(client.get("/cart"))
    checkout = client.get("/checkout").get_data(as_text=True)
    assert f'name="delivery-{shop.coop.id}" value="{booth_value(shop.booth)}"' in checkout
    # Only the cooperative with a booth: the other keeps home delivery and pickup.
    assert checkout.count('value="fair_booth-') == 1


@pytest.mark.parametrize("when", [START - timedelta(seconds=1), END])
def test_not_offered_before_or_after_the_fair(client, shop, clock, when):
    clock.set(when)
    client.post("/cart/add", data={"product_id": shop.lychee.id, "quantity": 1})

    assert 'value="fair_booth-' not in client.get("/checkout").get_data(as_text=True)
    assert "Nhận tại gian hàng A12" not in text_of(client.get("/cart"))


@pytest.mark.parametrize("change", ["draft", "closed", "pending", "rejected"])
def test_not_offered_for_a_fair_or_booth_that_does_not_count(client, shop, clock, change):
    if change in ("draft", "closed"):
        shop.fair.status = FairStatus(change)
    else:
        shop.booth.status = BoothStatus(change)
    f.commit()
    client.post("/cart/add", data={"product_id": shop.lychee.id, "quantity": 1})

    assert 'value="fair_booth-' not in client.get("/checkout").get_data(as_text=True)


# --- placing the order ----------------------------------------------------------------------------------


def test_booth_pickup_is_free_and_stored_with_its_booth(client, shop, clock):
    response = check_out(client, shop, booth_value(shop.booth))

    assert response.status_code == 302
    part = db.session.scalars(sa.select(OrderPart)).one()
    assert part.delivery_method == DeliveryMethod.FAIR_BOOTH and part.booth_id == shop.booth.id
    assert (part.delivery_fee_vnd, part.total_vnd) == (0, 240_000)
    page = text_of(client.get(response.headers["Location"]))
    assert "Nhận tại gian hàng A12, Hội chợ nông sản Bắc Ninh" in page


def test_the_cooperative_sees_the_booth_on_the_part_page_and_packing_slip(client, shop, clock):
    order = place_order([(shop.lychee.id, 1)], f.checkout(delivery={shop.coop.id: "fair_booth"}), now=DURING)
    f.commit()
    part = order.parts[0]
    sign_in(client, shop.manager)

    for url in (f"/workspace/vai-thieu/orders/{part.id}", f"/workspace/vai-thieu/orders/{part.id}/packing-slip"):
        page = text_of(client.get(url))
        assert 'data-delivery="fair_booth"' in page, url
        assert "Nhận tại gian hàng A12, Hội chợ nông sản Bắc Ninh" in page, url


def test_the_order_emails_name_the_booth(client, shop, clock, outbox):
    check_out(client, shop, booth_value(shop.booth))

    assert {m["To"] for m in outbox} == {"lan@example.vn", "vaithieu@example.vn"}
    for message in outbox:
        for body in (message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()):
            assert "Nhận tại gian hàng A12, Hội chợ nông sản Bắc Ninh" in html.unescape(body), message["To"]


def test_the_fair_ending_between_cart_and_checkout_is_refused_and_nothing_is_written(client, shop, clock):
    client.post("/cart/add", data={"product_id": shop.lychee.id, "quantity": 2})
    assert booth_value(shop.booth) in client.get("/checkout").get_data(as_text=True)

    clock.set(END)  # the fair is over when the customer presses "Place order"
    response = client.post("/checkout", data={**CONTACT, f"delivery-{shop.coop.id}": booth_value(shop.booth)})

    assert response.status_code == 422
    assert 'id="delivery-error"' in response.get_data(as_text=True)
    assert "Hội chợ nông sản Bắc Ninh hiện không diễn ra" in text_of(response)
    assert order_count() == 0 and stock_of(shop.lychee) == 10


def test_a_booth_of_another_cooperative_is_refused(client, shop, clock):
    other_booth = f.booth(shop.fair, shop.honey_coop, [shop.honey], number="B3")
    f.commit()

    response = check_out(client, shop, booth_value(other_booth))

    assert response.status_code == 422 and 'id="delivery-error"' in response.get_data(as_text=True)
    assert order_count() == 0


@pytest.mark.parametrize("value", ["fair_booth-abc", "fair_booth-999999"])
def test_a_made_up_booth_is_refused(client, shop, clock, value):
    response = check_out(client, shop, value)

    assert response.status_code == 422 and order_count() == 0


def test_the_chosen_booth_of_a_cooperative_at_two_fairs_is_kept(shop):
    other_fair = f.fair("Hội chợ OCOP", starts_at=START, ends_at=END + timedelta(days=5))
    other_booth = f.booth(other_fair, shop.coop, [shop.lychee], number="C7")
    checkout = f.checkout(delivery={shop.coop.id: "fair_booth"}, booths={shop.coop.id: other_booth.id})

    order = place_order([(shop.lychee.id, 1)], checkout, now=DURING)
    assert order.parts[0].booth_id == other_booth.id
    # Left to choose, the booth of the fair ending first.
    order = place_order([(shop.lychee.id, 1)], f.checkout(delivery={shop.coop.id: "fair_booth"}), now=DURING)
    assert order.parts[0].booth_id == shop.booth.id


def test_place_order_refuses_booth_pickup_without_a_booth(shop):
    with pytest.raises(Refused) as refused:
        place_order([(shop.honey.id, 1)], f.checkout(delivery={shop.honey_coop.id: "fair_booth"}), now=DURING)
    assert refused.value.field == "delivery"


# --- the JSON API --------------------------------------------------------------------------------------------


def api_order(client, shop, delivery):
    return client.post(
        "/api/v1/orders",
        json={
            "items": [{"product_id": shop.lychee.id, "quantity": 1}],
            "contact": {"name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn"},
            "address": {"province": f.BAC_NINH, "ward": f.LUC_NGAN, "street": "Số 12"},
            "payment_method": "cod",
            "delivery": delivery,
        },
    )


def test_the_api_accepts_fair_booth_while_the_fair_is_on(client, shop, clock):
    response = api_order(client, shop, {"vai-thieu": "fair_booth"})

    assert response.status_code == 201, response.get_json()
    part = response.get_json()["parts"][0]
    assert (part["delivery_method"], part["delivery_fee_vnd"]) == ("fair_booth", 0)
    assert db.session.scalars(sa.select(OrderPart)).one().booth_id == shop.booth.id


def test_the_api_refuses_fair_booth_after_the_fair(client, shop, clock):
    clock.set(END)
    response = api_order(client, shop, {"vai-thieu": "fair_booth"})

    assert response.status_code == 400
    assert "no booth at a fair that is on now" in response.get_json()["details"]["delivery"]
    assert order_count() == 0


def test_the_openapi_document_lists_fair_booth(client):
    document = client.get("/api/v1/openapi.json").get_json()
    delivery = document["components"]["schemas"]["OrderRequest"]["properties"]["delivery"]
    assert "fair_booth" in delivery["additionalProperties"]["enum"]
    assert "fair_booth" in delivery["description"]


def test_the_api_names_the_pickup_booth_of_a_part(client, shop, clock):
    response = client.post(
        "/api/v1/orders",
        json={
            "items": [{"product_id": shop.lychee.id, "quantity": 1}, {"product_id": shop.honey.id, "quantity": 1}],
            "contact": {"name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn"},
            "address": {"province": f.BAC_NINH, "ward": f.LUC_NGAN, "street": "Số 12"},
            "delivery": {"vai-thieu": "fair_booth", "mat-ong": "home"},
            "payment_method": "cod",
        },
    )
    assert response.status_code == 201, response.get_json()
    placed = response.get_json()
    followed = client.get(response.headers["Location"]).get_json()

    for answer in (placed, followed):
        parts = {p["cooperative"]["slug"]: p for p in answer["parts"]}
        assert parts["vai-thieu"]["delivery_method"] == "fair_booth"
        assert parts["vai-thieu"]["pickup_booth"] == {
            "number": "A12",
            "fair": {"slug": shop.fair.slug, "name": "Hội chợ nông sản Bắc Ninh", "ends_at": "2026-12-07T10:00:00Z"},
        }
        assert parts["mat-ong"]["pickup_booth"] is None
