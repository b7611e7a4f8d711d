"""Agency staff review cooperatives: approve, suspend, re-approve, with history and email."""

from __future__ import annotations

import pytest

from marketplace.cooperatives import services
from marketplace.cooperatives.models import CooperativeStatus, CooperativeStatusChange
from marketplace.extensions import db
from tests.cooperatives.helpers import csrf_token, sign_in

AGENCY_GETS = [
    "/agency/",
    "/agency/cooperatives",
    "/agency/cooperatives?status=approved",
    "/agency/cooperatives?status=all",
    "/agency/cooperatives/{coop}",
    "/agency/categories/",
    "/agency/categories/new",
    "/agency/categories/{category}/edit",
]
AGENCY_POSTS = [
    ("/agency/cooperatives/{coop}/approve", {"note": "ok"}),
    ("/agency/cooperatives/{coop}/suspend", {"reason": "thiếu hồ sơ"}),
    ("/agency/categories/new", {"name": "Mới"}),
    ("/agency/categories/{category}/edit", {"name": "Đổi"}),
    ("/agency/categories/{category}/delete", {}),
]


@pytest.fixture
def world(app, make):
    coop = make.cooperative(name="HTX Gà đồi Yên Thế", slug="htx-ga-doi", status=CooperativeStatus.PENDING)
    manager = make.manager(coop, email="quanly@example.vn")
    category = make.category("Trái cây")
    people = {
        "customer": make.user(),
        "manager": manager,
        "staff": make.staff(),
        "admin": make.admin(),
    }
    make.commit()
    return people, {"coop": coop.slug, "category": category.id}, coop


def state(coop_id: int, category_id: int):
    from marketplace.catalog.models import Category
    from marketplace.cooperatives.models import Cooperative

    db.session.expire_all()
    category = db.session.get(Category, category_id)
    return (
        db.session.get(Cooperative, coop_id).status,
        db.session.query(CooperativeStatusChange).count(),
        category.name if category else None,
        db.session.query(Category).count(),
    )


@pytest.mark.parametrize("route", AGENCY_GETS)
def test_anonymous_is_sent_to_login(client, world, route):
    _people, ids, _coop = world
    response = client.get(route.format(**ids))
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["customer", "manager"])
@pytest.mark.parametrize("route", AGENCY_GETS)
def test_customers_and_managers_are_refused(client, world, route, role):
    people, ids, _coop = world
    sign_in(client, people[role])
    assert client.get(route.format(**ids)).status_code == 403


@pytest.mark.parametrize("role", ["staff", "admin"])
@pytest.mark.parametrize("route", AGENCY_GETS)
def test_staff_and_admin_may_open(client, world, route, role):
    people, ids, _coop = world
    sign_in(client, people[role])
    assert client.get(route.format(**ids)).status_code == 200


@pytest.mark.parametrize("role", [None, "customer", "manager"])
@pytest.mark.parametrize("route, data", AGENCY_POSTS)
def test_decisions_by_others_are_refused_and_change_nothing(client, world, route, data, role, outbox):
    people, ids, coop = world
    before = state(coop.id, ids["category"])
    if role:
        sign_in(client, people[role])
    response = client.post(route.format(**ids), data=data)
    assert response.status_code == (403 if role else 302)
    assert state(coop.id, ids["category"]) == before
    assert outbox == []


def test_bad_status_filter_is_a_400(client, world):
    people, _ids, _coop = world
    sign_in(client, people["staff"])
    assert client.get("/agency/cooperatives?status=deleted").status_code == 400
    assert client.get("/agency/cooperatives/khong-co").status_code == 404


def test_pending_list_and_detail(client, world):
    people, _ids, coop = world
    sign_in(client, people["staff"])
    client.get("/lang/en")
    listing = client.get("/agency/cooperatives?status=pending").get_data(as_text=True)
    assert "HTX Gà đồi Yên Thế" in listing
    assert "HTX Gà đồi Yên Thế" not in client.get("/agency/cooperatives?status=approved").get_data(as_text=True)
    detail = client.get("/agency/cooperatives/htx-ga-doi").get_data(as_text=True)
    assert "quanly@example.vn" in detail
    assert coop.ward_name in detail
    dashboard = client.get("/agency/").get_data(as_text=True)
    assert "<strong>1</strong> waiting for approval" in dashboard


