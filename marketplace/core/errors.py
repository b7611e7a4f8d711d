"""Error pages: HTML for people, JSON for the API. Never a traceback."""

from __future__ import annotations

import logging

from flask import jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from marketplace.extensions import db

logger = logging.getLogger(__name__)


class Refused(ValueError):
    """A business rule refused an action. The message is shown to the person;
    `field` names the form field it belongs to, when there is one."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def wants_json() -> bool:
    return request.path.startswith("/api/")


def api_error(status: int, message: str, details: dict | None = None):
    response = jsonify({"error": message, "details": details or {}})
    response.status_code = status
    return response


def handle_http_error(error: HTTPException):
    if wants_json():
        return api_error(error.code or 500, error.description or error.name)
    template = f"errors/{error.code}.html" if error.code in {400, 403, 404, 413, 429} else "errors/generic.html"
    # A form posted from a page left open across sessions: say so, rather than "check what you entered".
    return (
        render_template(
            template,
            error=error,
            stale_form=isinstance(error, CSRFError),
            detail=getattr(error, "detail", None),  # what exactly was wrong, when known (core.input_guard)
        ),
        error.code,
    )


def handle_unexpected(error: Exception):
    db.session.rollback()
    logger.exception("Unhandled error on %s %s", request.method, request.path)
    return handle_http_error(InternalServerError())


def init_app(app) -> None:
    app.register_error_handler(HTTPException, handle_http_error)
    if not app.config.get("PROPAGATE_EXCEPTIONS"):
        app.register_error_handler(Exception, handle_unexpected)
