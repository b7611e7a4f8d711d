"""Input checked before any view (or the database) sees it.

No real text holds a NUL character or half of a UTF-16 surrogate pair: PostgreSQL refuses
a NUL in any string (SQLite stores it), and neither engine's driver can encode a lone
surrogate, so either was a 500 somewhere deep in a query or a save. Every request is
read here first: its path, query arguments, form fields, uploaded file names, headers
and JSON body (keys and values, however nested). One bad character is a 400 naming
where it was: JSON `{"error", "details": {field: reason}}` on the API (and for a JSON
body anywhere), the usual error page otherwise.

A JSON body is also bounded: MAX_JSON_BYTES (a 413 above it) and MAX_JSON_DEPTH levels of
arrays and objects (a body of 50,000 `[` was a RecursionError while decoding).

Numbers a person or a program sends are checked against their column by the code that
reads them; `refuse_out_of_range_numbers` is the net under it: an integer parameter no
database column can hold (beyond 64 bits) stops a query with a 400, on both engines, and
a value PostgreSQL finds out of range for its column (DataError) is a 400 too, never a 500.
"""

from __future__ import annotations

import json
import logging
import re
from collections import deque

import sqlalchemy as sa
from flask import current_app, has_request_context, render_template, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from marketplace.core.errors import api_error, wants_json

logger = logging.getLogger(__name__)

# A NUL, or a surrogate code point: paired ones ("\ud83d\ude00") are decoded into one
# character by every decoder, so any left in a string is unpaired.
BAD_CHARACTER = re.compile("[\x00\ud800-\udfff]")
INT64 = 2**63
INT32 = 2**31
DEFAULT_MAX_JSON_BYTES = 1024 * 1024
DEFAULT_MAX_JSON_DEPTH = 32


class BadInput(Exception):
    """Something in the request no view should see: `field` says where."""

    def __init__(self, field: str, reason: str, status: int = 400):
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.status = status


class NumberOutOfRange(BadRequest):
    """An integer that no database column holds reached a query."""

    description = "A number in the request is out of range."


def bad_character(text: str) -> str | None:
    """The reason `text` is refused, or None. English: the API gives its reasons in English,
    and pages translate it when they show it."""
    found = BAD_CHARACTER.search(text)
    if found is None:
        return None
    return "contains a NUL character" if found.group() == "\x00" else "contains an unpaired surrogate (invalid text)"


# --- the request ------------------------------------------------------------------------------


def _check_text(field: str, text: str) -> None:
    reason = bad_character(text)
    if reason:
        raise BadInput(field, reason)


def _check_request() -> None:
    _check_text("path", request.path)
    for name, value in request.headers.items():
        _check_text(f"header {name}", name)
        _check_text(f"header {name}", value)
    for key, value in request.args.items(multi=True):
        _check_text(key, key)
        _check_text(key, value)
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        for key, value in request.form.items(multi=True):
            _check_text(key, key)
            _check_text(key, value)
        for key, upload in request.files.items(multi=True):
            _check_text(key, key)
            _check_text(key, upload.filename or "")
    elif request.is_json or request.mimetype.endswith("+json"):
        _check_json_body()