def test_approve_suspend_and_reapprove_with_history_and_email(client, world, outbox):
    people, _ids, coop = world
    staff = people["staff"]
    sign_in(client, staff)
    client.get("/lang/en")

    response = client.post("/agency/cooperatives/htx-ga-doi/approve", data={"note": "Hồ sơ đầy đủ"})
    assert response.status_code == 302
    db.session.expire_all()
    assert coop.status == CooperativeStatus.APPROVED
    assert coop.status_changed_by == staff
    assert coop.status_changed_at is not None
    assert [m["To"] for m in outbox] == ["quanly@example.vn"]
    assert "Hồ sơ đầy đủ" in outbox[0].get_body(("plain",)).get_content()

    # Approving again is refused with a message; nothing recorded, no email.
    page = client.post("/agency/cooperatives/htx-ga-doi/approve", data={}, follow_redirects=True).get_data(as_text=True)
    assert "already approved" in page
    assert len(outbox) == 1

    # A suspension needs a reason.
    page = client.post("/agency/cooperatives/htx-ga-doi/suspend", data={"reason": "  "}).get_data(as_text=True)
    assert "Give a reason" in page
    db.session.expire_all()
    assert coop.status == CooperativeStatus.APPROVED

    client.post("/agency/cooperatives/htx-ga-doi/suspend", data={"reason": "Sản phẩm chưa có giấy kiểm nghiệm"})
    db.session.expire_all()
    assert coop.status == CooperativeStatus.SUSPENDED
    assert coop.status_reason == "Sản phẩm chưa có giấy kiểm nghiệm"
    assert "Sản phẩm chưa có giấy kiểm nghiệm" in outbox[-1].get_body(("plain",)).get_content()

    client.post("/agency/cooperatives/htx-ga-doi/approve", data={"note": ""})
    db.session.expire_all()
    assert coop.status == CooperativeStatus.APPROVED
    history = [(c.from_status, c.to_status) for c in reversed(coop.status_changes)]
    assert history == [
        (CooperativeStatus.PENDING, CooperativeStatus.APPROVED),
        (CooperativeStatus.APPROVED, CooperativeStatus.SUSPENDED),
        (CooperativeStatus.SUSPENDED, CooperativeStatus.APPROVED),
    ]
    assert len(outbox) == 3
    detail = client.get("/agency/cooperatives/htx-ga-doi").get_data(as_text=True)
    assert "Sản phẩm chưa có giấy kiểm nghiệm" in detail and staff.full_name in detail


def test_services_refuse_illegal_transitions(app, make):
    coop = make.cooperative(status=CooperativeStatus.SUSPENDED)
    staff = make.staff()
    with pytest.raises(services.CooperativeError):
        services.suspend_cooperative(coop, staff, "lần nữa")
    with pytest.raises(services.CooperativeError):
        services.suspend_cooperative(make.cooperative(), staff, "")
    services.approve_cooperative(coop, staff)
    with pytest.raises(services.CooperativeError):
        services.approve_cooperative(coop, staff, "lần nữa")
    assert len(coop.status_changes) == 1


def test_approval_makes_products_public(client, world, make):
    people, _ids, coop = world
    product = make.product(coop, slug="ga-doi")
    make.commit()
    assert client.get("/products/ga-doi").status_code == 404
    sign_in(client, people["staff"])
    client.post("/agency/cooperatives/htx-ga-doi/approve", data={})
    assert client.get("/products/ga-doi").status_code == 200
    assert product.is_public


def test_approve_needs_the_csrf_token(csrf_app, make, outbox):
    client = csrf_app.test_client()
    coop = make.cooperative(slug="htx-cho-duyet", status=CooperativeStatus.PENDING)
    make.manager(coop)
    staff = make.staff()
    make.commit()
    sign_in(client, staff)
    assert client.post("/agency/cooperatives/htx-cho-duyet/approve", data={"note": "ok"}).status_code == 400
    db.session.expire_all()
    assert coop.status == CooperativeStatus.PENDING
    assert outbox == []

    token = csrf_token(client, "/agency/cooperatives/htx-cho-duyet")
    response = client.post("/agency/cooperatives/htx-cho-duyet/approve", data={"note": "ok", "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert coop.status == CooperativeStatus.APPROVED
