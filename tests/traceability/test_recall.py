"""Recalling a batch: refusals, stock withdrawn, the receivers list, the notices and their
history, who may do it, the receivers' CSV and the trace page afterwards."""

from __future__ import annotations

import csv
import io
import re
import smtplib
import threading
import traceback
from datetime import date

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.mail import queue
from marketplace.mail.models import QueuedEmail
from marketplace.orders.models import PartStatus
from marketplace.orders.services import change_part_status
from marketplace.traceability import batches, recall
from marketplace.traceability.models import Batch, BatchEvent, BatchEventKind
from tests import factories as f
from tests.cooperatives.helpers import csrf_token, sign_in
from tests.traceability.helpers import TODAY, batch
from tests.traceability.recall_helpers import build, sell


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch):
    monkeypatch.setattr(batches, "today", lambda: TODAY)


@pytest.fixture
def shop(app):
    return build()


def events(batch, kind=None) -> list[BatchEvent]:
    query = sa.select(BatchEvent).where(BatchEvent.batch_id == batch.id).order_by(BatchEvent.id)
    if kind is not None:
        query = query.where(BatchEvent.kind == kind)
    return list(db.session.scalars(query))


def recall_now(shop, reason="Phát hiện nấm mốc trong mẫu kiểm nghiệm"):
    found = recall.recall_batch(shop.lot_a, reason, shop.manager)
    f.commit()
    return found


# --- the service ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   ", "x" * 1001])
def test_a_recall_needs_a_reason_of_at_most_1000_characters(shop, reason):
    with pytest.raises(Refused) as caught:
        recall.recall_batch(shop.lot_a, reason, shop.manager)
    assert caught.value.field == "reason"
    db.session.rollback()
    assert not db.session.get(Batch, shop.lot_a.id).is_recalled
    assert events(shop.lot_a) == []


def test_a_batch_is_recalled_once(shop, outbox):
    recall_now(shop)
    with pytest.raises(Refused) as caught:
        recall.recall_batch(shop.lot_a, "Lần hai", shop.manager)
    assert caught.value.field == "reason"
    db.session.rollback()
    assert db.session.get(Batch, shop.lot_a.id).recall_reason == "Phát hiện nấm mốc trong mẫu kiểm nghiệm"
    assert len(events(shop.lot_a, BatchEventKind.RECALLED)) == 1


def test_the_recall_withdraws_the_remaining_stock(shop):
    assert (shop.lot_a.stock, shop.lychee.stock) == (5, 5)
    recall_now(shop)
    lot_a = db.session.get(Batch, shop.lot_a.id)
    assert lot_a.is_recalled and lot_a.recalled_by_id == shop.manager.id
    assert lot_a.stock == 0
    assert shop.lychee.stock == 0
    assert db.session.get(Batch, shop.lot_b.id).stock == 0  # sold out before; untouched
    (recalled,) = events(lot_a, BatchEventKind.RECALLED)
    assert (recalled.detail, recalled.quantity, recalled.by_id) == (
        "Phát hiện nấm mốc trong mẫu kiểm nghiệm",
        5,
        shop.manager.id,
    )


def test_the_recall_list_matches_the_orders_that_got_the_batch(shop):
    found = recall.receivers(shop.lot_a)
    assert {r.order.number: r.quantity for r in found.orders} == {shop.lan.number: 3, shop.binh.number: 1}
    # Cancelled (cuong) and another batch only (dung) are not on the list.
    lan = next(r for r in found.orders if r.order.id == shop.lan.id)
    assert (lan.order.contact_name, lan.order.contact_phone, lan.order.contact_email) == (
        "Nguyễn Thị Lan",
        "0912345678",
        "lan@example.vn",
    )
    assert "Lục Ngạn" in lan.address and "Bắc Ninh" in lan.address
    assert [(s.booth.number, s.quantity) for s in found.sales] == [("B07", 1)]
    assert found.units == 5
    only_b = recall.receivers(shop.lot_b)
    assert [r.order.number for r in only_b.orders] == [shop.dung.number] and not only_b.sales


