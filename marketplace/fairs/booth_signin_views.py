"""Booth helpers: a manager gives a named helper a booth-only code; the helper signs in with it."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("booth_signin", __name__)
