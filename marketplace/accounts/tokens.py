"""Signed, expiring tokens for links sent by email (itsdangerous, keyed by SECRET_KEY).

Each purpose has its own salt, so a token made for one purpose never passes for another.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def make_token(data: dict[str, Any], salt: str) -> str:
    return _serializer(salt).dumps(data)


def read_token(token: str, salt: str, max_age: int) -> dict[str, Any] | None:
    """The data signed into `token`; None when tampered with, malformed or older than max_age seconds."""
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except BadSignature:  # SignatureExpired is a BadSignature too
        return None
    return data if isinstance(data, dict) else None
