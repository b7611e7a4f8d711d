"""Anyone signed in registers a cooperative: it is pending, they manage it, the agency hears of it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core import geo
from marketplace.extensions import db
from tests.cooperatives.helpers import sign_in
from tests.factories import BAC_NINH, HA_NOI, LUC_NGAN


def form_data(**changes) -> dict:
    data = {
        "name": "HTX Thanh niên Vải thiều Lục Ngạn",
        "registration_code": "2400123456",
        "province_code": str(BAC_NINH),
        "ward_code": str(LUC_NGAN),
        "street": "Thôn Kép",
        "founded_on": "2021-03-26",
        "is_youth": "y",
        "member_count": "12",
        "youth_member_count": "9",
        "representative": "Nguyễn Văn An",
        "phone": "0912 345 678",
        "email": "htx.vaithieu@example.vn",
        "description": "Trồng và sơ chế vải thiều theo VietGAP.",
    }
    data.update(changes)
    return data


def cooperative_count() -> int:
    return db.session.scalar(select(func.count(Cooperative.id)))


def test_registration_creates_a_pending_cooperative_managed_by_the_customer(client, make, outbox):
    customer = make.user()
    staff = make.staff()
    make.staff(active=False)
    make.commit()
    sign_in(client, customer)

    response = client.post("/workspace/register", data=form_data())

    cooperative = db.session.scalar(select(Cooperative))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/workspace/{cooperative.slug}/")
    assert cooperative.slug == "htx-thanh-nien-vai-thieu-luc-ngan"
    assert cooperative.status == CooperativeStatus.PENDING
    assert cooperative.ward_name.endswith("Lục Ngạn")
    assert cooperative.founded_on.isoformat() == "2021-03-26"
    assert (cooperative.member_count, cooperative.youth_member_count) == (12, 9)
    assert cooperative.managers == [customer]
    assert cooperative.created_by == customer
    assert customer.role == Role.COOPERATIVE_MANAGER
    assert [m["To"] for m in outbox] == [staff.email]
    assert cooperative.name in outbox[0]["Subject"]
    assert f"/agency/cooperatives/{cooperative.slug}" in outbox[0].get_body(("plain",)).get_content()

    dashboard = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Chờ duyệt" in dashboard or "Waiting for approval" in dashboard


def test_same_name_gets_a_unique_slug(client, make):
    make.cooperative(slug="htx-thanh-nien-vai-thieu-luc-ngan")
    user = make.user()
    make.commit()
    sign_in(client, user)
    client.post("/workspace/register", data=form_data(registration_code=""))
    slugs = set(db.session.scalars(select(Cooperative.slug)))
    assert slugs == {"htx-thanh-nien-vai-thieu-luc-ngan", "htx-thanh-nien-vai-thieu-luc-ngan-2"}


def test_agency_staff_keeps_their_role_when_registering(client, make):
    staff = make.staff()
    make.commit()
    sign_in(client, staff)
    client.post("/workspace/register", data=form_data())
    assert staff.role == Role.AGENCY_STAFF
    assert len(staff.cooperatives) == 1


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"ward_code": str(geo.wards(HA_NOI)[0][0])}, "not in the chosen province"),
        ({"ward_code": ""}, "Choose a ward"),
        ({"ward_code": "abc"}, ""),
        ({"province_code": "999"}, "province"),
        ({"youth_member_count": "13"}, "cannot be more than all members"),
        ({"member_count": "-1"}, "negative"),
        ({"member_count": "mười"}, "whole number"),
        ({"founded_on": "2021-02-30"}, "real date"),
        ({"founded_on": "26/03/2021"}, "real date"),
        ({"founded_on": "2030-01-01"}, "future"),
        ({"name": "  "}, "name"),
        ({"email": "not-an-email"}, "valid email"),
        ({"phone": "call me"}, "phone"),
    ],
)
def test_bad_registration_shows_errors_and_creates_nothing(client, make, outbox, changes, message):
    user = make.user()
    make.staff()
    make.commit()
    sign_in(client, user)
    client.get("/lang/en")

    response = client.post("/workspace/register", data=form_data(**changes))

    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in page
    assert message in page
    assert cooperative_count() == 0
    assert user.role == Role.CUSTOMER
    assert outbox == []


def test_registration_code_must_be_unique(client, make):
    make.cooperative(registration_code="2400123456")
    user = make.user()
    make.commit()
    sign_in(client, user)
    client.get("/lang/en")
    response = client.post("/workspace/register", data=form_data())
    assert "already uses this registration code" in response.get_data(as_text=True)
    assert cooperative_count() == 1


def test_form_lists_the_wards_of_the_chosen_province(client, make):
    user = make.user()
    make.commit()
    sign_in(client, user)
    page = client.post("/workspace/register", data=form_data(name="")).get_data(as_text=True)
    assert re.search(rf'<option (selected value="{LUC_NGAN}"|value="{LUC_NGAN}" selected)', page)
    assert 'data-wards-url="/api/v1/provinces/{code}/wards"' in page
    assert "js/workspace.js" in page


def test_registration_needs_a_signed_in_person(client):
    response = client.get("/workspace/register")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]
    assert client.post("/workspace/register", data=form_data()).status_code == 302
    assert cooperative_count() == 0


def test_registration_needs_the_csrf_token(csrf_app, make):
    client = csrf_app.test_client()
    user = make.user()
    make.commit()
    sign_in(client, user)
    assert client.post("/workspace/register", data=form_data()).status_code == 400
    assert cooperative_count() == 0
