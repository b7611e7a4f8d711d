"""Account business actions: registration, sign-in with rate limiting, roles, passwords.

Every function validates, changes objects and flushes; none commits. The request
(core.transaction) or the CLI command commits once, and email is sent only after the commit.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from marketplace.accounts import api_tokens, tokens
from marketplace.accounts.models import Agency, AgencyKind, Role, User, normalise_email
from marketplace.core import throttle
from marketplace.core.errors import Refused
from marketplace.core.text import normalize_name
from marketplace.extensions import db

if TYPE_CHECKING:
    from marketplace.cooperatives.models import Cooperative

logger = logging.getLogger(__name__)

MIN_PASSWORD_LENGTH = 10
RESET_TOKEN_SALT = "password-reset"
RESET_TOKEN_MAX_AGE = 3600  # seconds


class AccountError(Refused):
    """A rule about accounts was broken. `field` names the form field it belongs to, if any."""


class InvalidCredentials(AccountError):
    pass


class AccountLocked(AccountError):
    pass


class AccountInactive(AccountError):
    pass


# --- Validation helpers -----------------------------------------------------------------


def check_email(value: str) -> str:
    """A syntactically valid address, lower-cased; no DNS lookup."""
    email = normalise_email(value)
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        raise AccountError(_("Enter a valid email address."), field="email") from None
    return email


def check_password_strength(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("Password must be at least %(min)d characters long.", min=MIN_PASSWORD_LENGTH), field=field
        )


def generate_password() -> str:
    """A strong random password for accounts created on the command line (16 characters)."""
    return secrets.token_urlsafe(12)


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def _check_email_free(email: str) -> None:
    if find_user_by_email(email) is not None:
        raise AccountError(_("An account with this email address already exists."), field="email")


def check_role_requirements(role: Role, agency: Agency | None, cooperatives: Iterable[Cooperative]) -> None:
    """Agency staff belong to an agency; managers manage at least one cooperative.

    Cooperatives and agencies given to a role that has no use for them are refused
    rather than dropped: `User.can_manage` trusts the cooperative list whatever the role.
    """
    cooperatives = list(cooperatives)
    if role == Role.AGENCY_STAFF and agency is None:
        raise AccountError(_("Agency staff must belong to an agency."), field="agency")
    if role == Role.COOPERATIVE_MANAGER and not cooperatives:
        raise AccountError(_("A cooperative manager must manage at least one cooperative."), field="cooperatives")
    if role in (Role.CUSTOMER, Role.AGENCY_STAFF) and cooperatives:
        raise AccountError(_("Only cooperative managers and admins can manage cooperatives."), field="cooperatives")
    if role in (Role.CUSTOMER, Role.COOPERATIVE_MANAGER) and agency is not None:
        raise AccountError(_("Only agency staff and admins belong to an agency."), field="agency")


# --- Creating and changing users --------------------------------------------------------


def register_user(email: str, full_name: str, password: str, phone: str | None = None) -> User:
    """A new customer signing up on the site."""
    return create_user(email=email, full_name=full_name, password=password, phone=phone, role=Role.CUSTOMER)


def create_user(
    *,
    email: str,
    full_name: str,
    password: str,
    role: Role = Role.CUSTOMER,
    phone: str | None = None,
    agency: Agency | None = None,
    cooperatives: Iterable[Cooperative] = (),
    active: bool = True,
) -> User:
    """Any user, for registration, the admin pages and the CLI."""
    email = check_email(email)
    _check_email_free(email)
    full_name = (full_name or "").strip()
    if not full_name:
        raise AccountError(_("Enter a full name."), field="full_name")
    check_password_strength(password)
    cooperatives = list(cooperatives)
    check_role_requirements(role, agency, cooperatives)
    user = User(email=email, full_name=full_name, phone=phone or None, role=role, agency=agency, active=active)
    user.cooperatives = cooperatives
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    logger.info("User %s created with role %s", user.id, role.value)
    return user


def update_profile(user: User, full_name: str, phone: str | None) -> None:
    full_name = (full_name or "").strip()
    if not full_name:
        raise AccountError(_("Enter a full name."), field="full_name")
    user.full_name = full_name
    user.phone = phone or None
    db.session.flush()


def update_user_roles(
    user: User,
    *,
    by: User,
    role: Role,
    active: bool,
    agency: Agency | None,
    cooperatives: Iterable[Cooperative],
) -> None:
    """What an admin changes about someone's access. Admins cannot lock themselves out."""
    cooperatives = list(cooperatives)
    if user.id == by.id:
        if role != Role.ADMIN:
            raise AccountError(_("You cannot remove your own admin role."), field="role")
        if not active:
            raise AccountError(_("You cannot deactivate your own account."), field="active")
    check_role_requirements(role, agency, cooperatives)
    if user.role != role or user.active != active:
        logger.info(
            "User %s: role %s -> %s, active %s -> %s (by %s)",
            user.id,
            user.role.value,
            role.value,
            user.active,
            active,
            by.id,
        )
    if user.active and not active:
        # Deactivated: signed out everywhere and the API tokens revoked, so that turning the
        # account on again later gives nothing back to whoever held a cookie or a token.
        end_sessions(user)
        revoked = api_tokens.revoke_all(user)
        logger.info("User %s deactivated: sessions ended, %s API tokens revoked", user.id, revoked)
    user.role = role
    user.active = active
    user.agency = agency
    user.cooperatives = cooperatives
    db.session.flush()


