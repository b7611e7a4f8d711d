"""Outgoing email: console (default, demo), memory (tests) or SMTP (production).

Each email is a template pair `email/<name>.txt` + `email/<name>.html`, plus a subject.
Callers send only after their transaction has committed.
"""
from __future__ import annotations

import logging
import smtplib
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


def send_email(to: str, subject: str, template: str, **context) -> None:
    message = build_message(to, subject, template, **context)
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "memory":
        outbox().append(message)
    elif backend == "smtp":
        config = current_app.config
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            if config["MAIL_USE_TLS"]:
                smtp.starttls()
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    else:
        text = message.get_body(("plain",)).get_content()
        print(f"--- email to {to}: {subject}\n{text}\n--- end of email", flush=True)
    logger.info("Email %r sent to %s via %s", template, to, backend)
