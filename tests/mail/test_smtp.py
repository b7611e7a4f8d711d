"""Queued emails over SMTP: one connection per batch, a dropped idle connection reopened,
and a refused recipient failing only its own email."""

from __future__ import annotations

import smtplib

import pytest

from marketplace.core.mail import send_email
from marketplace.extensions import db
from marketplace.mail import queue
from marketplace.orders import notifications
from tests import factories as f


class FakeSMTP:
    """Stands in for smtplib.SMTP: records connections and messages; scripted failures."""

    connections: list[FakeSMTP] = []
    drop_before_send: set[int] = set()  # the Nth message overall finds the connection closed (once)
    refuse: set[str] = set()  # recipients the server refuses
    sent: list[str] = []

    def __init__(self, host, port, timeout=None):
        self.host, self.port, self.closed, self.logins, self.tls = host, port, False, [], False
        FakeSMTP.connections.append(self)

    def starttls(self):
        self.tls = True

    def login(self, user, password):
        self.logins.append(user)

    def send_message(self, message):
        if self.closed:
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        attempt = len(FakeSMTP.sent) + 1
        if attempt in FakeSMTP.drop_before_send:
            FakeSMTP.drop_before_send.discard(attempt)
            self.closed = True
            raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
        if message["To"] in FakeSMTP.refuse:
            raise smtplib.SMTPRecipientsRefused({message["To"]: (550, b"No such user")})
        FakeSMTP.sent.append(message["To"])

    def quit(self):
        self.closed = True

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.quit()


@pytest.fixture
def smtp(app, monkeypatch):
    FakeSMTP.connections, FakeSMTP.sent, FakeSMTP.drop_before_send, FakeSMTP.refuse = [], [], set(), set()
    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    app.config.update(
        MAIL_BACKEND="smtp",
        MAIL_SERVER="mail.example.vn",
        MAIL_PORT=587,
        MAIL_USE_TLS=True,
        MAIL_USERNAME="no-reply",
        MAIL_PASSWORD="secret",
    )
    return FakeSMTP


def orders_with_emails(count: int) -> None:
    """`count` orders from one cooperative: 2 emails each (confirmation, cooperative notice)."""
    cooperative = f.cooperative("HTX Mật ong", slug="htx-mat-ong", email="matong@example.vn")
    product = f.product(cooperative, stock=100)
    for n in range(count):
        notifications.order_placed(f.order([(product, 1)], email=f"khach{n}@example.vn"))
    db.session.commit()
    queue.take_committed()


def test_a_batch_of_queued_emails_goes_through_one_connection(app, smtp):
    orders_with_emails(5)

    outcome = queue.deliver_due()

    assert outcome.sent == 10 and len(smtp.sent) == 10
    assert len(smtp.connections) == 1
    connection = smtp.connections[0]
    assert connection.tls and connection.logins == ["no-reply"] and connection.closed  # closed after the batch


def test_a_connection_the_server_dropped_is_reopened_and_nothing_is_lost(app, smtp):
    orders_with_emails(3)
    smtp.drop_before_send = {3}

    outcome = queue.deliver_due()

    assert outcome.sent == 6 and outcome.retrying == 0 and len(smtp.sent) == 6
    assert len(smtp.connections) == 2


def test_a_refused_recipient_fails_its_own_email_only(app, smtp):
    orders_with_emails(3)
    smtp.refuse = {"khach1@example.vn"}

    outcome = queue.deliver_due()

    assert (outcome.sent, outcome.retrying) == (5, 1)
    assert "khach1@example.vn" not in smtp.sent and len(smtp.connections) == 1


def test_an_email_outside_a_batch_has_its_own_connection(app, smtp):
    with app.test_request_context():
        send_email("lan@example.vn", "Xin chào", "password_reset", user=f.user(), reset_url="http://x", minutes=60)

    assert smtp.sent == ["lan@example.vn"] and len(smtp.connections) == 1 and smtp.connections[0].closed


def test_a_mail_server_that_is_down_never_undoes_or_breaks_an_agency_decision(app, client, smtp, monkeypatch):
    from marketplace.cooperatives.models import CooperativeStatus
    from marketplace.mail.models import QueuedEmail
    from tests.cooperatives.helpers import sign_in

    def down(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr(smtplib, "SMTP", down)
    cooperative = f.cooperative("HTX Gà đồi", slug="htx-ga-doi", status=CooperativeStatus.PENDING)
    f.manager(cooperative, email="quanly@example.vn")
    staff = f.staff()
    f.commit()
    sign_in(client, staff)

    response = client.post("/agency/cooperatives/htx-ga-doi/approve", data={"note": ""})

    assert response.status_code == 302  # the approval stands and the page says so
    db.session.expire_all()
    assert cooperative.status == CooperativeStatus.APPROVED
    job = db.session.query(QueuedEmail).filter_by(kind="cooperative_status").one()
    assert job.sent_at is None and job.attempts == 1 and "mail server down" in job.last_error  # to be retried
