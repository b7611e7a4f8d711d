"""The emails of a new order: the customer's confirmation and each cooperative's notice."""

from __future__ import annotations

import importlib.util

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.orders.models import Order
from tests import factories as f

CONTACT = {
    "name": "Nguyễn Thị Lan",
    "phone": "0912345678",
    "email": "lan@example.vn",
    "province_code": str(f.BAC_NINH),
    "ward_code": str(f.LUC_NGAN),
    "street": "Số 12, thôn Đồng Cốc",
}


@pytest.fixture
def shop(app):
    lychee_coop = f.cooperative(
        "HTX Vải thiều",
        slug="vai-thieu",
        delivery_fee_vnd=30_000,
        email="vaithieu@example.vn",
        bank_bin="970436",
        bank_account_number="0011001234567",
        bank_account_name="HTX VAI THIEU",
    )
    honey_coop = f.cooperative(
        "HTX Mật ong",
        slug="mat-ong",
        delivery_fee_vnd=25_000,
        bank_bin="970436",
        bank_account_number="0011007654321",
        bank_account_name="HTX MAT ONG",
    )
    lychee = f.product(lychee_coop, name="Vải thiều sấy", price_vnd=120_000, stock=10)
    honey = f.product(honey_coop, name="Mật ong rừng", price_vnd=250_000, stock=5)
    f.manager(honey_coop, email="quanly.matong@example.vn")
    f.manager(honey_coop, email="phophong.matong@example.vn")
    f.commit()
    return type("Shop", (), locals())


def checkout(client, shop, method):
    client.post("/cart/add", data={"product_id": shop.lychee.id, "quantity": 2})
    client.post("/cart/add", data={"product_id": shop.honey.id, "quantity": 1})
    response = client.post("/checkout", data={**CONTACT, "payment_method": method})
    assert response.status_code == 302
    return db.session.scalar(sa.select(Order))


def body(message, kind="plain") -> str:
    return message.get_body((kind,)).get_content()


def test_customer_confirmation_lists_both_parts_totals_and_the_tracking_link(client, shop, outbox):
    order = checkout(client, shop, "cod")

    confirmation = next(m for m in outbox if m["To"] == "lan@example.vn")
    text, html = body(confirmation), body(confirmation, "html")
    assert order.number in confirmation["Subject"]
    for part_text in ("HTX Vải thiều", "HTX Mật ong", "240.000", "250.000", "545.000"):
        assert part_text in text and part_text in html
    assert f"/orders/{order.number}?token={order.tracking_token}" in text
    assert f"token={order.tracking_token}" in html


def test_each_cooperative_hears_only_of_its_own_part(client, shop, outbox):
    order = checkout(client, shop, "cod")

    to_lychee = [m for m in outbox if m["To"] == "vaithieu@example.vn"]
    to_honey = sorted(m["To"] for m in outbox if "matong" in m["To"])
    assert len(to_lychee) == 1 and to_honey == ["phophong.matong@example.vn", "quanly.matong@example.vn"]
    lychee_text = body(to_lychee[0])
    assert order.number in lychee_text and "Vải thiều sấy" in lychee_text and "Mật ong rừng" not in lychee_text
    assert "Nguyễn Thị Lan" in lychee_text and "0912 345 678" in lychee_text


def test_bank_transfer_confirmation_carries_what_to_transfer(client, shop, outbox):
    order = checkout(client, shop, "bank_transfer")

    text = body(next(m for m in outbox if m["To"] == "lan@example.vn"))
    assert "270.000" in text and "275.000" in text  # what each cooperative is paid
    if importlib.util.find_spec("marketplace.payments.vietqr"):
        from marketplace.payments.vietqr import transfer_for_part

        for part in order.parts:
            assert transfer_for_part(part).payload in text
            assert part.cooperative.bank_account_number in text
    else:
        lines = text.splitlines()
        assert any(order.number in line and "270.000" in line for line in lines)  # amount and message to use


def test_a_failing_mail_server_does_not_undo_the_order_and_the_queue_tries_again(
    client, shop, app, monkeypatch, outbox
):
    from datetime import timedelta

    from marketplace.core.models import utcnow
    from marketplace.mail.models import QueuedEmail
    from marketplace.mail.queue import deliver_all

    def broken(*args, **kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("marketplace.orders.notifications.send_email", broken)
    order = checkout(client, shop, "cod")

    assert order is not None and client.get(f"/orders/{order.number}?token={order.tracking_token}").status_code == 200
    waiting = db.session.scalars(sa.select(QueuedEmail)).all()
    assert len(waiting) == 3 and all(job.sent_at is None and "mail server down" in job.last_error for job in waiting)
    assert outbox == []

    monkeypatch.undo()  # the server is back; the retry is due a minute later
    assert deliver_all(now=utcnow() + timedelta(minutes=2)).sent == 3
    assert sorted(m["To"] for m in outbox) == [
        "lan@example.vn",
        "phophong.matong@example.vn",
        "quanly.matong@example.vn",
        "vaithieu@example.vn",
    ]
