"""API bearer tokens: made by `marketplace tokens create`, shown once, only their hash kept;
checked from an Authorization header; listed and revoked from the command line."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.accounts import api_tokens
from marketplace.accounts.models import ApiToken, Role
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db


def tokens(runner, *args):
    return runner.invoke(args=["tokens", *args])


def stored_tokens() -> list[ApiToken]:
    db.session.expire_all()
    return list(db.session.scalars(select(ApiToken).order_by(ApiToken.id)))


def printed_token(output: str) -> str:
    """The token line of `tokens create` (the one after 'not be shown again')."""
    lines = output.splitlines()
    return lines[lines.index("Copy it now; it will not be shown again:") + 1].strip()


# --- the command line ---------------------------------------------------------------------------


def test_create_prints_the_token_once_and_stores_only_its_hash(runner, make):
    staff = make.staff(email="binh@example.vn")
    make.commit()
    result = tokens(runner, "create", "--user", "Binh@Example.vn", "--name", "Báo cáo quý")
    assert result.exit_code == 0, result.output
    token = printed_token(result.output)
    assert token.startswith("mkt_") and len(token) >= 40
    assert result.output.count(token) == 1
    [stored] = stored_tokens()
    assert stored.user_id == staff.id and stored.name == "Báo cáo quý"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert stored.prefix == token[:12] and stored.prefix in result.output
    # The token itself is nowhere in the row.
    assert all(token not in str(value) for value in (stored.token_hash, stored.prefix, stored.name))
    assert stored.last_used_at is None and stored.revoked_at is None
    # It works, and listing never shows it again.
    assert api_tokens.authenticate(f"Bearer {token}").id == staff.id
    listed = tokens(runner, "list")
    assert listed.exit_code == 0 and token not in listed.output and stored.prefix in listed.output


def test_create_for_an_unknown_email_exits_1_with_a_clear_message(runner, make):
    make.staff(email="binh@example.vn")
    make.commit()
    result = tokens(runner, "create", "--user", "nobody@example.vn")
    assert result.exit_code == 1
    assert "No user with email 'nobody@example.vn'" in result.output
    assert stored_tokens() == []


def test_create_for_a_deactivated_user_is_refused(runner, make):
    make.staff(email="old@example.vn", active=False)
    make.commit()
    result = tokens(runner, "create", "--user", "old@example.vn")
    assert result.exit_code == 1
    assert "deactivated" in result.output
    assert stored_tokens() == []


def test_a_customer_may_hold_a_token_with_a_note_that_reports_need_staff(runner, make):
    make.user(Role.CUSTOMER, email="khach@example.vn")
    make.commit()
    result = tokens(runner, "create", "--user", "khach@example.vn")
    assert result.exit_code == 0, result.output
    assert "agency staff and admins only" in result.output  # the note (on stderr, mixed in by the runner)
    assert len(stored_tokens()) == 1


def test_list_shows_every_token_or_one_users(runner, make):
    staff, admin = make.staff(email="binh@example.vn"), make.admin(email="admin@example.vn")
    first, _ = api_tokens.create_token(staff, "Bảng tính")
    second, _ = api_tokens.create_token(admin, "")
    api_tokens.revoke(second)
    make.commit()
    everything = tokens(runner, "list")
    assert everything.exit_code == 0, everything.output
    rows = everything.output.splitlines()[1:]
    assert len(rows) == 2
    assert rows[0].split("\t")[:4] == [str(first.id), first.prefix, "binh@example.vn", "Bảng tính"]
    assert rows[0].endswith("\tnever\tactive")
    assert rows[1].split("\t")[:4] == [str(second.id), second.prefix, "admin@example.vn", "-"]
    assert "\trevoked " in rows[1]
    only_admin = tokens(runner, "list", "--user", "admin@example.vn")
    assert only_admin.exit_code == 0
    assert len(only_admin.output.splitlines()) == 2 and second.prefix in only_admin.output
    assert first.prefix not in only_admin.output
    assert tokens(runner, "list", "--user", "nobody@example.vn").exit_code == 1


def test_list_without_tokens(runner):
    result = tokens(runner, "list")
    assert result.exit_code == 0 and result.output.strip() == "No tokens."


@pytest.mark.parametrize("by", ["prefix", "id"])
def test_revoke_by_prefix_or_id(runner, make, by):
    staff = make.staff(email="binh@example.vn")
    token, plaintext = api_tokens.create_token(staff)
    _other, other_plaintext = api_tokens.create_token(staff)
    make.commit()
    result = tokens(runner, "revoke", token.prefix if by == "prefix" else str(token.id))
    assert result.exit_code == 0, result.output
    assert f"Revoked token {token.prefix}" in result.output
    revoked, kept = stored_tokens()
    assert revoked.revoked_at is not None and kept.revoked_at is None
    assert api_tokens.authenticate(f"Bearer {plaintext}") is None
    assert api_tokens.authenticate(f"Bearer {other_plaintext}").id == staff.id
    again = tokens(runner, "revoke", token.prefix)
    assert again.exit_code == 0 and "already revoked" in again.output
    assert stored_tokens()[0].revoked_at == revoked.revoked_at


def test_revoke_an_unknown_token_exits_1(runner, make):
    api_tokens.create_token(make.staff())
    make.commit()
    result = tokens(runner, "revoke", "mkt_nothere1")
    assert result.exit_code == 1 and "No token with prefix or id 'mkt_nothere1'" in result.output
    assert tokens(runner, "revoke", "999").exit_code == 1
    assert stored_tokens()[0].revoked_at is None


# --- the service --------------------------------------------------------------------------------


def test_tokens_are_unique_and_hashes_differ(make):
    staff = make.staff()
    made = [api_tokens.create_token(staff) for _ in range(5)]
    assert len({plaintext for _, plaintext in made}) == 5
    assert len({token.prefix for token, _ in made}) == 5
    assert db.session.scalar(select(func.count(ApiToken.id))) == 5


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Token {token}",
        "Bearer {token}x",
        "Bearer x{token}",
        "Bearer {token} extra",
    ],
)
def test_authenticate_refuses_anything_but_the_exact_bearer_token(make, header):
    token, plaintext = api_tokens.create_token(make.staff())
    value = header.format(token=plaintext) if header else header
    assert api_tokens.authenticate(value) is None
    assert token.last_used_at is None


def test_authenticate_accepts_any_case_of_the_scheme(make):
    staff = make.staff()
    _, plaintext = api_tokens.create_token(staff)
    assert api_tokens.authenticate(f"bearer {plaintext}").id == staff.id
    assert api_tokens.authenticate(f"  BEARER   {plaintext}  ").id == staff.id


def test_a_deactivated_users_token_is_refused(make):
    staff = make.staff()
    _, plaintext = api_tokens.create_token(staff)
    staff.active = False
    assert api_tokens.authenticate(f"Bearer {plaintext}") is None


def test_last_use_is_noted_at_most_once_a_minute(make):
    staff = make.staff()
    token, plaintext = api_tokens.create_token(staff)
    before = utcnow()
    api_tokens.authenticate(f"Bearer {plaintext}")
    first = token.last_used_at
    assert first is not None and first >= before
    # Used again 30 seconds later: not written again.
    token.last_used_at = first - timedelta(seconds=30)
    noted = token.last_used_at
    api_tokens.authenticate(f"Bearer {plaintext}")
    assert token.last_used_at == noted
    # A minute or more later: written again.
    token.last_used_at = first - timedelta(seconds=61)
    api_tokens.authenticate(f"Bearer {plaintext}")
    assert token.last_used_at >= before


def test_a_name_too_long_is_refused(make):
    with pytest.raises(Refused):
        api_tokens.create_token(make.staff(), "x" * 101)
