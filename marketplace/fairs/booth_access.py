"""Who may use a booth's app: the cooperative's managers, or a booth helper signed in with a code.

A booth helper (fairs.models.BoothHelper) is not a User: signing in with a code puts
"<helper id>:<session token>" in the Flask session under HELPER_SESSION_KEY and nothing else,
so every page but the booth app's sees an anonymous visitor. The helper stays signed in while
the code is valid (its fair's dates, give or take a day) and not revoked: revoking changes the
token and so ends the helper's sessions.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import NoReturn

from flask import abort, jsonify, make_response, session
from flask_login import current_user

from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Booth, BoothHelper

HELPER_SESSION_KEY = "booth_helper"


@dataclass(frozen=True)
class BoothActor:
    """Who is using a booth's app: a manager (`user`) or a helper (`helper`), never both."""

    booth: Booth
    user: object | None = None
    helper: BoothHelper | None = None

    @property
    def is_manager(self) -> bool:
        return self.user is not None

    @property
    def name(self) -> str:
        return self.helper.name if self.helper is not None else (self.user.full_name or self.user.email)


def signed_in_helper() -> BoothHelper | None:
    """The booth helper this browser signed in with a code, while the code is valid."""
    value = session.get(HELPER_SESSION_KEY)
    if not isinstance(value, str):
        return None
    number, _, token = value.partition(":")
    if not (number.isascii() and number.isdigit() and len(number) <= 18 and token):
        return None
    helper = db.session.get(BoothHelper, int(number))
    if helper is None or not hmac.compare_digest(helper.session_token.encode(), token.encode()):
        return None
    return helper if helper.is_valid(utcnow()) else None


def sign_in_helper(helper: BoothHelper) -> None:
    session[HELPER_SESSION_KEY] = f"{helper.id}:{helper.session_token}"


def sign_out_helper() -> None:
    session.pop(HELPER_SESSION_KEY, None)


def booth_actor(booth_id: int, *, json: bool = False) -> BoothActor:
    """The manager or helper using booth `booth_id`; otherwise 404 (no such booth), 401 (nobody
    signed in) or 403 (someone else's booth). With `json`, the refusals are JSON bodies."""
    booth = db.session.get(Booth, booth_id)
    if booth is None:
        _refuse(404, json)
    if current_user.is_authenticated and current_user.can_manage(booth.cooperative):
        return BoothActor(booth=booth, user=current_user._get_current_object())
    helper = signed_in_helper()
    if helper is not None and helper.booth_id == booth.id:
        return BoothActor(booth=booth, helper=helper)
    _refuse(403 if (current_user.is_authenticated or helper is not None) else 401, json)


REFUSAL_CODES = {401: "sign_in", 403: "forbidden", 404: "not_found"}


def _refuse(status: int, json: bool) -> NoReturn:
    if json:  # the app's fetch() tells "sign in again" from "not yours" by the code
        abort(make_response(jsonify(error=REFUSAL_CODES[status]), status))
    abort(status)
