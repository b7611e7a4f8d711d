from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from marketplace.core.throttle import ThrottleCounter
from marketplace.extensions import db
from tests.accounts.conftest import sign_in, use_english
from tests.factories import PASSWORD


def failures() -> int:
    """Failed sign-ins counted against emails."""
    counted = select(func.coalesce(func.sum(ThrottleCounter.count), 0)).where(ThrottleCounter.action == "login")
    return db.session.scalar(counted)


def minutes_pass(minutes: int) -> None:
    """Every counting window started `minutes` earlier."""
    db.session.execute(
        sa.update(ThrottleCounter).values(window_start=ThrottleCounter.window_start - timedelta(minutes=minutes))
    )
    db.session.commit()


@pytest.fixture
def lan(make):
    user = make.user(email="lan@example.vn", full_name="Trần Thị Lan")
    make.commit()
    return user


def test_login_page(client):
    response = client.get("/account/login?next=/cooperatives")
    assert response.status_code == 200
    assert 'value="/cooperatives"' in response.get_data(as_text=True)


def test_login_and_logout(client, lan):
    response = sign_in(client, "LAN@example.vn ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "Trần Thị Lan" in page
    assert "/account/logout" in page

    response = client.post("/account/logout")
    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 302


def test_logout_is_post_only(client, lan):
    sign_in(client, lan.email)
    assert client.get("/account/logout").status_code == 405
    assert client.get("/account/profile").status_code == 200


def test_remember_me_sets_the_remember_cookie(client, lan):
    response = sign_in(client, lan.email, remember="y")
    assert "remember_token=" in " ".join(response.headers.getlist("Set-Cookie"))


def test_the_remember_cookie_is_lax_http_only_and_lasts_30_days(client, lan):
    response = sign_in(client, lan.email, remember="y")
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token="))
    attributes = {part.strip().split("=")[0].lower(): part.strip() for part in cookie.split(";")}
    assert attributes["samesite"] == "SameSite=Lax"
    assert "httponly" in attributes
    expires = parsedate_to_datetime(attributes["expires"].split("=", 1)[1])
    assert timedelta(days=29) < expires - datetime.now(timezone.utc) <= timedelta(days=30)


def test_without_remember_me_no_remember_cookie(client, lan):
    response = sign_in(client, lan.email)
    assert "remember_token=" not in " ".join(response.headers.getlist("Set-Cookie"))


def test_wrong_password_and_unknown_email_get_the_same_answer(client, lan):
    use_english(client)
    wrong = sign_in(client, lan.email, "not-the-password")
    unknown = sign_in(client, "nobody@example.vn", "not-the-password")
    for response in (wrong, unknown):
        assert response.status_code == 200
        assert "Email or password is incorrect." in response.get_data(as_text=True)
    assert failures() == 2
    assert client.get("/account/profile").status_code == 302


def test_inactive_user_cannot_sign_in(client, make):
    user = make.user(active=False)
    make.commit()
    use_english(client)
    response = sign_in(client, user.email)
    assert response.status_code == 200
    assert "This account has been deactivated." in response.get_data(as_text=True)
    assert client.get("/account/profile").status_code == 302


def test_sixth_attempt_is_refused_even_with_the_right_password(client, lan):
    use_english(client)
    for _ in range(5):
        assert sign_in(client, lan.email, "wrong-password!").status_code == 200
    response = sign_in(client, lan.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)
    assert client.get("/account/profile").status_code == 302
    # Attempts during the lock-out are not counted, so they do not extend it.
    assert failures() == 5


def test_lock_out_ends_when_the_window_has_passed(client, lan):
    for _ in range(5):
        sign_in(client, lan.email, "wrong-password!")
    assert sign_in(client, lan.email).status_code == 429
    minutes_pass(16)
    response = sign_in(client, lan.email)
    assert response.status_code == 302
    assert client.get("/account/profile").status_code == 200


def test_success_clears_the_failures_for_that_email(client, lan):
    for _ in range(4):
        sign_in(client, lan.email, "wrong-password!")
    assert sign_in(client, lan.email).status_code == 302
    assert failures() == 0


def test_lock_out_is_per_email(client, lan, make):
    other = make.user()
    make.commit()
    for _ in range(5):
        sign_in(client, lan.email, "wrong-password!")
    assert sign_in(client, other.email).status_code == 302


def test_settings_change_the_limits(app, client, lan):
    app.config.update(LOGIN_MAX_ATTEMPTS=2, LOGIN_LOCKOUT_MINUTES=1)
    sign_in(client, lan.email, "wrong-password!")
    sign_in(client, lan.email, "wrong-password!")
    assert sign_in(client, lan.email).status_code == 429
    minutes_pass(2)
    assert sign_in(client, lan.email).status_code == 302


def test_spraying_many_emails_from_one_address_is_stopped(app, client, lan):
    app.config["LOGIN_MAX_ATTEMPTS_PER_IP"] = 8
    for n in range(8):
        sign_in(client, f"guess{n}@example.vn", "wrong-password!")
    assert sign_in(client, lan.email).status_code == 429
    # Another address is not affected.
    other = client.application.test_client()
    response = other.post(
        "/account/login", data={"email": lan.email, "password": PASSWORD}, environ_base={"REMOTE_ADDR": "10.0.0.9"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    "target",
    ["//evil.com", "https://evil.com", "/\\evil.com", "http://evil.com/account", "javascript:alert(1)", " //evil.com"],
)
def test_offsite_next_goes_home(client, lan, target):
    response = sign_in(client, lan.email, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_same_site_next_is_followed(client, lan):
    response = sign_in(client, lan.email, next="/account/profile")
    assert response.headers["Location"] == "/account/profile"


def test_protected_page_sends_to_login_and_back(client, lan):
    response = client.get("/account/profile")
    assert response.status_code == 302
    assert "/account/login?next=" in response.headers["Location"]
    response = sign_in(client, lan.email, next="/account/profile")
    assert response.headers["Location"] == "/account/profile"


def test_signed_in_user_visiting_login_is_sent_on(client, lan):
    sign_in(client, lan.email)
    assert client.get("/account/login").status_code == 302


def test_empty_form_is_refused_without_recording_anything(client):
    use_english(client)
    response = client.post("/account/login", data={"email": "", "password": ""})
    assert response.status_code == 200
    assert "This field is required." in response.get_data(as_text=True)
    assert failures() == 0


def test_header_links_depend_on_the_role(client, make):
    cooperative = make.cooperative()
    users = {
        "customer": make.user(),
        "manager": make.manager(cooperative),
        "staff": make.staff(),
        "admin": make.admin(),
    }
    make.commit()
    expected = {
        "customer": set(),
        "manager": {"/workspace/"},
        "staff": {"/agency/"},
        "admin": {"/workspace/", "/agency/", "/admin/users"},
    }
    anonymous = client.get("/").get_data(as_text=True)
    assert "/account/login" in anonymous and "/account/register" in anonymous
    for role, user in users.items():
        sign_in(client, user.email)
        page = client.get("/").get_data(as_text=True)
        assert "/account/profile" in page and "/account/logout" in page and "/account/login" not in page
        for link in ("/workspace/", "/agency/", "/admin/users"):
            assert (f'href="{link}"' in page) == (link in expected[role]), (role, link)
        client.post("/account/logout")
