"""`Idempotency-Key` on the API's POST /orders: a request sent again gets the first answer.

A client that lost the answer to an order (a timeout, a broken connection) sends the same
request again with the same key: it gets the first answer (same status and body, with
`Idempotent-Replayed: true`) for IDEMPOTENCY_KEY_HOURS, and nothing is placed again. The same
key with another body is refused (422); a second request while the first is still running
waits for it (see orders.idempotency). Without the header nothing changes.
"""

from __future__ import annotations

import json
from functools import wraps

from flask import current_app, make_response, request

from marketplace.core.errors import api_error
from marketplace.orders import idempotency

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"


def _request_body() -> bytes:
    """What the key must be sent again with: the JSON body in a canonical form (the same
    object however it is spaced or its keys ordered), or the body's bytes."""
    try:
        body = request.get_json(silent=True) if request.is_json else None
        if body is not None:
            return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    except (RecursionError, ValueError):  # the view refuses such a body itself
        pass
    return request.get_data()


def _replay(stored: idempotency.IdempotencyKey, request_hash: str):
    if stored.request_hash != request_hash:
        return api_error(
            422,
            "This Idempotency-Key was already used with another request body",
            {HEADER: "already used with another request body; send a new key for a new request"},
        )
    response = current_app.response_class(stored.response_body, status=stored.response_status)
    response.mimetype = "application/json"
    if stored.response_location:
        response.headers["Location"] = stored.response_location
    response.headers["Cache-Control"] = "no-store"
    response.headers[REPLAYED] = "true"
    return response


def idempotent(view):
    """The view's answer kept under the request's Idempotency-Key (when it is below 400), and
    given back for the same key and body instead of running the view again."""

    @wraps(view)
    def answer(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not idempotency.valid_key(key):
            return api_error(
                400,
                "Invalid Idempotency-Key",
                {HEADER: f"1 to {idempotency.MAX_KEY_LENGTH} printable ASCII characters, not only spaces"},
            )
        request_hash = idempotency.fingerprint(_request_body())
        try:
            held = idempotency.hold(request.endpoint, key, request_hash)
        except idempotency.KeyInUse:
            return api_error(409, "A request with this Idempotency-Key is still being processed; try again later")
        if held.answered:
            return _replay(held, request_hash)
        response = make_response(view(*args, **kwargs))
        if response.status_code < 400:
            location = response.headers.get("Location")
            idempotency.remember(held, response.status_code, response.get_data(as_text=True), location)
        return response

    return answer
