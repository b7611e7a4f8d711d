"""Orders record the fair (and booth) whose QR link brought the customer: the checkout says
so in a privacy note before the order is placed, the order page after; attribution never
changes prices or who may buy, and API orders are never attributed."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.fairs.attribution import Source
from marketplace.fairs.models import FairStatus
from marketplace.orders.models import Order, OrderItem
from marketplace.orders.services import place_order
from tests import factories as f

CONTACT = {
    "name": "Nguyễn Thị Lan",
    "phone": "0912 345 678",
    "email": "lan@example.vn",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
    "payment_method": "cod",
}
SCANNED = datetime(2026, 11, 20, 3, 0)  # 10:00 on 20 November in Vietnam


@pytest.fixture
def shop(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu", delivery_fee_vnd=30_000)
    other_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong", delivery_fee_vnd=25_000)
    lychee = f.product(coop, name="Vải thiều sấy", slug="vai-say", price_vnd=120_000, stock=10)
    honey = f.product(other_coop, name="Mật ong rừng", slug="mat-ong-rung", price_vnd=250_000, stock=5)
    # A fair that has ended: attribution lasts beyond the fair, and no fair price applies.
    fair = f.fair(
        "Hội chợ nông sản Bắc Ninh", starts_at=SCANNED - timedelta(days=1), ends_at=SCANNED + timedelta(hours=8)
    )
    booth = f.booth(fair, coop, [(lychee, 99_000)], number="A12")
    f.commit()
    return type("Shop", (), {"coop": coop, "lychee": lychee, "honey": honey, "fair": fair, "booth": booth})


@pytest.fixture
def source(monkeypatch):
    """Sets what fairs.attribution.current_source() answers (None: no scan)."""

    class Holder:
        value = None

    holder = Holder()
    monkeypatch.setattr("marketplace.fairs.attribution.current_source", lambda now=None: holder.value)
    return holder


def text_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def buy(client, *products):
    for product in products:
        client.post("/cart/add", data={"product_id": product.id, "quantity": 1})
    checkout = client.get("/checkout")
    placed = client.post("/checkout", data=CONTACT)
    assert placed.status_code == 302, placed.get_data(as_text=True)
    return checkout, placed


def the_order() -> Order:
    return db.session.scalars(sa.select(Order)).one()


def test_a_booth_scan_is_stored_on_the_order_and_shown_before_and_after(client, shop, source):
    source.value = Source(shop.fair.id, shop.booth.id, SCANNED)

    checkout, placed = buy(client, shop.lychee)

    page = text_of(checkout)
    assert f'data-source-fair="{shop.fair.id}" data-source-booth="{shop.booth.id}"' in page
    assert (
        "Đơn hàng này được ghi nhận cho Hội chợ nông sản Bắc Ninh, gian hàng A12 vì bạn đã quét mã QR "
        "của gian hàng ngày 20/11/2026; việc ghi nhận không thay đổi giá hay quyền mua."
    ) in page
    order = the_order()
    assert (order.source_fair_id, order.source_booth_id) == (shop.fair.id, shop.booth.id)
    page = text_of(client.get(placed.headers["Location"]))
    assert 'id="attribution-note"' in page and "Hội chợ nông sản Bắc Ninh, gian hàng A12" in page


def test_attribution_does_not_change_prices_or_who_may_buy(client, shop, source):
    """The fair is over: regular prices, with or without the scan; a product of a cooperative
    without a booth is bought as well, and the whole order is credited."""
    source.value = Source(shop.fair.id, shop.booth.id, SCANNED)
    buy(client, shop.lychee, shop.honey)
    with_scan = the_order()
    assert sorted(i.unit_price_vnd for i in db.session.scalars(sa.select(OrderItem))) == [120_000, 250_000]
    assert with_scan.total_vnd == 120_000 + 250_000 + 30_000 + 25_000

    source.value = None
    plain = place_order([(shop.lychee.id, 1), (shop.honey.id, 1)], f.checkout())
    assert (plain.total_vnd, plain.source_fair_id) == (with_scan.total_vnd, None)


def test_a_fair_link_scan_credits_the_fair_only(client, shop, source):
    source.value = Source(shop.fair.id, None, SCANNED)

    checkout, _placed = buy(client, shop.lychee)

    assert "vì bạn đã quét mã QR của hội chợ ngày 20/11/2026" in text_of(checkout)
    order = the_order()
    assert (order.source_fair_id, order.source_booth_id) == (shop.fair.id, None)


def test_without_a_scan_there_is_no_source_and_no_note(client, shop, source):
    checkout, placed = buy(client, shop.lychee)

    assert 'id="attribution-note"' not in checkout.get_data(as_text=True)
    assert the_order().source_fair_id is None
    assert 'id="attribution-note"' not in client.get(placed.headers["Location"]).get_data(as_text=True)


def test_a_source_whose_fair_is_a_draft_or_gone_is_ignored(shop):
    draft = f.fair("Hội chợ nháp", status=FairStatus.DRAFT)

    for fair_id in (draft.id, 999_999):
        order = place_order([(shop.lychee.id, 1)], f.checkout(), source=Source(fair_id, None, SCANNED))
        assert (order.source_fair_id, order.source_booth_id) == (None, None)


def test_a_booth_not_of_the_sources_fair_is_left_out(shop):
    other_fair = f.fair("Hội chợ OCOP")

    order = place_order([(shop.lychee.id, 1)], f.checkout(), source=Source(other_fair.id, shop.booth.id, SCANNED))

    assert (order.source_fair_id, order.source_booth_id) == (other_fair.id, None)


def test_a_closed_fair_still_credits_its_orders(shop):
    shop.fair.status = FairStatus.CLOSED

    order = place_order([(shop.lychee.id, 1)], f.checkout(), source=Source(shop.fair.id, shop.booth.id, SCANNED))

    assert (order.source_fair_id, order.source_booth_id) == (shop.fair.id, shop.booth.id)


def test_api_orders_are_never_attributed(client, shop, source):
    source.value = Source(shop.fair.id, shop.booth.id, SCANNED)

    response = client.post(
        "/api/v1/orders",
        json={
            "items": [{"product_id": shop.lychee.id, "quantity": 1}],
            "contact": {"name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn"},
            "address": {"province": f.BAC_NINH, "ward": f.LUC_NGAN, "street": "Số 12"},
            "payment_method": "cod",
        },
    )

    assert response.status_code == 201
    assert the_order().source_fair_id is None
    description = client.get("/api/v1/openapi.json").get_json()["paths"]["/orders"]["post"]["description"]
    assert "never attributed" in description


def test_scanning_the_booth_link_then_ordering_credits_the_booth(client, shop):
    """The real cookie of fairs.attribution, from the short link to the order."""
    scan = client.get(f"/f/{shop.booth.code}", headers={"User-Agent": "Mozilla/5.0 (Android)"})
    assert scan.status_code in (301, 302, 303)

    buy(client, shop.lychee)

    order = the_order()
    assert (order.source_fair_id, order.source_booth_id) == (shop.fair.id, shop.booth.id)
