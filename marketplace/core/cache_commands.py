"""`marketplace cache ...`: see the storefront cache, and start it afresh."""

from __future__ import annotations

import click
from flask.cli import AppGroup

cache_group = AppGroup("cache", help="Inspect or refresh the storefront cache.")


@cache_group.command("status")
def status_command() -> None:
    """The cache's backend, whether it answers, and the storefront's content version."""
    from marketplace.core import cache, content_version

    found = cache.status()
    click.echo(f"Backend: {found['backend']}")
    click.echo(f"Reachable: {'yes' if found['reachable'] else 'no (' + str(found['error']) + ')'}")
    click.echo(f"Release: {cache.release_digest()}")
    version = content_version.current()
    click.echo(f"Storefront version: {version.key} (last change {version.changed_at or 'never'} UTC)")


@cache_group.command("refresh")
def refresh_command() -> None:
    """Give the storefront a new content version: every server makes its pages afresh.

    Never needed after changes made through the application; use it after editing the
    database by hand (SQL), which the application cannot notice."""
    from marketplace.core import content_version
    from marketplace.extensions import db

    content_version.mark_changed(db.session)
    db.session.commit()
    click.echo(f"Storefront version is now {content_version.current().key}")
