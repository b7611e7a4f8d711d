"""Placing orders, totals, stock, statuses and expiry, through the service functions."""

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.orders import services
from marketplace.orders.models import (
    Order,
    OrderItem,
    PartStatus,
    PaymentStatus,
)
from marketplace.orders.services import OutOfStock, change_part_status
from tests import factories as f


@pytest.fixture
def shop(app):
    """Two cooperatives: one charging 30.000 ₫ delivery, free from 500.000 ₫; one with
    a 25.000 ₫ fee, never free, and no pickup."""
    lychee_coop = f.cooperative("HTX Vải thiều Lục Ngạn", delivery_fee_vnd=30_000, free_delivery_from_vnd=500_000)
    honey_coop = f.cooperative("HTX Mật ong Sóc Sơn", delivery_fee_vnd=25_000, offers_pickup=False)
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    jam = f.product(lychee_coop, name="Mứt vải", price_vnd=45_000, stock=3)
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=1)
    f.commit()
    return type("Shop", (), locals())


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def test_one_order_splits_into_a_part_per_cooperative_with_whole_vnd_totals(shop):
    order = f.order([(shop.lychee, 2), (shop.jam, 1), (shop.honey, 1)])
    f.commit()
    assert order.number == f"DH-{datetime.now(services.VIETNAM).year}-{order.id:06d}"
    # Parts in the cooperatives' alphabetical order.
    honey_part, lychee_part = order.parts
    assert lychee_part.cooperative == shop.lychee_coop and honey_part.cooperative == shop.honey_coop
    assert (lychee_part.items_total_vnd, lychee_part.delivery_fee_vnd, lychee_part.total_vnd) == (
        285_000,
        30_000,
        315_000,
    )
    assert (honey_part.items_total_vnd, honey_part.delivery_fee_vnd) == (250_000, 25_000)
    assert (order.items_total_vnd, order.delivery_total_vnd, order.total_vnd) == (535_000, 55_000, 590_000)
    assert order.contact_phone == "0912345678" and order.contact_email == "lan.nguyen@example.vn"
    assert (stock_of(shop.lychee), stock_of(shop.jam), stock_of(shop.honey)) == (8, 2, 0)
    assert [h.to_status for h in lychee_part.history] == [PartStatus.PLACED]


def test_items_keep_the_price_and_name_they_were_bought_at(shop):
    order = f.order([(shop.lychee, 1)])
    f.commit()
    shop.lychee.price_vnd, shop.lychee.name = 999_000, "Tên mới"
    f.commit()
    item = db.session.scalar(sa.select(OrderItem).where(OrderItem.part_id == order.parts[0].id))
    assert (item.product_name, item.unit_price_vnd, item.line_total_vnd) == ("Vải thiều sấy", 120_000, 120_000)


def test_delivery_is_free_from_the_threshold_and_pickup_is_free(shop):
    free = f.order([(shop.lychee, 5)])  # 600.000 ₫ >= 500.000 ₫
    pickup = f.order([(shop.jam, 1)], delivery={shop.lychee_coop.id: "pickup"})
    assert free.parts[0].delivery_fee_vnd == 0
    assert pickup.parts[0].delivery_fee_vnd == 0 and pickup.total_vnd == 45_000


def test_pickup_is_refused_where_not_offered(shop):
    with pytest.raises(Refused, match="does not offer pickup|không nhận"):
        f.order([(shop.honey, 1)], delivery={shop.honey_coop.id: "pickup"})


def test_a_short_line_refuses_the_whole_order_and_writes_nothing(shop):
    with pytest.raises(OutOfStock) as refused:
        f.order([(shop.lychee, 2), (shop.jam, 5)])
    db.session.rollback()
    assert refused.value.product.id == shop.jam.id and refused.value.remaining == 3
    assert "3" in refused.value.message
    assert (stock_of(shop.lychee), stock_of(shop.jam)) == (10, 3)
    assert db.session.scalar(sa.select(sa.func.count(Order.id))) == 0


@pytest.mark.parametrize(
    "field, value",
    [
        ("phone", "024 3826 1234"),
        ("phone", "12345"),
        ("email", "lan@"),
        ("name", "  "),
        ("street", ""),
        ("ward_code", 1),
        ("province_code", None),
        ("payment_method", "bitcoin"),
        ("payment_method", "card"),
    ],
)
def test_bad_checkout_is_refused_naming_the_field(shop, field, value):
    with pytest.raises(Refused) as refused:
        f.order([(shop.lychee, 1)], **{field: value})
    db.session.rollback()
    expected = "payment_method" if field == "payment_method" else field
    assert refused.value.field == expected
    assert stock_of(shop.lychee) == 10


