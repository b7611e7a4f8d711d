"""Bearer tokens for the JSON API's staff endpoints (`marketplace tokens ...`).

A token is `mkt_` followed by 43 random URL-safe characters (secrets.token_urlsafe(32),
256 bits). It is shown once, when it is made; only its SHA-256 (hex) is stored, with its
first 12 characters (the prefix) to tell tokens apart in lists and to revoke one.

Checking a token looks up the SHA-256 of what was sent: the database compares hashes, never
the token, so the comparison's timing tells nothing about the secret; the stored hash is then
compared again with hmac.compare_digest. A revoked token, or one of an inactive user, is refused.

Any user may hold a token; each endpoint decides which roles it serves (the promotion
report: agency staff and admins). Functions here never commit: the caller does.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from marketplace.accounts.models import ApiToken, User
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db

TOKEN_MARKER = "mkt_"
PREFIX_LENGTH = 12  # ApiToken.prefix: the marker and 8 random characters
MAX_NAME_LENGTH = 100
# last_used_at is written at most this often per token, so busy clients cost no write per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(user: User, name: str = "") -> tuple[ApiToken, str]:
    """A new token for `user`: (the stored row, the token itself, to show once)."""
    name = (name or "").strip()
    if len(name) > MAX_NAME_LENGTH:
        raise Refused(f"The token name is longer than {MAX_NAME_LENGTH} characters.", field="name")
    if not user.active:
        raise Refused(f"{user.email} is deactivated; an inactive user's token would be refused.", field="user")
    while True:
        plaintext = TOKEN_MARKER + secrets.token_urlsafe(32)
        prefix = plaintext[:PREFIX_LENGTH]
        # Prefixes name tokens in the CLI: keep them unique (a clash is very unlikely; draw again).
        if db.session.scalar(sa.select(ApiToken.id).where(ApiToken.prefix == prefix)) is None:
            break
    token = ApiToken(user=user, token_hash=hash_token(plaintext), prefix=prefix, name=name, created_at=utcnow())
    db.session.add(token)
    db.session.flush()
    return token, plaintext


def bearer_token(header_value: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header value; None for anything else."""
    if not header_value:
        return None
    scheme, _, token = header_value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def find_token(token: str) -> ApiToken | None:
    """The stored token whose hash is the hash of `token`, revoked or not."""
    digest = hash_token(token)
    found = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == digest))
    if found is None or not hmac.compare_digest(found.token_hash, digest):
        return None
    return found


def authenticate(header_value: str | None) -> User | None:
    """The user an Authorization header value speaks for; None when it is missing, not a
    bearer token, unknown, revoked, or the user is deactivated. Notes the use (flushed, not
    committed) when the last one noted is a minute old or more."""
    token = bearer_token(header_value)
    if token is None:
        return None
    found = find_token(token)
    if found is None or found.revoked_at is not None or not found.user.active:
        return None
    now = utcnow()
    if found.last_used_at is None or now - found.last_used_at >= LAST_USED_RESOLUTION:
        found.last_used_at = now
        db.session.flush()
    return found.user


def revoke(token: ApiToken) -> bool:
    """Revoke a token for good. False when it already was (nothing changes)."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    db.session.flush()
    return True


def revoke_all(user: User) -> int:
    """Revoke every token of `user` still in use (an admin deactivated them); how many."""
    result = db.session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def find_for_revoking(prefix_or_id: str) -> ApiToken:
    """The token named by its prefix (as `tokens list` shows it) or its id; Refused when none
    or several match."""
    value = (prefix_or_id or "").strip()
    if not value:
        raise Refused("Give the token's prefix or id.")
    conditions = [ApiToken.prefix == value]
    if value.isdigit():
        conditions.append(ApiToken.id == int(value))
    matches = db.session.scalars(sa.select(ApiToken).where(sa.or_(*conditions)).order_by(ApiToken.id)).all()
    if not matches:
        raise Refused(f"No token with prefix or id {value!r}.")
    if len(matches) > 1:
        ids = ", ".join(str(token.id) for token in matches)
        raise Refused(f"{value!r} matches several tokens (ids {ids}); give the id.")
    return matches[0]


def list_tokens(user: User | None = None) -> list[ApiToken]:
    """Every token, or one user's, oldest first."""
    query = sa.select(ApiToken).options(joinedload(ApiToken.user)).order_by(ApiToken.id)
    if user is not None:
        query = query.where(ApiToken.user_id == user.id)
    return list(db.session.scalars(query))
