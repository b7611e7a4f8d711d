import re

import itsdangerous.timed
import pytest

from marketplace.accounts import services
from marketplace.extensions import db
from tests.accounts.conftest import sign_in, use_english

NEW = "mot-mat-khau-moi-123"


def link_in(message) -> str:
    text = message.get_body(("plain",)).get_content()
    return re.search(r"http://localhost(/account/reset/\S+)", text).group(1)


@pytest.fixture
def lan(make):
    user = make.user(email="lan@example.vn")
    make.commit()
    return user


def test_full_flow(client, lan, outbox):
    use_english(client)
    response = client.post("/account/reset", data={"email": "LAN@example.vn"}, follow_redirects=True)
    assert "If an account exists for" in response.get_data(as_text=True)
    assert len(outbox) == 1
    assert outbox[0]["To"] == "lan@example.vn"
    assert outbox[0].get_body(("html",)) is not None
    link = link_in(outbox[0])

    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW, "confirm": NEW})
    assert response.status_code == 302
    assert response.headers["Location"] == "/account/login"
    assert sign_in(client, lan.email, NEW).status_code == 302
    client.post("/account/logout")

    # The link worked once: the password it was made for is gone.
    response = client.post(
        link, data={"password": "yet-another-password", "confirm": "yet-another-password"}, follow_redirects=True
    )
    assert "invalid or has expired" in response.get_data(as_text=True)
    db.session.refresh(lan)
    assert lan.check_password(NEW)


def test_unknown_email_gets_the_same_answer_and_no_mail(client, outbox):
    use_english(client)
    response = client.post("/account/reset", data={"email": "nobody@example.vn"}, follow_redirects=True)
    assert "If an account exists for" in response.get_data(as_text=True)
    assert outbox == []


def test_inactive_user_gets_no_mail(client, make, outbox):
    user = make.user(active=False)
    make.commit()
    client.post("/account/reset", data={"email": user.email})
    assert outbox == []


def test_tampered_token_is_refused(client, lan):
    use_english(client)
    token = services.make_reset_token(lan)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    for bad in (tampered, "not-a-token", services.make_reset_token(lan) + "x"):
        response = client.post(f"/account/reset/{bad}", data={"password": NEW, "confirm": NEW}, follow_redirects=True)
        assert "invalid or has expired" in response.get_data(as_text=True)
    db.session.refresh(lan)
    assert not lan.check_password(NEW)


def test_token_for_another_purpose_is_refused(client, lan):
    from marketplace.accounts import tokens

    other = tokens.make_token({"user": lan.id, "pw": "x"}, "some-other-purpose")
    assert services.user_from_reset_token(other) is None


def test_expired_token_is_refused(client, lan, monkeypatch):
    use_english(client)
    token = services.make_reset_token(lan)
    now = itsdangerous.timed.time.time()

    class OneHourLater:
        @staticmethod
        def time():
            return now + 3601

    monkeypatch.setattr(itsdangerous.timed, "time", OneHourLater)
    response = client.post(f"/account/reset/{token}", data={"password": NEW, "confirm": NEW}, follow_redirects=True)
    assert "invalid or has expired" in response.get_data(as_text=True)
    db.session.refresh(lan)
    assert not lan.check_password(NEW)


def test_token_still_valid_within_the_hour(lan, monkeypatch):
    token = services.make_reset_token(lan)
    now = itsdangerous.timed.time.time()

    class FiftyNineMinutesLater:
        @staticmethod
        def time():
            return now + 59 * 60

    monkeypatch.setattr(itsdangerous.timed, "time", FiftyNineMinutesLater)
    assert services.user_from_reset_token(token) == lan


def test_bad_new_password_changes_nothing(client, lan):
    use_english(client)
    token = services.make_reset_token(lan)
    response = client.post(f"/account/reset/{token}", data={"password": "short", "confirm": "short"})
    assert response.status_code == 200
    assert "at least 10 characters" in response.get_data(as_text=True)
    db.session.refresh(lan)
    assert not lan.check_password("short")
    assert services.user_from_reset_token(token) == lan


def test_reset_clears_a_lock_out(client, lan):
    for _ in range(5):
        sign_in(client, lan.email, "wrong-password!")
    token = services.make_reset_token(lan)
    client.post(f"/account/reset/{token}", data={"password": NEW, "confirm": NEW})
    assert sign_in(client, lan.email, NEW).status_code == 302


def test_bad_email_is_a_form_error(client, outbox):
    use_english(client)
    response = client.post("/account/reset", data={"email": "nope"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.get_data(as_text=True)
    assert outbox == []


def test_reset_emails_to_one_address_are_limited_whoever_asks(client, app, lan, outbox):
    use_english(client)
    for _ in range(3):
        assert client.post("/account/reset", data={"email": "lan@example.vn"}).status_code == 302

    refused = client.post("/account/reset", data={"email": "Lan@Example.vn"})
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    use_english(elsewhere)
    also_refused = elsewhere.post("/account/reset", data={"email": "lan@example.vn"})

    assert refused.status_code == 429 and "Too many password-reset requests" in refused.get_data(as_text=True)
    assert also_refused.status_code == 429
    assert len(outbox) == 3


def test_the_limit_says_nothing_about_who_has_an_account(client, app, outbox):
    use_english(client)
    answers = [client.post("/account/reset", data={"email": "nobody@example.vn"}).status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429] and outbox == []


def test_one_client_asking_for_many_addresses_is_limited(client, app, make, outbox):
    app.config["PASSWORD_RESET_MAX_REQUESTS_PER_IP"] = 2
    users = [make.user(email=f"user{n}@example.vn") for n in range(3)]
    make.commit()

    answers = [client.post("/account/reset", data={"email": u.email}).status_code for u in users]

    assert answers == [302, 302, 429] and len(outbox) == 2


def test_a_mail_server_that_is_down_is_said_plainly(client, app, lan, monkeypatch, outbox):
    import smtplib

    def down(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    use_english(client)
    app.config["MAIL_BACKEND"] = "smtp"
    monkeypatch.setattr(smtplib, "SMTP", down)

    response = client.post("/account/reset", data={"email": "lan@example.vn"})

    assert response.status_code == 503
    assert "could not send the email just now" in response.get_data(as_text=True)


def test_a_request_that_could_not_be_sent_still_counts(client, app, lan, monkeypatch, outbox):
    import smtplib

    def down(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    app.config["PASSWORD_RESET_MAX_REQUESTS"] = 1
    app.config["MAIL_BACKEND"] = "smtp"
    monkeypatch.setattr(smtplib, "SMTP", down)
    assert client.post("/account/reset", data={"email": "lan@example.vn"}).status_code == 503

    app.config["MAIL_BACKEND"] = "memory"  # the mail server is back
    assert client.post("/account/reset", data={"email": "lan@example.vn"}).status_code == 429
    assert outbox == []