def test_bank_transfer_needs_every_cooperative_to_have_an_account(shop):
    shop.lychee_coop.bank_bin, shop.lychee_coop.bank_account_number = "970436", "0011004455667"
    f.commit()
    assert f.order([(shop.lychee, 1)], payment_method="bank_transfer").payment_method == "bank_transfer"
    with pytest.raises(Refused):
        f.order([(shop.lychee, 1), (shop.honey, 1)], payment_method="bank_transfer")


def test_products_not_for_sale_are_refused(shop):
    draft = f.product(shop.lychee_coop, status=f.ProductStatus.DRAFT)
    f.commit()
    with pytest.raises(Refused):
        f.order([(draft, 1)])


def test_the_cooperative_moves_its_part_forward_and_illegal_moves_are_refused(shop):
    order = f.order([(shop.lychee, 1)])
    part = order.parts[0]
    manager = f.manager(shop.lychee_coop)
    with pytest.raises(Refused, match="cannot become|không thể"):
        change_part_status(part, PartStatus.SHIPPED, by=manager, actor="cooperative")
    for status in (PartStatus.CONFIRMED, PartStatus.SHIPPED, PartStatus.DELIVERED, PartStatus.COMPLETED):
        change_part_status(part, status, by=manager, actor="cooperative")
    f.commit()
    assert [h.to_status for h in part.history] == [
        PartStatus.PLACED,
        PartStatus.CONFIRMED,
        PartStatus.SHIPPED,
        PartStatus.DELIVERED,
        PartStatus.COMPLETED,
    ]
    assert part.history[1].changed_by == manager
    # Cash collected on delivery: the whole order is paid.
    assert order.payment_status == PaymentStatus.PAID and part.payment_received_at is not None
    with pytest.raises(Refused):
        change_part_status(part, PartStatus.CANCELLED, by=manager, actor="cooperative", reason="Muộn")


def test_customer_cancels_only_before_confirmation_and_stock_returns(shop):
    order = f.order([(shop.honey, 1), (shop.lychee, 2)])
    honey_part = next(p for p in order.parts if p.cooperative == shop.honey_coop)
    lychee_part = next(p for p in order.parts if p.cooperative == shop.lychee_coop)
    change_part_status(lychee_part, PartStatus.CONFIRMED, actor="cooperative")
    with pytest.raises(Refused):
        change_part_status(lychee_part, PartStatus.CANCELLED, actor="customer")
    change_part_status(honey_part, PartStatus.CANCELLED, actor="customer")
    f.commit()
    assert stock_of(shop.honey) == 1 and stock_of(shop.lychee) == 8
    assert services.order_status(order) == PartStatus.CONFIRMED


def test_a_cooperative_must_give_a_reason_to_cancel(shop):
    part = f.order([(shop.lychee, 1)]).parts[0]
    with pytest.raises(Refused) as refused:
        change_part_status(part, PartStatus.CANCELLED, actor="cooperative", reason=" ")
    assert refused.value.field == "reason"
    change_part_status(part, PartStatus.CANCELLED, actor="cooperative", reason="Hết mùa vải")
    assert part.cancel_reason == "Hết mùa vải"


def test_bank_transfer_is_paid_when_every_live_part_received_it(shop):
    for coop in (shop.lychee_coop, shop.honey_coop):
        coop.bank_bin, coop.bank_account_number = "970436", "0011004455667"
    order = f.order([(shop.lychee, 1), (shop.honey, 1)], payment_method="bank_transfer")
    first, second = order.parts
    services.mark_payment_received(first, by=None)
    assert order.payment_status == PaymentStatus.UNPAID
    with pytest.raises(Refused):
        services.mark_payment_received(first, by=None)
    change_part_status(second, PartStatus.CANCELLED, actor="customer")
    assert order.payment_status == PaymentStatus.PAID


def test_unpaid_card_orders_expire_and_give_stock_back(shop, app):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x")
    order = f.order([(shop.honey, 1)], payment_method="card")
    f.commit()
    assert order.expires_at == order.created_at + timedelta(minutes=30)
    assert services.expire_due_orders(now=order.created_at + timedelta(minutes=29)) == []
    assert services.expire_due_orders(now=order.created_at + timedelta(minutes=31)) == [order.number]
    f.commit()
    assert stock_of(shop.honey) == 1
    assert order.expired_at is not None and services.order_status(order) == PartStatus.CANCELLED
    assert order.parts[0].history[-1].actor == "system"


def test_guest_finds_an_order_by_number_and_phone_or_email(shop):
    order = f.order([(shop.lychee, 1)])
    f.commit()
    assert services.find_guest_order(order.number.lower(), "+84 912 345 678") == order
    assert services.find_guest_order(order.number, "LAN.NGUYEN@example.vn") == order
    assert services.find_guest_order(order.number, "0987654321") is None
    assert services.order_by_token(order.number, order.tracking_token) == order
    assert services.order_by_token(order.number, "wrong") is None