def test_notices_go_to_exactly_the_orders_that_kept_units(app, shop, outbox):
    recall_now(shop)
    queue.deliver_all()
    assert [m["To"] for m in outbox] == ["lan@example.vn"]
    message = outbox[0]
    text = message.get_body(("plain",)).get_content()
    assert "Vải thiều sấy" in message["Subject"] and "LOT-A" in message["Subject"]
    for expected in ("LOT-A", "Phát hiện nấm mốc", "0987 654 321", "/t/" + shop.lot_a.short_code, shop.lan.number):
        assert expected in text
    assert "chưa được gửi đi" in text  # placed, not shipped: the cooperative keeps the lot back
    sent = events(shop.lot_a, BatchEventKind.NOTICE_SENT)
    assert [(e.order_id, e.email, e.quantity) for e in sent] == [(shop.lan.id, "lan@example.vn", 3)]
    failed = events(shop.lot_a, BatchEventKind.NOTICE_FAILED)
    assert [(e.order_id, e.email, e.quantity) for e in failed] == [(shop.binh.id, "", 1)]
    # Sent once: delivering again sends nothing more.
    queue.deliver_all()
    assert len(outbox) == 1


def test_a_customer_who_has_the_goods_is_told_to_stop_using_them(app, shop, outbox):
    part = shop.lan.parts[0]
    for status in (PartStatus.CONFIRMED, PartStatus.SHIPPED):
        change_part_status(part, status, by=shop.manager, actor="cooperative")
    f.commit()
    recall_now(shop)
    queue.deliver_all()
    text = outbox[0].get_body(("plain",)).get_content()
    assert "Ngừng ăn hoặc sử dụng" in text and "chưa được gửi đi" not in text


def test_a_failed_send_is_in_the_history_and_retried(app, shop, outbox, monkeypatch):
    recall_now(shop)

    def refuse(*args, **kwargs):
        raise smtplib.SMTPRecipientsRefused({"lan@example.vn": (550, b"no such user")})

    monkeypatch.setattr(recall, "send_email", refuse)
    assert queue.deliver_all().retrying == 1
    failed = [e for e in events(shop.lot_a, BatchEventKind.NOTICE_FAILED) if e.email]
    assert [(e.order_id, e.email) for e in failed] == [(shop.lan.id, "lan@example.vn")]
    assert "SMTPRecipientsRefused" in failed[0].detail
    assert events(shop.lot_a, BatchEventKind.NOTICE_SENT) == []


# --- the pages -----------------------------------------------------------------------------------


def recall_url(shop) -> str:
    return f"/workspace/vai-thieu/batches/{shop.lot_a.id}/recall"


