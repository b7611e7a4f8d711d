"""POST /api/v1/orders under hypothesis: whatever the body, an answer the document describes
(the ContractClient checks each), never a 500, and nothing written unless an order was placed.

Bodies are anything at all, and bodies shaped like an order whose every field may be
anything (see tests/fuzzing.py for the settings and what is left out until the guard).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.orders.models import Order
from tests.factories import BAC_NINH, LUC_NGAN
from tests.fuzzing import fuzz_settings, integers, json_values, texts

URL = "/api/v1/orders"


@pytest.fixture
def shop(make):
    cooperative = make.cooperative("HTX Vải thiều Lục Ngạn", slug="htx-vai", offers_pickup=True)
    product = make.product(cooperative, name="Vải thiều sấy", price_vnd=120_000, stock=1_000_000)
    make.commit()
    return type("Shop", (), {"product_id": product.id, "slug": cooperative.slug})


def either(known, anything=None):
    """A plausible value or any JSON at all."""
    return st.one_of(known, anything if anything is not None else json_values())


def order_bodies(shop) -> st.SearchStrategy:
    item = st.fixed_dictionaries(
        {},
        optional={
            "product_id": either(st.just(shop.product_id) | integers()),
            "quantity": either(st.integers(-2, 100) | integers()),
        },
    )
    contact = st.fixed_dictionaries(
        {},
        optional={
            "name": either(st.just("Nguyễn Thị Lan") | texts(max_size=300)),
            "phone": either(st.sampled_from(["0912 345 678", "+84912345678", "12"]) | texts()),
            "email": either(st.sampled_from(["lan@example.vn", "", "@"]) | texts()),
        },
    )
    address = st.fixed_dictionaries(
        {},
        optional={
            "province": either(st.just(BAC_NINH) | integers()),
            "ward": either(st.just(LUC_NGAN) | integers()),
            "street": either(st.just("Số 12, thôn Đồng Cốc") | texts(max_size=300)),
        },
    )
    delivery = st.dictionaries(
        either(st.just(shop.slug) | texts(max_size=20), texts(max_size=20)),
        either(st.sampled_from(["home", "pickup", "fair_booth"])),
        max_size=2,
    )
    shaped = st.fixed_dictionaries(
        {},
        optional={
            "items": either(st.lists(either(item), max_size=3)),
            "contact": either(contact),
            "address": either(address),
            "delivery": either(delivery),
            "payment_method": either(st.sampled_from(["cod", "bank_transfer", "card"]) | texts()),
            "note": either(texts(max_size=600)),
        },
    )
    return st.one_of(shaped, json_values(max_leaves=20))


def orders_written() -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(Order))


def stock(shop) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == shop.product_id))


def test_any_body_is_answered_and_only_an_order_writes(client, shop):
    @fuzz_settings(300)
    @given(body=order_bodies(shop))
    def post(body):
        before = orders_written(), stock(shop)
        response = client.post(URL, json=body)  # the ContractClient checks the answer
        assert response.status_code < 500, response.get_json()
        if response.status_code != 201:
            assert (orders_written(), stock(shop)) == before

    post()


def test_any_bytes_are_answered_with_a_400(client, shop):
    @fuzz_settings(100)
    @given(data=st.binary(max_size=200) | texts(max_size=200).map(str.encode))
    def post(data):
        response = client.post(URL, data=data, content_type="application/json")
        assert response.status_code in (400, 201), response.get_json()
        if response.status_code != 201:
            assert orders_written() == 0

    post()
