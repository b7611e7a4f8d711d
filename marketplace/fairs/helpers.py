"""Booth helpers: a manager gives a named person a short code that signs them in to one booth's app.

The code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), shown grouped as
"K7MX-4QPA"; typing it in lower case, with or without the dash or spaces, is the same code. Only
its SHA-256 is stored: the manager sees the code once, when the helper is added. A code is valid
from a day before its fair starts to a day after it ends (the helper may sync the evening after),
until revoked; revoking also ends the helper's open sessions (booth_access checks the token).
Plain functions: they flush, the request commits.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.core import throttle
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Booth, BoothHelper, BoothStatus, FairStatus, OnSiteSale

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L
CODE_LENGTH = 8
NAME_MAX = 100
MAX_ACTIVE_HELPERS = 20  # per booth, not revoked and not yet expired
MARGIN = timedelta(days=1)  # valid from a day before the fair to a day after it


def normalise_code(code: str | None) -> str:
    """The code as typed, upper-case, without dashes and spaces ("k7mx-4qpa " → "K7MX4QPA")."""
    return "".join(ch for ch in (code or "").upper() if ch not in "- \t\u00a0")


def code_hash(code: str) -> str:
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def format_code(code: str) -> str:
    """Grouped for reading aloud and typing: "K7MX4QPA" → "K7MX-4QPA"."""
    code = normalise_code(code)
    return f"{code[:4]}-{code[4:]}"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def is_code_shaped(code: str) -> bool:
    normalised = normalise_code(code)
    return len(normalised) == CODE_LENGTH and all(ch in ALPHABET for ch in normalised)


def fair_is_over(booth: Booth, now: datetime) -> bool:
    return booth.fair.status == FairStatus.CLOSED or now >= booth.fair.ends_at


def can_add_helpers(booth: Booth, now: datetime | None = None) -> bool:
    return booth.status == BoothStatus.APPROVED and not fair_is_over(booth, now or utcnow())


def active_helpers(booth: Booth, now: datetime | None = None) -> int:
    now = now or utcnow()
    return db.session.scalar(
        sa.select(sa.func.count(BoothHelper.id)).where(
            BoothHelper.booth_id == booth.id, BoothHelper.revoked_at.is_(None), BoothHelper.valid_until > now
        )
    )


def create_helper(booth: Booth, name: str, by, now: datetime | None = None) -> tuple[BoothHelper, str]:
    """A new helper of `booth` named `name`, and their code grouped for showing (the only time it is
    known: only its hash is kept). Refused: no name or a too long one, a booth not approved, a fair
    that is over, or MAX_ACTIVE_HELPERS active helpers already."""
    now = now or utcnow()
    name = " ".join((name or "").split())
    if not name:
        raise Refused(_("Enter the helper's name."), field="name")
    if len(name) > NAME_MAX:
        raise Refused(_("The name is too long (at most %(most)d characters).", most=NAME_MAX), field="name")
    if booth.status != BoothStatus.APPROVED:
        raise Refused(_("Only an approved booth can have helpers."))
    if fair_is_over(booth, now):
        raise Refused(_("This fair is over: no new helpers."))
    if active_helpers(booth, now) >= MAX_ACTIVE_HELPERS:
        raise Refused(
            _("A booth has at most %(most)d active helpers: revoke one first.", most=MAX_ACTIVE_HELPERS), field="name"
        )
    fair = booth.fair
    while True:  # 31^8 ≈ 8.5e11 codes: a clash is all but impossible, but the hash is unique
        code = new_code()
        digest = code_hash(code)
        if db.session.scalar(sa.select(BoothHelper.id).where(BoothHelper.code_hash == digest)) is None:
            break
    helper = BoothHelper(
        booth=booth,
        name=name,
        code_hash=digest,
        session_token=secrets.token_hex(16),
        valid_from=fair.starts_at - MARGIN,
        valid_until=fair.ends_at + MARGIN,
        created_by=by,
        created_at=now,
    )
    db.session.add(helper)
    db.session.flush()
    return helper, format_code(code)


def revoke_helper(helper: BoothHelper, by, now: datetime | None = None) -> None:
    """The code no longer signs in, and the helper's open sessions end (a new session token).
    Revoking twice changes nothing more."""
    if helper.revoked_at is None:
        helper.revoked_at = now or utcnow()
    helper.session_token = secrets.token_hex(16)
    db.session.flush()


def helper_for_code(code: str | None, now: datetime | None = None) -> BoothHelper | None:
    """The helper whose code this is, if it is valid now (not revoked, within its dates)."""
    if not is_code_shaped(code or ""):
        return None
    helper = db.session.scalar(sa.select(BoothHelper).where(BoothHelper.code_hash == code_hash(code)))
    if helper is None or not helper.is_valid(now or utcnow()):
        return None
    return helper


SIGN_IN_LIMIT = throttle.Limit("booth_sign_in", "BOOTH_SIGN_IN_MAX_FAILURES", "BOOTH_SIGN_IN_WINDOW_MINUTES")


def sign_in_with_code(code: str | None, client: str, now: datetime | None = None) -> BoothHelper | None:
    """helper_for_code for the sign-in form, slowed down against guessing: each try counts against
    the client (throttle.client_key()) before the code is looked at, a right one is given back.
    Past the limit even a right code is refused (TooManyAttempts) until the window has passed.
    Signing in notes when (last_signed_in_at)."""
    now = now or utcnow()
    taken = throttle.take(SIGN_IN_LIMIT, client)
    if not taken:
        raise throttle.TooManyAttempts(
            _(
                "Too many wrong codes from this device. Please wait %(minutes)d minutes and try again.",
                minutes=taken.wait_minutes,
            )
        )
    helper = helper_for_code(code, now)
    if helper is not None:
        throttle.give_back(SIGN_IN_LIMIT, client)
        helper.last_signed_in_at = now
        db.session.flush()
    return helper


def helpers_of(booth: Booth) -> list[tuple[BoothHelper, int]]:
    """The booth's helpers, newest first, each with how many sales they recorded."""
    sales = (
        sa.select(OnSiteSale.helper_id, sa.func.count(OnSiteSale.id).label("sales"))
        .where(OnSiteSale.booth_id == booth.id, OnSiteSale.helper_id.is_not(None))
        .group_by(OnSiteSale.helper_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(BoothHelper, sa.func.coalesce(sales.c.sales, 0))
        .outerjoin(sales, sales.c.helper_id == BoothHelper.id)
        .where(BoothHelper.booth_id == booth.id)
        .order_by(BoothHelper.created_at.desc(), BoothHelper.id.desc())
    ).all()
    return [(helper, count) for helper, count in rows]
