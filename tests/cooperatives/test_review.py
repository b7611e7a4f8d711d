"""The agency refuses an application or asks for more documents; the managers see the reason or
the request in their workspace, answer it, and the cooperative is waiting for approval again.
Every step is in the status history and emailed."""

from __future__ import annotations

import pytest

from marketplace.cooperatives import services
from marketplace.cooperatives.models import CooperativeStatus, CooperativeStatusChange
from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in

S = CooperativeStatus
REFUSAL = "Không có giấy chứng nhận đăng ký hợp tác xã hợp lệ"
REQUEST = "Xin gửi bản sao giấy chứng nhận đăng ký hợp tác xã"
ANSWER = "Chúng tôi đã gửi bản sao qua bưu điện ngày 2/12"


@pytest.fixture
def world(app, make):
    coop = make.cooperative(name="HTX Gà đồi Yên Thế", slug="htx-ga-doi", status=S.PENDING)
    manager = make.manager(coop, email="quanly@example.vn")
    other_coop = make.cooperative(slug="htx-khac", status=S.PENDING)
    people = {
        "customer": make.user(),
        "manager": manager,
        "other_manager": make.manager(other_coop, email="khac@example.vn"),
        "staff": make.staff(email="canbo@example.vn"),
        "admin": make.admin(),
    }
    make.commit()
    return people, coop


def history(coop):
    db.session.expire_all()
    return [(c.from_status, c.to_status, c.reason) for c in reversed(coop.status_changes)]


