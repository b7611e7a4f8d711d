"""The installable booth app: its page, web app manifest and service worker."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("booth_app", __name__)
