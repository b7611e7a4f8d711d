"""Outgoing email: console (default, demo), memory (tests) or SMTP (production).

Each email is a template pair `email/<name>.txt` + `email/<name>.html`, plus a subject.
Callers send only after their transaction has committed.
"""

from __future__ import annotations

import logging
import smtplib
from contextlib import contextmanager
from contextvars import ContextVar
from email.message import EmailMessage

from flask import current_app, render_template

logger = logging.getLogger(__name__)


def build_message(to: str, subject: str, template: str, **context) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(render_template(f"email/{template}.txt", **context))
    message.add_alternative(render_template(f"email/{template}.html", **context), subtype="html")
    return message


def outbox() -> list[EmailMessage]:
    """Messages sent with the memory backend (tests read them here)."""
    return current_app.extensions.setdefault("mail_outbox", [])


def _open_smtp() -> smtplib.SMTP:
    config = current_app.config
    smtp = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30)
    try:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    except BaseException:
        smtp.close()
        raise
    return smtp


class _SharedSMTP:
    """One SMTP connection for a run of emails, opened on the first one (never, if the run
    sends none) and reopened once if the server dropped it while idle."""

    def __init__(self):
        self.smtp: smtplib.SMTP | None = None
        self.opened = 0  # connections made, for the logs and tests

    def send(self, message: EmailMessage) -> None:
        if self.smtp is None:
            self.smtp = _open_smtp()
            self.opened += 1
            self.smtp.send_message(message)
            return
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPServerDisconnected:  # an idle connection the server closed: nothing was sent
            self._drop()
            self.smtp = _open_smtp()
            self.opened += 1
            self.smtp.send_message(message)

    def failed(self, error: BaseException) -> None:
        # After a refused recipient or message the server has reset the transaction and the
        # connection serves the next email; after anything else its state is unknown.
        if not isinstance(error, (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)):
            self._drop()

    def _drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


_shared: ContextVar[_SharedSMTP | None] = ContextVar("shared_smtp", default=None)


@contextmanager
def one_connection():
    """Within it, SMTP emails share one connection: a batch of queued emails costs one
    connection, TLS handshake and login rather than one each. Other backends ignore it."""
    shared = _SharedSMTP()
    token = _shared.set(shared)
    try:
        yield shared
    finally:
        _shared.reset(token)
        shared._drop()


def send_email(to: str, subject: str, template: str, **context) -> None:
    message = build_message(to, subject, template, **context)
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        outbox().append(message)
    elif backend == "smtp":
        shared = _shared.get()
        if shared is None:
            with _open_smtp() as smtp:
                smtp.send_message(message)
        else:
            try:
                shared.send(message)
            except BaseException as error:
                shared.failed(error)
                raise
    else:
        text = message.get_body(("plain",)).get_content()
        print(f"--- email to {to}: {subject}\n{text}\n--- end of email", flush=True)
    logger.info("Email %r sent to %s via %s", template, to, backend)