def plain(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_staff_refuse_with_reason(app, client, world, make, outbox):
    people, coop = world
    make.product(coop, slug="ga-doi")
    make.commit()
    sign_in(client, people["staff"])
    client.get("/lang/en")

    response = client.post("/agency/cooperatives/htx-ga-doi/refuse", data={"refusal": REFUSAL})
    assert response.status_code == 302
    db.session.expire_all()
    assert coop.status == S.REFUSED
    assert coop.status_reason == REFUSAL
    assert history(coop) == [(S.PENDING, S.REFUSED, REFUSAL)]
    assert [m["To"] for m in outbox] == ["quanly@example.vn"]
    assert REFUSAL in plain(outbox[0])
    assert "HTX Gà đồi Yên Thế" in outbox[0]["Subject"]

    detail = client.get("/agency/cooperatives/htx-ga-doi").get_data(as_text=True)
    assert REFUSAL in detail and "Refused" in detail
    assert "/agency/cooperatives/htx-ga-doi/approve" not in detail  # final: no approve button
    assert "HTX Gà đồi Yên Thế" in client.get("/agency/cooperatives?status=refused").get_data(as_text=True)

    # The manager reads the reason in the workspace and can no longer change anything.
    sign_in(client, people["manager"])
    dashboard = client.get("/workspace/htx-ga-doi/").get_data(as_text=True)
    assert REFUSAL in dashboard and "refused" in dashboard
    page = client.post("/workspace/htx-ga-doi/profile", data={"name": "Đổi tên"}, follow_redirects=True)
    assert "application is refused" in page.get_data(as_text=True)
    db.session.expire_all()
    assert coop.name == "HTX Gà đồi Yên Thế"

    # Not public: neither the cooperative nor its products.
    visitor = app.test_client()
    assert visitor.get("/cooperatives/htx-ga-doi").status_code == 404
    assert visitor.get("/products/ga-doi").status_code == 404


def test_refused_is_final_until_staff_reopen(client, world, outbox):
    people, coop = world
    staff = people["staff"]
    services.refuse_cooperative(coop, staff, REFUSAL)
    db.session.commit()
    sign_in(client, staff)
    client.get("/lang/en")

    page = client.post("/agency/cooperatives/htx-ga-doi/approve", data={}, follow_redirects=True)
    assert "Reopen it first" in page.get_data(as_text=True)
    for route, data in [
        ("suspend", {"reason": "x"}),
        ("request-documents", {"documents_request": "x"}),
        ("refuse", {"refusal": "x"}),
    ]:
        client.post(f"/agency/cooperatives/htx-ga-doi/{route}", data=data)
    db.session.expire_all()
    assert coop.status == S.REFUSED
    assert len(coop.status_changes) == 1
    assert outbox == []

    client.post("/agency/cooperatives/htx-ga-doi/reopen", data={"reopen_reason": "Đã nhận đủ giấy tờ"})
    assert history(coop)[-1] == (S.REFUSED, S.PENDING, "Đã nhận đủ giấy tờ")
    assert "Đã nhận đủ giấy tờ" in plain(outbox[-1])
    client.post("/agency/cooperatives/htx-ga-doi/approve", data={})
    db.session.expire_all()
    assert coop.status == S.APPROVED


@pytest.mark.parametrize(
    "route, field",
    [("refuse", "refusal"), ("request-documents", "documents_request"), ("reopen", "reopen_reason")],
)
def test_a_reason_is_required(client, world, outbox, route, field):
    people, coop = world
    if route == "reopen":
        services.refuse_cooperative(coop, people["staff"], REFUSAL)
        db.session.commit()
    before = coop.status
    sign_in(client, people["staff"])
    client.get("/lang/en")
    response = client.post(f"/agency/cooperatives/htx-ga-doi/{route}", data={field: "   "})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in page
    assert any(text in page for text in ("Give the reason", "Say which documents"))
    db.session.expire_all()
    assert coop.status == before
    assert outbox == []


def test_request_documents_answer_and_review_again(client, world, outbox):
    people, coop = world
    sign_in(client, people["staff"])
    client.get("/lang/en")
    response = client.post("/agency/cooperatives/htx-ga-doi/request-documents", data={"documents_request": REQUEST})
    assert response.status_code == 302
    db.session.expire_all()
    assert coop.status == S.NEEDS_DOCUMENTS
    assert [m["To"] for m in outbox] == ["quanly@example.vn"]
    assert REQUEST in plain(outbox[0])
    # Not in the pending list any more; in its own.
    link = 'href="/agency/cooperatives/htx-ga-doi"'
    assert link not in client.get("/agency/cooperatives?status=pending").get_data(as_text=True)
    assert link in client.get("/agency/cooperatives?status=needs_documents").get_data(as_text=True)
    assert client.get("/cooperatives/htx-ga-doi").status_code == 404

    # The manager sees the request and answers it (the answer is required).
    sign_in(client, people["manager"])
    client.get("/lang/vi")
    dashboard = client.get("/workspace/htx-ga-doi/").get_data(as_text=True)
    assert REQUEST in dashboard and "Cần bổ sung hồ sơ" in dashboard
    assert "/workspace/htx-ga-doi/answer" in dashboard
    client.get("/lang/en")
    empty = client.post("/workspace/htx-ga-doi/answer", data={"answer": " "})
    assert empty.status_code == 400 and "Write your answer" in empty.get_data(as_text=True)
    db.session.expire_all()
    assert coop.status == S.NEEDS_DOCUMENTS

    response = client.post("/workspace/htx-ga-doi/answer", data={"answer": ANSWER})
    assert response.status_code == 302
    db.session.expire_all()
    assert coop.status == S.PENDING
    assert history(coop) == [(S.PENDING, S.NEEDS_DOCUMENTS, REQUEST), (S.NEEDS_DOCUMENTS, S.PENDING, ANSWER)]
    assert coop.status_changes[0].changed_by == people["manager"]
    # Agency staff are told of the answer.
    assert outbox[-1]["To"] == "canbo@example.vn" and ANSWER in plain(outbox[-1])
    dashboard = client.get("/workspace/htx-ga-doi/").get_data(as_text=True)
    assert REQUEST in dashboard and ANSWER in dashboard  # both in the manager's history
    assert "/workspace/htx-ga-doi/answer" not in dashboard

    # Answering again is refused; the staff see both in the history and can approve.
    again = client.post("/workspace/htx-ga-doi/answer", data={"answer": "lần nữa"})
    assert again.status_code == 400 and "not waiting for documents" in again.get_data(as_text=True)
    sign_in(client, people["staff"])
    detail = client.get("/agency/cooperatives/htx-ga-doi").get_data(as_text=True)
    assert REQUEST in detail and ANSWER in detail
    client.post("/agency/cooperatives/htx-ga-doi/approve", data={})
    db.session.expire_all()
    assert coop.status == S.APPROVED


@pytest.mark.parametrize("role", ["customer", "manager", "other_manager"])
@pytest.mark.parametrize(
    "route, data",
    [
        ("refuse", {"refusal": REFUSAL}),
        ("request-documents", {"documents_request": REQUEST}),
        ("reopen", {"reopen_reason": "x"}),
    ],
)
def test_only_staff_refuse_or_request(client, world, outbox, role, route, data):
    people, coop = world
    sign_in(client, people[role])
    assert client.post(f"/agency/cooperatives/htx-ga-doi/{route}", data=data).status_code == 403
    db.session.expire_all()
    assert coop.status == S.PENDING
    assert db.session.query(CooperativeStatusChange).count() == 0
    assert outbox == []


@pytest.mark.parametrize("role, code", [("other_manager", 403), ("customer", 403), ("staff", 403)])
def test_only_its_managers_answer(client, world, outbox, role, code):
    people, coop = world
    services.request_documents(coop, people["staff"], REQUEST)
    db.session.commit()
    outbox.clear()
    sign_in(client, people[role])
    assert client.post("/workspace/htx-ga-doi/answer", data={"answer": ANSWER}).status_code == code
    db.session.expire_all()
    assert coop.status == S.NEEDS_DOCUMENTS
    assert outbox == []


def test_services_refuse_illegal_transitions(app, make):
    staff = make.staff()
    approved = make.cooperative(status=S.APPROVED)
    with pytest.raises(services.CooperativeError):
        services.refuse_cooperative(approved, staff, "không")  # suspend an approved one instead
    with pytest.raises(services.CooperativeError):
        services.request_documents(approved, staff, "giấy tờ")
    with pytest.raises(services.CooperativeError):
        services.answer_request(approved, staff, "trả lời")
    with pytest.raises(services.CooperativeError):
        services.reopen_cooperative(approved, staff, "mở lại")
    waiting = make.cooperative(status=S.PENDING)
    services.request_documents(waiting, staff, "giấy tờ")
    with pytest.raises(services.CooperativeError):
        services.request_documents(waiting, staff, "lần nữa")
    # A cooperative asked for documents may still be refused, suspended or approved directly.
    services.refuse_cooperative(waiting, staff, "không đủ điều kiện")
    assert waiting.status == S.REFUSED
    assert not services.can_edit(make.manager(waiting), waiting)


def test_waiting_for_documents_is_still_an_application(client, world, make):
    """Managers of a cooperative asked for documents prepare drafts as while pending: they may
    edit, but not add a logo (catalog photos follow the same rule)."""
    people, coop = world
    services.request_documents(coop, people["staff"], REQUEST)
    db.session.commit()
    assert coop.awaiting_approval
    assert services.can_edit(people["manager"], coop)
    from marketplace.cooperatives.logos import check_may_add_logo
    from marketplace.core.errors import Refused

    with pytest.raises(Refused):
        check_may_add_logo(coop, people["manager"])
