"""With CSRF protection on (as in production) a POST without its token is refused and changes nothing."""

import re

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.core.throttle import ThrottleCounter
from marketplace.extensions import db
from tests import factories


@pytest.fixture
def client(csrf_app):
    return csrf_app.test_client()


@pytest.fixture
def lan(csrf_app):
    user = factories.user(email="lan@example.vn", full_name="Trần Thị Lan")
    factories.commit()
    return user


def token_in(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def sign_in_directly(client, user):
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True


def test_login_without_token(client, lan):
    response = client.post("/account/login", data={"email": lan.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert client.get("/account/profile").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(ThrottleCounter)) == 0


def test_register_without_token(client):
    data = {
        "email": "moi@example.vn",
        "full_name": "Người mới",
        "password": "mat-khau-an-toan",
        "confirm": "mat-khau-an-toan",
    }
    assert client.post("/account/register", data=data).status_code == 400
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_profile_and_password_without_token(client, lan):
    sign_in_directly(client, lan)
    assert client.post("/account/profile", data={"full_name": "Tên khác"}).status_code == 400
    response = client.post(
        "/account/password",
        data={"current_password": factories.PASSWORD, "password": "mat-khau-moi-dai", "confirm": "mat-khau-moi-dai"},
    )
    assert response.status_code == 400
    db.session.refresh(lan)
    assert lan.full_name == "Trần Thị Lan" and lan.check_password(factories.PASSWORD)


def test_logout_without_token_keeps_the_session(client, lan):
    sign_in_directly(client, lan)
    assert client.post("/account/logout").status_code == 400
    assert client.get("/account/profile").status_code == 200


def test_admin_edit_without_token(client, lan):
    admin = factories.admin()
    factories.commit()
    sign_in_directly(client, admin)
    response = client.post(f"/admin/users/{lan.id}/edit", data={"full_name": "X", "role": "admin", "agency": "0"})
    assert response.status_code == 400
    db.session.refresh(lan)
    assert lan.role.value == "customer"


def test_forms_carry_a_token_that_works(client, lan):
    token = token_in(client.get("/account/login").get_data(as_text=True))
    response = client.post(
        "/account/login", data={"email": lan.email, "password": factories.PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    token = token_in(client.get("/").get_data(as_text=True))
    assert client.post("/account/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account/profile").status_code == 302
