"""Flask-Login wiring: how a session cookie becomes a User."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import User
from marketplace.extensions import db, login_manager


def init_app(app) -> None:
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to open this page.")
    login_manager.login_message_category = "warning"
    # "basic", not "strong": phones change IP address often, and "strong" would sign
    # people out each time. A session whose fingerprint changes just stops being fresh.
    login_manager.session_protection = "basic"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    try:
        return db.session.get(User, int(user_id))
    except (TypeError, ValueError):
        return None
