"""`marketplace users ...`: accounts from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from marketplace.accounts import api_tokens, services
from marketplace.accounts.models import AgencyKind, Role, User
from marketplace.core.errors import Refused
from marketplace.core.formatting import format_moment
from marketplace.core.phone import InvalidPhone, normalise_vn_phone
from marketplace.extensions import db

users = AppGroup("users", help="Manage users.")


@users.command("create")
@click.option("--email", required=True, help="Sign-in email address (stored lower-cased).")
@click.option("--role", required=True, type=click.Choice([role.value for role in Role]), help="What the user may do.")
@click.option("--password", help="Initial password (at least 10 characters). Omit to generate a strong one.")
@click.option("--full-name", help="Name shown on the site. Defaults to the part of the email before the @.")
@click.option("--phone", help="Vietnamese mobile number, e.g. 0912345678.")
@click.option(
    "--cooperative",
    "cooperative_slugs",
    multiple=True,
    metavar="SLUG",
    help="Slug of a cooperative the user manages (repeat for several). Required for cooperative_manager.",
)
@click.option(
    "--agency",
    "agency_name",
    metavar="NAME",
    help="Agency the user works for; created if missing. Required for agency_staff.",
)
@click.option(
    "--agency-kind",
    type=click.Choice([kind.value for kind in AgencyKind]),
    help="Kind of a new agency. Default: guessed from the name (Đoàn/Youth, Liên minh/Alliance, else other).",
)
def create_user_command(email, role, password, full_name, phone, cooperative_slugs, agency_name, agency_kind):
    """Create a user with a role, in one transaction: on any error nothing is written.

    \b
    Examples:
      marketplace users create --email admin@htx.vn --role admin
      marketplace users create --email an@htx.vn --role cooperative_manager --cooperative htx-vai-thieu-luc-ngan
      marketplace users create --email binh@doan.vn --role agency_staff --agency "Tỉnh đoàn Bắc Ninh"
    """
    generated = password is None
    if generated:
        password = services.generate_password()
    try:
        user = _create(email, Role(role), password, full_name, phone, cooperative_slugs, agency_name, agency_kind)
        db.session.commit()
    except services.AccountError as error:
        db.session.rollback()
        raise click.ClickException(str(error.message)) from None
    except click.ClickException:
        db.session.rollback()
        raise
    click.echo(f"Created {user.role.value} {user.email} (id {user.id}).")
    if generated:
        click.echo(f"Generated password: {password}")


def _create(email, role, password, full_name, phone, cooperative_slugs, agency_name, agency_kind):
    if phone:
        try:
            phone = normalise_vn_phone(phone)
        except InvalidPhone:
            raise click.BadParameter(f"{phone!r} is not a Vietnamese mobile number.", param_hint="--phone") from None
    from marketplace.cooperatives.models import Cooperative  # a layer above accounts: needed here only

    cooperatives = []
    for slug in cooperative_slugs:
        cooperative = db.session.scalar(select(Cooperative).where(Cooperative.slug == slug.strip()))
        if cooperative is None:
            raise click.BadParameter(f"no cooperative with slug {slug!r}.", param_hint="--cooperative")
        cooperatives.append(cooperative)
    agency = None
    if agency_name is not None:
        if not agency_name.strip():
            raise click.BadParameter("the agency name is empty.", param_hint="--agency")
        kind = AgencyKind(agency_kind) if agency_kind else None
        agency = services.find_or_create_agency(agency_name, kind)
    return services.create_user(
        email=email,
        full_name=full_name or services.normalise_email(email).split("@")[0],
        password=password,
        role=role,
        phone=phone,
        agency=agency,
        cooperatives=cooperatives,
    )


# --- `marketplace tokens ...`: bearer tokens for the JSON API -----------------------------------

tokens = AppGroup(
    "tokens",
    help="API bearer tokens (the reports API needs an agency staff or admin token). Only a token's hash is stored.",
)


def _user_by_email(email: str):
    """The user with this email; exit status 1 with a clear message when there is none."""
    user = db.session.scalar(select(User).where(User.email == services.normalise_email(email)))
    if user is None:
        raise click.ClickException(f"No user with email {email.strip()!r}.")
    return user


@tokens.command("create")
@click.option("--user", "email", required=True, metavar="EMAIL", help="Email of the user the token acts for.")
@click.option("--name", default="", help="What the token is for, e.g. the client's name (shown in `tokens list`).")
def create_token_command(email, name):
    """Create a token and print it once: it cannot be shown again (only its hash is kept).

    \b
    Example:
      marketplace tokens create --user binh@doan.vn --name "Báo cáo quý"
    Use it as: Authorization: Bearer <token>
    """
    user = _user_by_email(email)
    try:
        token, plaintext = api_tokens.create_token(user, name)
        db.session.commit()
    except Refused as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Created token {token.prefix} (id {token.id}) for {user.email}.")
    click.echo("Copy it now; it will not be shown again:")
    click.echo(plaintext)
    if not user.is_agency_staff:
        click.echo(
            f"Note: {user.email} is a {user.role.value}; the reports API answers agency staff and admins only.",
            err=True,
        )


@tokens.command("list")
@click.option("--user", "email", metavar="EMAIL", help="Only this user's tokens.")
def list_tokens_command(email):
    """List tokens: id, prefix, user, name, created, last used (Asia/Ho_Chi_Minh), status. Never the token."""
    user = _user_by_email(email) if email else None
    rows = api_tokens.list_tokens(user)
    if not rows:
        click.echo("No tokens.")
        return
    click.echo("id\tprefix\tuser\tname\tcreated\tlast used\tstatus")
    for token in rows:
        status = f"revoked {format_moment(token.revoked_at)}" if token.revoked_at else "active"
        click.echo(
            "\t".join(
                [
                    str(token.id),
                    token.prefix,
                    token.user.email,
                    token.name or "-",
                    format_moment(token.created_at),
                    format_moment(token.last_used_at) or "never",
                    status,
                ]
            )
        )


@tokens.command("revoke")
@click.argument("prefix_or_id")
def revoke_token_command(prefix_or_id):
    """Revoke a token for good, named by its prefix (e.g. mkt_AbCd1234) or its id, as `tokens list` shows."""
    try:
        token = api_tokens.find_for_revoking(prefix_or_id)
    except Refused as error:
        raise click.ClickException(error.message) from None
    if api_tokens.revoke(token):
        db.session.commit()
        click.echo(f"Revoked token {token.prefix} (id {token.id}) of {token.user.email}.")
    else:
        click.echo(f"Token {token.prefix} (id {token.id}) was already revoked.")