def _check_json_body() -> None:
    limit = current_app.config.get("MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES)
    if request.content_length is not None and request.content_length > limit:
        raise BadInput("body", f"larger than {limit} bytes", 413)
    data = request.get_data(cache=True)  # kept for the view (and the webhook's signature)
    if len(data) > limit:
        raise BadInput("body", f"larger than {limit} bytes", 413)
    if not data:
        return
    try:
        body = json.loads(data)
    except RecursionError:
        raise BadInput("body", "nested too deeply") from None
    except ValueError:  # not JSON (or not UTF-8): the view says so in its own terms
        return
    check_json(body, current_app.config.get("MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH))


def check_json(body, max_depth: int = DEFAULT_MAX_JSON_DEPTH) -> None:
    """Every key and string of a decoded JSON value, and its depth; BadInput naming the first
    bad place as the API names fields (`contact.name`, `items[0].product_id`). Not recursive, so
    no depth of nesting can exhaust the stack here."""
    queue = deque([(body, "", 0)])  # breadth first: the shallowest, then the first, bad place is named
    while queue:
        value, path, depth = queue.popleft()
        if isinstance(value, str):
            _check_text(path or "body", value)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            if isinstance(value, int) and not -INT64 <= value < INT64:
                raise BadInput(path or "body", "number out of range")
        elif isinstance(value, dict | list):
            if depth >= max_depth:
                raise BadInput(path or "body", f"nested more than {max_depth} levels deep")
            if isinstance(value, dict):
                for key, item in value.items():
                    where = f"{path}.{key}" if path else key
                    _check_text(where if not BAD_CHARACTER.search(key) else (path or "body"), key)
                    queue.append((item, where, depth + 1))
            else:
                queue.extend((item, f"{path}[{n}]", depth + 1) for n, item in enumerate(value))


def _answer(error: BadInput):
    """JSON on the API and for a JSON body; the error page (413 or 400) for a person."""
    logger.info("Refused %s %s: %s %s", request.method, request.path, ascii(error.field), error.reason)
    if wants_json() or request.is_json:
        message = "Request too large" if error.status == 413 else "Invalid input"
        return api_error(error.status, message, {_safe(error.field): error.reason})
    # Raised rather than rendered here, so that a blueprint's own error handler still answers
    # (the search box's suggestions are JSON even when refused).
    if error.status == 413:
        raise RequestEntityTooLarge()
    refused = BadRequest()
    refused.detail = _(
        "%(field)s holds a character no text may hold (a NUL or a broken one). Please check it and try again.",
        field=_safe(error.field),
    )
    raise refused


def _safe(field: str) -> str:
    """The field's name as it can be shown (and sent as JSON): without the bad characters."""
    return BAD_CHARACTER.sub("\ufffd", field)[:200]


def guard_request():
    try:
        _check_request()
    except BadInput as error:
        return _answer(error)
    return None


# --- the database ------------------------------------------------------------------------------


def _too_big(value, limit: int = INT64) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and not -limit <= value < limit


def _values(parameters):
    """The values of a statement's parameters, however the driver has them: a dict or a tuple,
    or a list of either (executemany), nested no deeper than that."""
    rows = parameters.values() if isinstance(parameters, dict) else parameters
    for value in rows:
        if isinstance(value, dict):
            yield from value.values()
        elif isinstance(value, list | tuple):
            yield from value
        else:
            yield value


def _integer_binds_out_of_range(context) -> bool:
    """A value bound as INTEGER (a column's type, or an int literal's) beyond PostgreSQL's int4,
    as PostgreSQL reads it (`= %(id)s::INTEGER`: "integer out of range"). SQLite stores any
    64-bit number: checked here, both engines refuse the same values."""
    compiled = getattr(context, "compiled", None)
    if compiled is None:
        return False
    binds = compiled.binds
    for parameters in context.compiled_parameters or ():
        for key, value in parameters.items():
            bind = binds.get(key)
            if bind is None:  # IN (...): id_1_1, id_1_2 of id_1
                bind = binds.get(key.rpartition("_")[0])
            if bind is None or not isinstance(bind.type, sa.Integer) or isinstance(bind.type, sa.BigInteger):
                continue
            values = value if isinstance(value, list | tuple) else (value,)  # IN (...) expands a list
            if any(_too_big(v, INT32) for v in values):
                return True
    return False


def refuse_out_of_range_numbers(_conn, _cursor, _statement, parameters, context, _executemany) -> None:
    """Before a query runs in a request: an integer no column can hold (beyond 64 bits: SQLite's
    driver raised OverflowError) or bound as INTEGER beyond int4 (PostgreSQL's DataError) stops
    it with a 400, the same on both engines."""
    if not has_request_context() or not parameters:
        return
    if any(_too_big(value) for value in _values(parameters)) or _integer_binds_out_of_range(context):
        raise NumberOutOfRange()


def answer_data_error(error):
    """PostgreSQL refused a value for its column (an int4 out of range, a string it cannot
    hold): the request's input was wrong, not the server. Rolled back; a 400."""
    from marketplace.extensions import db

    db.session.rollback()
    logger.warning("Database refused a value on %s %s: %s", request.method, request.path, error.orig)
    if wants_json():
        return api_error(400, "Invalid input", {"body": "a value is out of range"})
    return render_template("errors/400.html"), 400


def init_app(app) -> None:
    from sqlalchemy import event

    app.config.setdefault("MAX_JSON_BYTES", DEFAULT_MAX_JSON_BYTES)
    app.config.setdefault("MAX_JSON_DEPTH", DEFAULT_MAX_JSON_DEPTH)
    app.before_request(guard_request)
    app.register_error_handler(sa.exc.DataError, answer_data_error)
    if not event.contains(sa.engine.Engine, "before_cursor_execute", refuse_out_of_range_numbers):
        event.listen(sa.engine.Engine, "before_cursor_execute", refuse_out_of_range_numbers)
