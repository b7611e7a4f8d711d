"""Revocable sessions: the session and remember-me cookies carry the user's session token, and
signing out, a password changed or reset, an admin's deactivation and "sign out everywhere"
give the user a new one, so every cookie made before (copies included) signs nobody in."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa

from marketplace import create_app
from marketplace.accounts import api_tokens, services
from marketplace.accounts.models import ApiToken, User
from marketplace.core.migrations import upgrade_database
from marketplace.extensions import db
from tests import factories
from tests.accounts.conftest import sign_in, sign_in_as, use_english
from tests.conftest import make_app
from tests.factories import PASSWORD

NEW_PASSWORD = "mot-mat-khau-moi-123"
REPORT = "/api/v1/reports/promotion?from=2024-11-01&to=2025-12-31"


@pytest.fixture
def lan(make):
    user = make.staff(email="lan@example.vn", full_name="Trần Thị Lan")
    make.commit()
    return user


def browser(app, email: str | None = None, remember: bool = False):
    """A new test client, in English, signed in with the login form when `email` is given."""
    client = app.test_client()
    use_english(client)
    if email:
        response = sign_in(client, email, **({"remember": "y"} if remember else {}))
        assert response.status_code == 302
    return client


def copy_of(app, source, names=("session", "remember_token")):
    """Another browser holding copies of `source`'s cookies (someone who copied them)."""
    thief = app.test_client()
    for name in names:
        cookie = source.get_cookie(name)
        if cookie is not None:
            thief.set_cookie(name, cookie.value)
    return thief


def signed_in(client) -> bool:
    response = client.get("/account/profile")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def test_a_copied_session_cookie_signs_nobody_in_after_sign_out(app, lan):
    lan_browser = browser(app, lan.email)
    thief = copy_of(app, lan_browser, names=("session",))
    assert signed_in(thief)  # the copy works while the session lasts

    assert lan_browser.post("/account/logout").status_code == 302

    assert not signed_in(lan_browser)
    assert not signed_in(thief)
    assert not signed_in(copy_of(app, thief))


def test_a_copied_remember_cookie_signs_nobody_in_after_sign_out(app, lan):
    lan_browser = browser(app, lan.email, remember=True)
    assert lan_browser.get_cookie("remember_token") is not None
    cookie_only = copy_of(app, lan_browser, names=("remember_token",))
    assert signed_in(cookie_only)  # the remember-me cookie alone signs in

    lan_browser.post("/account/logout")

    assert not signed_in(copy_of(app, lan_browser, names=("remember_token",)))
    assert not signed_in(copy_of(app, cookie_only, names=("remember_token",)))
    assert not signed_in(cookie_only)  # nor the session it made


def test_a_password_changed_in_one_browser_signs_the_others_out(app, lan):
    laptop = browser(app, lan.email, remember=True)
    phone = browser(app, lan.email, remember=True)
    stolen_cookie = copy_of(app, laptop, names=("remember_token",))

    response = phone.post(
        "/account/password", data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )

    assert response.status_code == 302
    assert not signed_in(laptop)
    assert not signed_in(stolen_cookie)
    # The browser that changed it stays signed in, and its new remember-me cookie works.
    assert signed_in(phone)
    assert signed_in(copy_of(app, phone, names=("remember_token",)))


def test_a_password_reset_signs_every_browser_out(app, lan):
    laptop = browser(app, lan.email, remember=True)
    stolen = copy_of(app, laptop)
    token = services.make_reset_token(lan)

    response = browser(app).post(f"/account/reset/{token}", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})

    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert not signed_in(laptop)
    assert not signed_in(stolen)
    assert not signed_in(copy_of(app, laptop, names=("remember_token",)))


def test_an_admin_deactivating_a_user_ends_their_sessions_and_revokes_their_api_tokens(app, make, lan):
    admin = make.admin(email="admin@example.vn")
    make.commit()
    _, plaintext = api_tokens.create_token(lan)
    db.session.commit()
    lan_browser = browser(app, lan.email, remember=True)
    stolen = copy_of(app, lan_browser)
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {plaintext}"}
    assert api.get(REPORT, headers=bearer).status_code == 200
    admin_browser = browser(app)
    sign_in_as(admin_browser, admin)

    def save_lan(**fields):
        data = {"full_name": lan.full_name, "role": "agency_staff", "agency": str(lan.agency_id), **fields}
        assert admin_browser.post(f"/admin/users/{lan.id}/edit", data=data).status_code == 302

    save_lan()  # deactivated: "active" not ticked
    assert not signed_in(lan_browser)
    assert not signed_in(stolen)
    assert api.get(REPORT, headers=bearer).status_code == 401

    save_lan(active="y")  # turned on again: old cookies and tokens stay dead, a new sign-in works
    assert not signed_in(lan_browser)
    assert not signed_in(copy_of(app, stolen, names=("remember_token",)))
    assert api.get(REPORT, headers=bearer).status_code == 401
    assert db.session.scalar(sa.select(ApiToken.revoked_at)) is not None
    assert signed_in(browser(app, lan.email))


