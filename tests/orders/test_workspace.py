"""A cooperative's orders in its workspace: the list, status actions, payments, packing slips, access."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.orders.models import OrderPart, OrderStatusChange, PartStatus, PaymentStatus
from tests import factories as f
from tests.cooperatives.helpers import sign_in


@pytest.fixture
def shop(app):
    """Two cooperatives, each with a manager, and one order buying from both."""
    lychee_coop = f.cooperative(
        "HTX Vải thiều Lục Ngạn",
        slug="vai-thieu",
        delivery_fee_vnd=30_000,
        bank_bin="970436",
        bank_account_number="0011001234567",
        bank_account_name="HTX VAI THIEU",
    )
    honey_coop = f.cooperative(
        "HTX Mật ong Sóc Sơn",
        slug="mat-ong",
        delivery_fee_vnd=25_000,
        bank_bin="970436",
        bank_account_number="0011007654321",
        bank_account_name="HTX MAT ONG",
    )
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10, unit="hộp")
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=5)
    manager = f.manager(lychee_coop, full_name="Trần Văn Quản")
    other_manager = f.manager(honey_coop)
    order = f.order([(lychee, 2), (honey, 1)], note="Giao giờ hành chính")
    f.commit()
    return type("Shop", (), locals())


def part_of(order, cooperative) -> OrderPart:
    return next(p for p in order.parts if p.cooperative_id == cooperative.id)


def stock_of(product) -> int:
    return db.session.scalar(sa.select(Product.stock).where(Product.id == product.id))


def history_count() -> int:
    return db.session.scalar(sa.select(sa.func.count(OrderStatusChange.id)))


@pytest.fixture
def manager_client(client, shop):
    sign_in(client, shop.manager)
    client.get("/lang/en")
    return client


def orders_url(shop, coop=None) -> str:
    return f"/workspace/{(coop or shop.lychee_coop).slug}/orders/"


def part_url(shop, part, coop=None) -> str:
    return f"{orders_url(shop, coop)}{part.id}"


def post_status(client, shop, part, status, reason=""):
    """What the page's buttons post: the status to move to, or the cancel form's reason."""
    if status == "cancelled":
        return client.post(f"{part_url(shop, part)}/cancel", data={"reason": reason})
    return client.post(f"{part_url(shop, part)}/status", data={"status": status})


# --- the list -------------------------------------------------------------------------------------


def test_the_list_shows_only_the_cooperatives_own_parts(manager_client, shop):
    page = manager_client.get(orders_url(shop)).get_data(as_text=True)

    assert shop.order.number in page
    assert "Nguyễn Thị Lan" in page
    assert "₫270,000" in page  # 2 × 120.000 ₫ + 30.000 ₫ delivery (English page): this cooperative's part only
    assert "₫275,000" not in page  # the honey cooperative's part
    assert "Cash on delivery" in page


def test_the_list_filters_by_status_with_counts(manager_client, shop):
    second = f.order([(shop.lychee, 1)])
    f.commit()
    post_status(manager_client, shop, part_of(second, shop.lychee_coop), "confirmed")

    confirmed = manager_client.get(orders_url(shop) + "?status=confirmed").get_data(as_text=True)
    placed = manager_client.get(orders_url(shop) + "?status=placed").get_data(as_text=True)

    assert second.number in confirmed and shop.order.number not in confirmed
    assert shop.order.number in placed and second.number not in placed
    assert '<span class="tab-count">2</span>' in placed  # all
    assert manager_client.get(orders_url(shop) + "?status=lost").status_code == 400


def test_the_list_is_paginated(manager_client, shop):
    plenty = f.product(shop.lychee_coop, stock=100)
    for _ in range(25):
        f.order([(plenty, 1)])
    f.commit()

    first = manager_client.get(orders_url(shop)).get_data(as_text=True)
    second = manager_client.get(orders_url(shop) + "?page=2").get_data(as_text=True)

    assert "Page 1 of 2" in first and shop.order.number not in first  # oldest last
    assert shop.order.number in second


# --- status actions ----------------------------------------------------------------------------------


def test_each_step_is_recorded_and_emailed_to_the_customer(manager_client, shop, outbox):
    part = part_of(shop.order, shop.lychee_coop)
    for status in ("confirmed", "shipped", "delivered", "completed"):
        response = post_status(manager_client, shop, part, status)
        assert response.status_code == 302

    db.session.refresh(part)
    assert part.status == PartStatus.COMPLETED
    assert [(h.from_status, h.to_status, h.actor, h.changed_by_id) for h in part.history[1:]] == [
        (PartStatus.PLACED, PartStatus.CONFIRMED, "cooperative", shop.manager.id),
        (PartStatus.CONFIRMED, PartStatus.SHIPPED, "cooperative", shop.manager.id),
        (PartStatus.SHIPPED, PartStatus.DELIVERED, "cooperative", shop.manager.id),
        (PartStatus.DELIVERED, PartStatus.COMPLETED, "cooperative", shop.manager.id),
    ]
    assert [m["To"] for m in outbox] == ["lan.nguyen@example.vn"] * 4
    assert all(shop.order.number in m["Subject"] for m in outbox)
    text = outbox[0].get_body(("plain",)).get_content()
    html = outbox[0].get_body(("html",)).get_content()
    assert "HTX Vải thiều Lục Ngạn" in text and "Vải thiều sấy" in text
    assert shop.order.tracking_token in text and shop.order.tracking_token in html
    # Delivered cash on delivery: the cash is collected, the whole order is not paid until the honey part is.
    assert part.payment_received_at is not None
    page = manager_client.get(part_url(shop, part)).get_data(as_text=True)
    assert "Trần Văn Quản" in page and "Completed" in page


def test_an_illegal_step_is_refused_with_a_message_and_changes_nothing(manager_client, shop, outbox):
    part = part_of(shop.order, shop.lychee_coop)
    before = history_count()

    page = manager_client.post(f"{part_url(shop, part)}/status", data={"status": "delivered"}, follow_redirects=True)

    assert "cannot become delivered" in page.get_data(as_text=True)
    db.session.refresh(part)
    assert part.status == PartStatus.PLACED and history_count() == before and outbox == []
    assert post_status(manager_client, shop, part, "nonsense").status_code == 302
    assert history_count() == before


def test_cancelling_needs_a_reason_and_gives_the_stock_back(manager_client, shop, outbox):
    part = part_of(shop.order, shop.lychee_coop)
    assert stock_of(shop.lychee) == 8

    refused = post_status(manager_client, shop, part, "cancelled", reason="   ")
    assert refused.status_code == 422
    assert "Give the customer a reason" in refused.get_data(as_text=True)
    db.session.refresh(part)
    assert part.status == PartStatus.PLACED and stock_of(shop.lychee) == 8 and outbox == []

    post_status(manager_client, shop, part, "cancelled", reason="Hết hàng do mưa đá")

    db.session.refresh(part)
    assert part.status == PartStatus.CANCELLED and part.cancel_reason == "Hết hàng do mưa đá"
    assert stock_of(shop.lychee) == 10
    assert stock_of(shop.honey) == 4  # the other cooperative's part goes on
    assert "Hết hàng do mưa đá" in outbox[0].get_body(("plain",)).get_content()
    assert "Hết hàng do mưa đá" in outbox[0].get_body(("html",)).get_content()


def test_the_page_offers_only_the_allowed_steps(manager_client, shop):
    part = part_of(shop.order, shop.lychee_coop)
    page = manager_client.get(part_url(shop, part)).get_data(as_text=True)
    assert 'value="confirmed"' in page and "/cancel" in page and 'value="shipped"' not in page

    post_status(manager_client, shop, part, "confirmed")
    page = manager_client.get(part_url(shop, part)).get_data(as_text=True)
    assert 'value="shipped"' in page and 'value="confirmed"' not in page and "/cancel" in page

    post_status(manager_client, shop, part, "shipped")
    page = manager_client.get(part_url(shop, part)).get_data(as_text=True)
    assert 'value="delivered"' in page and "/cancel" not in page


def test_the_part_page_shows_contact_items_totals_and_history(manager_client, shop):
    part = part_of(shop.order, shop.lychee_coop)
    page = manager_client.get(part_url(shop, part)).get_data(as_text=True)

    for expected in (
        "Nguyễn Thị Lan",
        "0912 345 678",
        "lan.nguyen@example.vn",
        "Số 12, thôn Đồng Cốc",
        "Lục Ngạn",
        "Giao giờ hành chính",
        "Home delivery",
        "Vải thiều sấy",
        "₫240,000",
        "₫30,000",
        "₫270,000",
        "Placed",
        "The customer",
    ):
        assert expected in page, expected
    assert "Mật ong rừng" not in page


# --- payments --------------------------------------------------------------------------------------


def test_marking_the_transfer_received_makes_the_order_paid(manager_client, shop, client):
    order = f.order([(shop.lychee, 1)], payment_method="bank_transfer")
    f.commit()
    part = order.parts[0]

    page = manager_client.get(part_url(shop, part)).get_data(as_text=True)
    assert "Mark transfer received" in page
    response = manager_client.post(f"{part_url(shop, part)}/payment-received", follow_redirects=True)

    assert "is recorded" in response.get_data(as_text=True)
    db.session.refresh(order)
    assert order.payment_status == PaymentStatus.PAID and order.parts[0].payment_received_by_id == shop.manager.id
    again = manager_client.post(f"{part_url(shop, part)}/payment-received", follow_redirects=True)
    assert "already recorded" in again.get_data(as_text=True)


def test_a_transfer_for_two_cooperatives_is_paid_when_both_received_it(manager_client, shop):
    order = f.order([(shop.lychee, 1), (shop.honey, 1)], payment_method="bank_transfer")
    f.commit()
    manager_client.post(f"{part_url(shop, part_of(order, shop.lychee_coop))}/payment-received")

    db.session.refresh(order)
    assert order.payment_status == PaymentStatus.UNPAID
    assert part_of(order, shop.lychee_coop).payment_received_at is not None


# --- packing slip ---------------------------------------------------------------------------------


def test_the_packing_slip_has_what_the_courier_needs(manager_client, shop):
    part = part_of(shop.order, shop.lychee_coop)
    page = manager_client.get(f"{part_url(shop, part)}/packing-slip").get_data(as_text=True)

    for expected in (
        shop.order.number,
        "Nguyễn Thị Lan",
        "0912 345 678",
        "Số 12, thôn Đồng Cốc",
        "Vải thiều sấy",
        "2 hộp",
        "Home delivery",
        "collect ₫270,000",
    ):
        assert expected in page, expected
    assert "Mật ong rừng" not in page
    assert page.count("<h1") == 1 and "no-print" in page


def test_a_bank_transfer_has_nothing_to_collect_on_delivery(manager_client, shop):
    order = f.order([(shop.lychee, 1)], payment_method="bank_transfer")
    f.commit()
    page = manager_client.get(f"{part_url(shop, order.parts[0])}/packing-slip").get_data(as_text=True)

    assert "collect ₫" not in page and "Nothing to collect" in page


# --- access ------------------------------------------------------------------------------------------


def test_another_cooperatives_part_is_not_found_and_nothing_changes(manager_client, shop):
    honey_part = part_of(shop.order, shop.honey_coop)
    before = history_count()

    assert manager_client.get(part_url(shop, honey_part)).status_code == 404
    assert manager_client.get(f"{part_url(shop, honey_part)}/packing-slip").status_code == 404
    assert post_status(manager_client, shop, honey_part, "confirmed").status_code == 404
    assert manager_client.post(f"{part_url(shop, honey_part)}/payment-received").status_code == 404

    db.session.refresh(honey_part)
    assert honey_part.status == PartStatus.PLACED and history_count() == before


def test_another_cooperatives_workspace_is_forbidden_and_nothing_changes(manager_client, shop):
    honey_part = part_of(shop.order, shop.honey_coop)

    assert manager_client.get(orders_url(shop, shop.honey_coop)).status_code == 403
    assert manager_client.get(part_url(shop, honey_part, shop.honey_coop)).status_code == 403
    response = manager_client.post(
        f"{part_url(shop, honey_part, shop.honey_coop)}/status", data={"status": "confirmed"}
    )

    assert response.status_code == 403
    db.session.refresh(honey_part)
    assert honey_part.status == PartStatus.PLACED


@pytest.mark.parametrize("who", ["anonymous", "customer"])
def test_customers_and_visitors_are_kept_out(client, shop, who):
    part = part_of(shop.order, shop.lychee_coop)
    if who == "customer":
        sign_in(client, f.user(email="khach@example.vn"))
        f.commit()

    page = client.get(part_url(shop, part))
    action = post_status(client, shop, part, "confirmed")

    if who == "anonymous":
        assert page.status_code == 302 and "/account/login" in page.location
    else:
        assert page.status_code == 403
    assert action.status_code in (302, 403)
    db.session.refresh(part)
    assert part.status == PartStatus.PLACED


def test_the_workspace_navigation_links_to_orders(manager_client, shop):
    page = manager_client.get(f"/workspace/{shop.lychee_coop.slug}/").get_data(as_text=True)

    assert f'href="/workspace/{shop.lychee_coop.slug}/orders/"' in page


# --- card-paid parts (Stripe stood in for: its own tests are in tests/payments) -----------------------


@pytest.fixture
def paid_card_order(app, shop):
    app.config.update(STRIPE_SECRET_KEY="sk_test_x", STRIPE_PUBLISHABLE_KEY="pk_test_x")
    order = f.order([(shop.lychee, 1)], payment_method="card")
    order.payment_status = PaymentStatus.PAID
    f.commit()
    return order


def test_cancelling_a_card_paid_part_refunds_it_and_says_so(manager_client, shop, paid_card_order, outbox, monkeypatch):
    from marketplace.payments import stripe_payments

    def refund(part):
        part.refunded_vnd = part.total_vnd
        part.order.refunded_vnd = part.total_vnd
        part.order.payment_status = PaymentStatus.REFUNDED

    monkeypatch.setattr(stripe_payments, "refund_part", refund)
    part = paid_card_order.parts[0]

    post_status(manager_client, shop, part, "cancelled", reason="Hết hàng")

    db.session.refresh(part)
    assert part.status == PartStatus.CANCELLED and part.refunded_vnd == part.total_vnd
    # Emails are in Vietnamese (English until the catalogue has the sentence).
    assert re.search("refunded to your card|hoàn lại vào thẻ", outbox[0].get_body(("plain",)).get_content())


def test_a_refund_stripe_refuses_cancels_nothing(manager_client, shop, paid_card_order, outbox, monkeypatch):
    from marketplace.payments import stripe_payments

    def refuse(part):
        raise stripe_payments.PaymentUnavailable("The card refund could not be made right now.")

    monkeypatch.setattr(stripe_payments, "refund_part", refuse)
    part = paid_card_order.parts[0]
    before = history_count()

    page = manager_client.post(f"{part_url(shop, part)}/cancel", data={"reason": "Hết hàng"}, follow_redirects=True)

    assert "could not be made right now" in page.get_data(as_text=True)
    db.session.refresh(part)
    assert part.status == PartStatus.PLACED and history_count() == before and outbox == []
    assert stock_of(shop.lychee) == 7  # 2 in the first order, 1 here: nothing given back
