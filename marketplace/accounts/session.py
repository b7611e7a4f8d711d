"""Flask-Login wiring: how a session cookie becomes a User.

The session and the remember-me cookie hold `User.get_id()`, "<id>:<session token>". A cookie
signs someone in only while its token is the user's current one and the user is active, so a
new token (User.end_sessions: sign-out, a password changed or reset, an admin deactivating
the account, "sign out everywhere") ends every session and remember-me cookie made before it,
copies included.
"""

from __future__ import annotations

import hmac

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import login_user

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
    """The active user whose current session token the cookie carries; None otherwise (an
    old token, an id alone as cookies held before tokens existed, anything malformed)."""
    number, _, token = str(user_id).partition(":")
    if not (number.isascii() and number.isdigit() and len(number) <= 18 and token):
        return None
    user = db.session.get(User, int(number))
    if user is None or not user.active or not hmac.compare_digest(user.session_token.encode(), token.encode()):
        return None
    return user


def stay_signed_in(user: User) -> None:
    """After this browser ended the user's other sessions (a password changed here), it stays
    signed in: its session, and its remember-me cookie if it had one, carry the new token."""
    remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
    login_user(user, remember=remembered)