def change_password(user: User, current_password: str, new_password: str) -> None:
    if not user.check_password(current_password or ""):
        raise AccountError(_("Your current password is not correct."), field="current_password")
    set_password(user, new_password)


def set_password(user: User, new_password: str) -> None:
    """Set a new password; this also kills every outstanding reset link for the user, and
    ends every session and remember-me cookie (the browser that changed it may stay signed
    in: accounts.session.stay_signed_in)."""
    check_password_strength(new_password)
    user.set_password(new_password)
    user.end_sessions()
    clear_failed_logins(user.email)
    db.session.flush()
    logger.info("Password changed for user %s", user.id)


def end_sessions(user: User) -> None:
    """Sign `user` out everywhere: every session and remember-me cookie made so far stops
    working (sign-out, "sign out everywhere", deactivation)."""
    user.end_sessions()
    db.session.flush()
    logger.info("Sessions ended for user %s", user.id)


# --- Password-reset requests, limited -------------------------------------------------------

RESET_PER_EMAIL = throttle.Limit("password_reset", "PASSWORD_RESET_MAX_REQUESTS", "PASSWORD_RESET_WINDOW_MINUTES")
RESET_PER_CLIENT = throttle.Limit(
    "password_reset_client", "PASSWORD_RESET_MAX_REQUESTS_PER_IP", "PASSWORD_RESET_WINDOW_MINUTES"
)


def count_reset_request(email: str, client: str) -> None:
    """Count a password-reset request against the address asked for and the client asking, or
    raise TooManyAttempts. Counted whether or not the address has an account, so the refusal
    says nothing about who has one; it keeps anybody's inbox from being flooded with resets.
    Counted at once (throttle.take commits by itself), whatever the request answers."""
    taken = throttle.take(RESET_PER_EMAIL, "email:" + normalise_email(email))
    if taken:
        taken = throttle.take(RESET_PER_CLIENT, client)
        if not taken:
            throttle.give_back(RESET_PER_EMAIL, "email:" + normalise_email(email))
    if not taken:
        raise throttle.TooManyAttempts(
            _(
                "Too many password-reset requests. Please wait %(minutes)d minutes and try again.",
                minutes=taken.wait_minutes,
            ),
            field="email",
        )


# --- Signing in, with rate limiting -----------------------------------------------------


@cache
def _dummy_password_hash() -> str:
    return generate_password_hash(secrets.token_hex(16))


LOGIN_PER_EMAIL = throttle.Limit("login", "LOGIN_MAX_ATTEMPTS", "LOGIN_LOCKOUT_MINUTES")
LOGIN_PER_CLIENT = throttle.Limit("login_client", "LOGIN_MAX_ATTEMPTS_PER_IP", "LOGIN_LOCKOUT_MINUTES")


def _login_keys(email: str, ip: str | None) -> tuple[str, str]:
    return "email:" + normalise_email(email), f"ip:{ip or '-'}"


def take_login_attempt(email: str, ip: str | None) -> throttle.Taken:
    """Count a sign-in attempt against the email and the client address, atomically, before the
    password is checked: of many parallel guesses only the limit's number are checked. Refused
    (counting nothing) when either has used up its attempts in the window."""
    email_key, ip_key = _login_keys(email, ip)
    taken = throttle.take(LOGIN_PER_EMAIL, email_key)
    if taken and ip:
        taken = throttle.take(LOGIN_PER_CLIENT, ip_key)
        if not taken:
            throttle.give_back(LOGIN_PER_EMAIL, email_key)
    return taken


