"""Signing in and posting forms in workspace tests."""

from __future__ import annotations

import re

from flask import current_app


def sign_in(client, user) -> None:
    """Open a session for `user` without the login form (Flask-Login's session keys)."""
    login_manager = current_app.login_manager
    with current_app.test_request_context(environ_base=dict(client.environ_base)):
        identifier = login_manager._session_identifier_generator()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_id"] = identifier


def csrf_token(client, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)