def test_a_manager_recalls_from_the_batch_page_and_the_trace_page_says_so(csrf_app):
    from marketplace.core.mail import outbox

    shop = build()
    client = csrf_app.test_client()
    sign_in(client, shop.manager)
    edit_url = f"/workspace/vai-thieu/batches/{shop.lot_a.id}/edit"
    form = re.search(r'<form method="post" action="([^"]+)"[^>]*id="recall-section"', client.get(edit_url).text)
    assert form and form.group(1) == recall_url(shop)  # the "Thu hồi lô" form on the batch's page
    token = csrf_token(client, edit_url)
    assert client.post(recall_url(shop), data={"reason": "Dư lượng thuốc BVTV vượt ngưỡng"}).status_code == 400
    response = client.post(recall_url(shop), data={"reason": "Dư lượng thuốc BVTV vượt ngưỡng", "csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(recall_url(shop))
    page = client.get(recall_url(shop)).text
    assert "data-recalled" in page and "Dư lượng thuốc BVTV vượt ngưỡng" in page
    assert 'id="recall-section"' not in client.get(edit_url).text  # recalled once: no form any more
    assert 'data-event="recalled"' in page and 'data-event="notice_sent"' in page
    assert [m["To"] for m in outbox()] == ["lan@example.vn"]
    trace = client.get(f"/t/{shop.lot_a.short_code}").text
    assert "trace-recall" in trace and "Dư lượng thuốc BVTV vượt ngưỡng" in trace


def test_an_empty_reason_is_shown_next_to_the_field(client, shop):
    sign_in(client, shop.manager)
    response = client.post(recall_url(shop), data={"reason": "  "})
    assert response.status_code == 400
    assert "Hãy cho biết lý do thu hồi lô" in response.text
    assert not db.session.get(Batch, shop.lot_a.id).is_recalled


def test_the_recall_page_lists_the_receivers(client, shop):
    sign_in(client, shop.manager)
    page = client.get(recall_url(shop)).text
    assert sorted(re.findall(r'data-order="([^"]+)"', page)) == sorted([shop.lan.number, shop.binh.number])
    assert "Nguyễn Thị Lan" in page and "B07" in page
    assert "data-unshipped" in page  # placed orders: the cooperative must not send this lot
    assert shop.cuong.number not in page and shop.dung.number not in page


def test_the_receivers_csv(client, shop):
    sign_in(client, shop.manager)
    response = client.get(recall_url(shop) + "/receivers.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_number = {row[0]: row for row in rows[1:] if row[0]}
    assert set(by_number) == {shop.lan.number, shop.binh.number}
    assert by_number[shop.lan.number][2:5] == ["Nguyễn Thị Lan", "0912345678", "lan@example.vn"]
    assert by_number[shop.lan.number][6] == "3"
    assert [row[6:] for row in rows[1:] if not row[0]] == [["1", "", "Hội chợ OCOP Bắc Ninh", "B07"]]


@pytest.mark.parametrize("who", ["anonymous", "customer", "other_manager"])
@pytest.mark.parametrize("path", ["/recall", "/recall/receivers.csv"])
def test_others_cannot_see_or_recall_a_cooperatives_batch(client, shop, who, path):
    if who != "anonymous":
        sign_in(client, f.user() if who == "customer" else shop.other_manager)
    url = recall_url(shop).removesuffix("/recall") + path
    expected = {"anonymous": 302, "customer": 403, "other_manager": 403}[who]
    assert client.get(url).status_code == expected
    if path == "/recall":
        assert client.post(url, data={"reason": "Thử"}).status_code == expected
    # Another cooperative's manager asking through their own workspace: 404.
    if who == "other_manager":
        assert client.get(f"/workspace/mat-ong/batches/{shop.lot_a.id}/recall").status_code == 404
    assert not db.session.get(Batch, shop.lot_a.id).is_recalled


@pytest.mark.parametrize("who", ["anonymous", "customer", "manager"])
def test_only_agency_staff_use_the_agency_pages(client, shop, who):
    if who != "anonymous":
        sign_in(client, f.user() if who == "customer" else shop.manager)
    expected = 302 if who == "anonymous" else 403
    for url in (
        "/agency/batches/",
        f"/agency/batches/{shop.lot_a.id}",
        f"/agency/batches/{shop.lot_a.id}/receivers.csv",
    ):
        assert client.get(url).status_code == expected
    assert client.post(f"/agency/batches/{shop.lot_a.id}", data={"reason": "Thử"}).status_code == expected
    assert not db.session.get(Batch, shop.lot_a.id).is_recalled


def test_agency_staff_find_and_recall_a_batch(client, shop, outbox):
    staff = f.staff()
    f.commit()
    sign_in(client, staff)
    listing = client.get("/agency/batches/?q=lot-a").text
    assert f"/agency/batches/{shop.lot_a.id}" in listing and f'/agency/batches/{shop.lot_b.id}"' not in listing
    assert f"/agency/batches/{shop.lot_b.id}" in client.get("/agency/batches/?q=Vải thiều").text
    response = client.post(f"/agency/batches/{shop.lot_a.id}", data={"reason": "Quyết định của Chi cục QLCL"})
    assert response.status_code == 303
    lot_a = db.session.get(Batch, shop.lot_a.id)
    assert lot_a.is_recalled and lot_a.recalled_by_id == staff.id
    assert [m["To"] for m in outbox] == ["lan@example.vn"]
    recalled = client.get("/agency/batches/?state=recalled").text
    assert f"/agency/batches/{shop.lot_a.id}" in recalled and f'/agency/batches/{shop.lot_b.id}"' not in recalled
    again = client.post(f"/agency/batches/{shop.lot_a.id}", data={"reason": "Lần hai"})
    assert again.status_code == 400
    assert len(events(lot_a, BatchEventKind.RECALLED)) == 1


def test_a_recalled_batch_leaves_the_products_api_at_once_despite_the_cache(client, shop):
    url = f"/api/v1/products/{shop.lychee.id}"
    assert sorted(b["code"] for b in client.get(url).get_json()["batches"]) == ["LOT-A", "LOT-B"]
    recall.recall_batch(shop.lot_b, "Bao bì bị rách", shop.manager)  # sold out: no stock moves
    f.commit()
    assert [b["code"] for b in client.get(url).get_json()["batches"]] == ["LOT-A"]


def test_recalls_sent_at_once_recall_once(app, shop):
    """Two people press "Recall" together (the manager and agency staff): one recall, one
    withdrawal, one set of notices; the other is told it is already recalled."""
    staff = f.staff()
    f.commit()
    people = [shop.manager.id, staff.id, shop.manager.id, staff.id]
    start = threading.Barrier(len(people))
    results: list[str] = []

    def press(user_id):
        from marketplace.accounts.models import User

        with app.app_context():
            try:
                lot, user = db.session.get(Batch, shop.lot_a.id), db.session.get(User, user_id)
                db.session.rollback()
                start.wait(30)
                recall.recall_batch(lot, f"Lý do của {user_id}", user)
                db.session.commit()
                results.append("recalled")
            except Refused:
                db.session.rollback()
                results.append("refused")
            except Exception:
                results.append(traceback.format_exc(limit=3))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press, args=(user_id,)) for user_id in people]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == ["recalled", "refused", "refused", "refused"], results
    db.session.expire_all()
    assert len(events(shop.lot_a, BatchEventKind.RECALLED)) == 1
    assert [e.quantity for e in events(shop.lot_a, BatchEventKind.RECALLED)] == [5]
    assert len(events(shop.lot_a, BatchEventKind.NOTICE_FAILED)) == 1  # binh's, recorded once
    jobs = db.session.scalars(sa.select(QueuedEmail.object_id).where(QueuedEmail.kind == recall.RECALL_NOTICE))
    assert len(list(jobs)) == 1  # lan's
    assert db.session.scalar(sa.select(Product.stock).where(Product.id == shop.lychee.id)) == 0


def test_an_order_cancelled_before_its_notice_goes_gets_none(app, shop, outbox):
    recall_now(shop)
    change_part_status(shop.lan.parts[0], PartStatus.CANCELLED, by=shop.manager, actor="cooperative", reason="Hủy")
    f.commit()
    queue.deliver_all()
    assert outbox == []
    assert events(shop.lot_a, BatchEventKind.NOTICE_SENT) == []
    assert [r.order.id for r in recall.receivers(shop.lot_a).orders] == [shop.binh.id]
    # The unit given back is not put on sale again: the batch is recalled.
    assert db.session.get(Batch, shop.lot_a.id).stock == 0 and shop.lychee.stock == 0


def test_the_recall_page_does_not_query_per_receiver(client, shop):
    from tests.catalog.test_storefront import count_queries

    sign_in(client, shop.manager)
    db.session.expire_all()
    before = count_queries(client, recall_url(shop))
    for n in range(3):
        sell(shop.lychee, 1, shop.lot_a, name=f"Khách {n}", email=f"k{n}@example.vn", phone=f"091300090{n}")
    f.commit()
    db.session.expire_all()
    assert count_queries(client, recall_url(shop)) == before


def test_orders_racing_a_recall_never_get_the_recalled_lot_after_it(app, shop):
    """Buyers and a recall at the same moment (threads, both engines): no error, no deadlock;
    every unit of the recalled lot is either sold before the recall or withdrawn by it, and the
    product's stock is its open lots' stock afterwards."""
    from tests.orders.test_concurrency import buy

    lot_c = batch(shop.lychee, code="LOT-C", quantity=100, stock=10, best_before=date(2027, 6, 1))
    f.commit()
    sold_before = recall.receivers(shop.lot_a).units  # 5 of lot A's 10 already gone
    buyers = 8
    start = threading.Barrier(buyers + 1)
    results: list[str] = []

    def press():
        from marketplace.accounts.models import User

        with app.app_context():
            lot, user = db.session.get(Batch, shop.lot_a.id), db.session.get(User, shop.manager.id)
            db.session.rollback()
            start.wait(30)
            try:
                recall.recall_batch(lot, "Nấm mốc", user)
                db.session.commit()
                results.append("recalled")
            except Exception:
                db.session.rollback()
                results.append(traceback.format_exc(limit=3))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=press)]
    threads += [threading.Thread(target=buy, args=(app, shop.lychee.id, start, results)) for _ in range(buyers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    errors = [r for r in results if r not in ("sold", "recalled")]
    assert not errors, "\n".join(errors)
    assert sorted(results) == ["recalled"] + ["sold"] * buyers
    db.session.expire_all()
    (recalled,) = events(shop.lot_a, BatchEventKind.RECALLED)
    lot_a, lot_c = db.session.get(Batch, shop.lot_a.id), db.session.get(Batch, lot_c.id)
    assert lot_a.stock == 0
    assert recall.receivers(lot_a).units + recalled.quantity == sold_before + 5
    assert lot_c.stock == 10 - (buyers - (recall.receivers(lot_a).units - sold_before))
    assert db.session.scalar(sa.select(Product.stock).where(Product.id == shop.lychee.id)) == lot_c.stock


def test_a_suspended_cooperative_can_still_recall(client, shop):
    from marketplace.cooperatives.models import CooperativeStatus

    shop.coop.status = CooperativeStatus.SUSPENDED
    f.commit()
    sign_in(client, shop.manager)
    assert client.post(recall_url(shop), data={"reason": "Nấm mốc"}).status_code == 303
    assert db.session.get(Batch, shop.lot_a.id).is_recalled