def clear_failed_logins(email: str) -> None:
    throttle.forget(LOGIN_PER_EMAIL, _login_keys(email, None)[0])


def authenticate(email: str, password: str, ip: str | None) -> User:
    """The user these credentials belong to, or a typed error.

    The same InvalidCredentials comes for an unknown email and a wrong password, after
    the same amount of hashing work, so the answer reveals nothing about who has an account.
    Each attempt is counted before the password is checked (take_login_attempt), so of many
    parallel guesses only LOGIN_MAX_ATTEMPTS are checked; the right password forgets the
    email's failures. While locked out even the right password is refused; the lock ends
    LOGIN_LOCKOUT_MINUTES after the first counted failure, however often it is tried meanwhile.
    """
    email = normalise_email(email)
    taken = take_login_attempt(email, ip)
    if not taken:
        raise AccountLocked(
            _(
                "Too many failed sign-in attempts. Please wait %(minutes)d minutes and try again.",
                minutes=taken.wait_minutes,
            )
        )
    user = find_user_by_email(email)
    if user is None:
        check_password_hash(_dummy_password_hash(), password or "")
        valid = False
    else:
        valid = user.check_password(password or "")
    if not valid:  # stays counted
        logger.info("Failed sign-in for %s from %s", email, ip)
        raise InvalidCredentials(_("Email or password is incorrect."))
    clear_failed_logins(email)  # the failures before it count no more, nor does this attempt
    if ip:
        throttle.give_back(LOGIN_PER_CLIENT, _login_keys(email, ip)[1])
    if not user.active:
        raise AccountInactive(_("This account has been deactivated. Please contact the site administrators."))
    return user


# --- Password reset tokens ----------------------------------------------------------------


def _password_fingerprint(user: User) -> str:
    # Part of the token: once the password changes, the token no longer matches (single use).
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:24]


def make_reset_token(user: User) -> str:
    return tokens.make_token({"user": user.id, "pw": _password_fingerprint(user)}, RESET_TOKEN_SALT)


def user_from_reset_token(token: str, max_age: int | None = None) -> User | None:
    """The active user a valid, unexpired, unused token was made for; None otherwise."""
    max_age = max_age or current_app.config.get("PASSWORD_RESET_MAX_AGE", RESET_TOKEN_MAX_AGE)
    data = tokens.read_token(token, RESET_TOKEN_SALT, max_age)
    try:
        user_id, fingerprint = int(data["user"]), str(data["pw"])
    except (KeyError, TypeError, ValueError):
        return None
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        return None
    if not hmac.compare_digest(fingerprint, _password_fingerprint(user)):
        return None
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_from_reset_token(token)
    if user is None:
        raise AccountError(_("This password reset link is invalid or has expired. Please ask for a new one."))
    set_password(user, new_password)
    return user


# --- Agencies -----------------------------------------------------------------------------


def guess_agency_kind(name: str) -> AgencyKind:
    """'Tỉnh đoàn Bắc Ninh' -> Youth Union; 'Liên minh HTX tỉnh' -> Cooperative Alliance."""
    folded = normalize_name(name)
    if "doan" in folded.split() or "youth" in folded:
        return AgencyKind.YOUTH_UNION
    if "lien minh" in folded or "alliance" in folded:
        return AgencyKind.COOPERATIVE_ALLIANCE
    return AgencyKind.OTHER


def find_agency(name: str) -> Agency | None:
    return db.session.scalar(select(Agency).where(Agency.name == " ".join((name or "").split())))


def save_agency(agency: Agency | None, name: str, kind: AgencyKind) -> Agency:
    """Create (agency=None) or rename/re-kind an agency; names are unique."""
    name = " ".join((name or "").split())
    if not name:
        raise AccountError(_("Enter the agency's name."), field="name")
    existing = find_agency(name)
    if existing is not None and existing is not agency:
        raise AccountError(_("An agency with this name already exists."), field="name")
    if agency is None:
        agency = Agency(name=name, kind=kind)
        db.session.add(agency)
        logger.info("Agency %r created", name)
    else:
        agency.name, agency.kind = name, kind
    db.session.flush()
    return agency


def find_or_create_agency(name: str, kind: AgencyKind | None = None) -> Agency:
    return find_agency(name) or save_agency(None, name, kind or guess_agency_kind(name))
