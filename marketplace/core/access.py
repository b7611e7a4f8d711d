"""Access checks for views: one decorator per kind of rule, so none is forgotten."""

from __future__ import annotations

from functools import wraps

from flask import abort, current_app
from flask_login import current_user, login_required


def roles_required(*roles: str):
    """Signed in with one of `roles` (admins pass every role check), else 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:  # login_required lets OPTIONS through
                return current_app.login_manager.unauthorized()
            if not (current_user.is_admin or current_user.role in roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
