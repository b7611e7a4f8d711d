"""Order emails go through the queue: queued in the order's transaction, sent by whoever MAIL_QUEUE names."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.mail import queue
from marketplace.orders import notifications
from marketplace.orders.models import Order, OrderStatusChange, PartStatus
from tests import factories as f
from tests.cooperatives.helpers import sign_in
from tests.mail.conftest import EVERYONE, jobs, recipients, web_checkout


def test_a_rolled_back_order_queues_nothing_and_a_committed_one_queues_its_jobs(app, shop, outbox):
    order = f.order([(shop.lychee, 1)])
    notifications.order_placed(order)
    db.session.rollback()

    assert jobs() == [] and db.session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0

    order = f.order([(shop.lychee, 2), (shop.honey, 1)])
    notifications.order_placed(order)
    db.session.commit()

    parts = sorted(part.id for part in order.parts)
    assert [(job.kind, job.object_id) for job in jobs()] == [
        ("order_confirmation", order.id),
        ("order_new_part", parts[0]),
        ("order_new_part", parts[1]),
    ]
    assert all(job.sent_at is None and job.attempts == 0 for job in jobs())
    assert outbox == []  # queued, not sent: no request has ended


def test_a_checkout_request_sends_its_mail_itself_in_inline_mode(client, shop, outbox):
    response = web_checkout(client, shop)

    assert response.status_code == 302
    assert recipients(outbox) == EVERYONE
    assert all(job.sent_at is not None and job.attempts == 1 and job.base_url == "http://localhost/" for job in jobs())
    order = db.session.scalar(sa.select(Order))
    confirmation = next(m for m in outbox if m["To"] == "lan@example.vn")
    assert (
        f"http://localhost/orders/{order.number}?token={order.tracking_token}"
        in confirmation.get_body(("plain",)).get_content()
    )


def test_a_refused_checkout_queues_nothing(client, shop, outbox):
    response = client.post(
        "/api/v1/orders",
        json={
            "items": [{"product_id": shop.honey.id, "quantity": 6}],
            "contact": {"name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn"},
            "address": {"province": f.BAC_NINH, "ward": f.LUC_NGAN, "street": "Số 12"},
            "payment_method": "cod",
        },
    )

    assert response.status_code == 409 and jobs() == [] and outbox == []


def test_worker_mode_only_queues_and_mail_send_delivers(app, client, runner, shop, outbox):
    app.config["MAIL_QUEUE"] = "worker"
    web_checkout(client, shop)
    api = client.post(
        "/api/v1/orders",
        json={
            "items": [{"product_id": shop.lychee.id, "quantity": 1}],
            "contact": {"name": "Trần Văn Minh", "phone": "0987654321", "email": "minh@example.vn"},
            "address": {"province": f.BAC_NINH, "ward": f.LUC_NGAN, "street": "25 Lý Thường Kiệt"},
            "payment_method": "cod",
        },
    )
    assert api.status_code == 201

    assert outbox == [] and len(jobs()) == 5 and all(job.sent_at is None for job in jobs())
    status = runner.invoke(args=["mail", "status"])
    assert (
        status.exit_code == 0
        and "Pending: 5 (5 due now" in status.output
        and "Mode (MAIL_QUEUE): worker" in status.output
    )

    result = runner.invoke(args=["mail", "send"])

    assert result.exit_code == 0, result.output
    assert "Sent 5 queued email job(s); 0 failed" in result.output
    assert recipients(outbox) == sorted([*EVERYONE, "minh@example.vn", "vaithieu@example.vn"])
    assert all(job.sent_at is not None for job in jobs())
    again = runner.invoke(args=["mail", "send"])
    assert "Sent 0 queued" in again.output and len(outbox) == 6
    assert "Pending: 0" in runner.invoke(args=["mail", "status"]).output


def test_thread_mode_sends_from_the_process_sender_thread(app, client, shop, outbox):
    app.config["MAIL_QUEUE"] = "thread"
    try:
        web_checkout(client, shop)
        deadline = time.monotonic() + 20
        while len(outbox) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        sender = app.extensions["mail_sender"]
        assert sender.is_alive() and sender.name == "mail-sender"
    finally:
        if "mail_sender" in app.extensions:
            app.extensions["mail_sender"].stop()
            app.extensions["mail_sender"].join(10)
    assert recipients(outbox) == EVERYONE
    assert all(job.sent_at is not None for job in jobs())


@pytest.fixture
def placed(shop):
    order = f.order([(shop.lychee, 2), (shop.honey, 1)], email="lan@example.vn")
    f.commit()
    return order


def test_the_status_email_goes_through_the_queue(app, client, runner, shop, placed, outbox):
    app.config["MAIL_QUEUE"] = "worker"
    sign_in(client, shop.lychee_manager)
    part = next(p for p in placed.parts if p.cooperative_id == shop.lychee_coop.id)

    response = client.post(f"/workspace/vai-thieu/orders/{part.id}/status", data={"status": "confirmed"})

    assert response.status_code == 302 and outbox == []
    change = db.session.scalar(sa.select(OrderStatusChange).where(OrderStatusChange.to_status == PartStatus.CONFIRMED))
    assert [(job.kind, job.object_id) for job in jobs()] == [("order_status_changed", change.id)]

    # The part moves on before the mail goes out: the email still tells of the step it was queued for.
    client.post(f"/workspace/vai-thieu/orders/{part.id}/status", data={"status": "shipped"})
    assert runner.invoke(args=["mail", "send"]).exit_code == 0

    assert [m["To"] for m in outbox] == ["lan@example.vn", "lan@example.vn"]
    first, second = (m.get_body(("plain",)).get_content() for m in outbox)
    assert placed.number in outbox[0]["Subject"] and "HTX Vải thiều" in first and "Vải thiều sấy" in first
    assert "đã xác nhận phần hàng" in first and "đã gửi đi phần hàng" in second
    assert placed.tracking_token in first


def test_a_refused_status_change_queues_nothing(client, shop, placed, outbox):
    sign_in(client, shop.lychee_manager)
    part = next(p for p in placed.parts if p.cooperative_id == shop.lychee_coop.id)

    response = client.post(f"/workspace/vai-thieu/orders/{part.id}/status", data={"status": "completed"})

    assert response.status_code == 302 and jobs() == [] and outbox == []


def test_queueing_an_unregistered_kind_is_a_programming_error(app):
    with pytest.raises(LookupError):
        queue.queue_email("no_such_email", 1)


def test_an_unknown_mail_queue_setting_is_refused(database_url, tmp_path):
    from marketplace.config import ConfigError
    from tests.conftest import make_app

    with pytest.raises(ConfigError, match="MAIL_QUEUE"):
        make_app(database_url, tmp_path, MAIL_QUEUE="smtp")