def test_an_admin_saving_an_active_user_signs_nobody_out(app, make, lan):
    admin = make.admin(email="admin@example.vn")
    make.commit()
    lan_browser = browser(app, lan.email)
    admin_browser = browser(app)
    sign_in_as(admin_browser, admin)
    data = {"full_name": "Trần Thị Lan", "role": "agency_staff", "agency": str(lan.agency_id), "active": "y"}
    assert admin_browser.post(f"/admin/users/{lan.id}/edit", data=data).status_code == 302
    assert signed_in(lan_browser)


def test_sign_out_everywhere_ends_every_session_this_one_included(app, lan):
    laptop = browser(app, lan.email, remember=True)
    phone = browser(app, lan.email)
    stolen = copy_of(app, laptop, names=("remember_token",))
    page = phone.get("/account/profile").get_data(as_text=True)
    assert 'action="/account/sign-out-everywhere"' in page

    response = phone.post("/account/sign-out-everywhere", follow_redirects=True)

    assert response.request.path == "/account/login"
    assert "You have been signed out on every device and browser, this one included." in response.get_data(as_text=True)
    assert not signed_in(phone)
    assert not signed_in(laptop)
    assert not signed_in(stolen)
    assert signed_in(browser(app, lan.email))  # signing in again works


def test_sign_out_everywhere_needs_a_signed_in_post(app, lan):
    anonymous = browser(app)
    assert anonymous.get("/account/sign-out-everywhere").status_code == 405
    response = anonymous.post("/account/sign-out-everywhere")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_sign_out_everywhere_without_its_csrf_token_is_refused(csrf_app):
    user = factories.user(email="lan@example.vn")
    factories.commit()
    token_before = user.session_token
    client = csrf_app.test_client()
    sign_in_as(client, user)
    assert client.post("/account/sign-out-everywhere").status_code == 400
    assert signed_in(client)
    db.session.refresh(user)
    assert user.session_token == token_before


def test_a_session_from_before_session_tokens_signs_nobody_in(app, lan):
    old = browser(app)
    with old.session_transaction() as session:
        session["_user_id"] = str(lan.id)  # what cookies held before: the id alone
        session["_fresh"] = True
    assert not signed_in(old)


def test_every_user_has_a_token_of_their_own(make):
    first, second = make.user(), make.user()
    assert len(first.session_token) >= 32 and first.session_token != second.session_token
    assert first.get_id() == f"{first.id}:{first.session_token}"


# --- the remember-me cookie (development: tests/accounts/test_login.py) -------------------------


def remember_cookie(response) -> dict[str, str]:
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    return {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}


def test_in_production_the_remember_cookie_is_secure_and_remember_days_sets_its_lifetime(
    database_url, tmp_path, monkeypatch, make, lan
):
    monkeypatch.setenv("MARKETPLACE_PRODUCTION", "1")
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret-for-this-test")
    monkeypatch.setenv("REMEMBER_DAYS", "7")
    production = make_app(database_url, tmp_path)
    assert production.config["REMEMBER_COOKIE_SECURE"] is True
    client = production.test_client()
    use_english(client)
    try:
        attributes = remember_cookie(sign_in(client, lan.email, remember="y"))
    finally:
        with production.app_context():
            db.session.remove()
            db.engine.dispose()
    assert "secure" in attributes and "httponly" in attributes and attributes["samesite"] == "SameSite=Lax"
    expires = parsedate_to_datetime(attributes["expires"].split("=", 1)[1])
    assert timedelta(days=6) < expires - datetime.now(timezone.utc) <= timedelta(days=7)


# --- the migration ----------------------------------------------------------------------------------

BEFORE_SESSION_TOKENS = "e4f506172839"


def test_the_migration_gives_each_existing_user_a_token_of_their_own(tmp_path):
    """On a SQLite file of its own: the column is added, filled, then made NOT NULL (SQLite
    copies the table for that); users keep their rows and the table keeps its CHECKs."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'upgraded.sqlite3'}",
            "UPLOAD_FOLDER": str(tmp_path / "uploads"),
            "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        }
    )
    with app.app_context():
        try:
            upgrade_database(BEFORE_SESSION_TOKENS)
            for n in range(3):
                db.session.execute(
                    sa.text(
                        "INSERT INTO users (email, full_name, password_hash, active, role, created_at) "
                        "VALUES (:email, 'Người dùng', 'x', 1, 'customer', '2026-12-01 00:00:00')"
                    ),
                    {"email": f"user{n}@example.vn"},
                )
            db.session.commit()
            db.session.remove()

            upgrade_database()

            tokens = db.session.scalars(sa.select(User.session_token).order_by(User.id)).all()
            assert len(tokens) == 3 and len(set(tokens)) == 3 and all(len(t) == 32 for t in tokens)
            with pytest.raises(sa.exc.IntegrityError):  # the table still refuses upper-case emails
                db.session.execute(
                    sa.text(
                        "INSERT INTO users (email, full_name, password_hash, active, role, created_at, session_token) "
                        "VALUES ('Upper@example.vn', 'X', 'x', 1, 'customer', '2026-12-01 00:00:00', 't')"
                    )
                )
            db.session.rollback()
            with pytest.raises(sa.exc.IntegrityError):  # and a user without a token
                db.session.execute(
                    sa.text(
                        "INSERT INTO users (email, full_name, password_hash, active, role, created_at) "
                        "VALUES ('new@example.vn', 'X', 'x', 1, 'customer', '2026-12-01 00:00:00')"
                    )
                )
            db.session.rollback()
        finally:
            db.session.remove()
            db.engine.dispose()
