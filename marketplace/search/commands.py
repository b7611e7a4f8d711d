"""`marketplace search ...`: rebuild, catch up and inspect the product index."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import AppGroup

search = AppGroup("search", help="Manage the product search index.")


@search.command("rebuild")
def rebuild_command() -> None:
    """Build a new index from the database and switch to it (searches go on meanwhile)."""
    from marketplace.extensions import db
    from marketplace.search.index import count_public_products, get_index

    with db.engine.connect() as connection:
        total = count_public_products(connection)
    with click.progressbar(length=total, label="Indexing products") as bar:
        count = get_index().rebuild(progress=bar.update, processes=current_app.config["SEARCH_INDEX_PROCESSES"])
    click.echo(f"Indexed {count} products in {get_index().current_directory()}")


@search.command("sync")
def sync_command() -> None:
    """Apply changes recorded in the database that this server's index lacks."""
    from marketplace.search.index import get_index

    index = get_index()
    index.reading()  # opens, or rebuilds a missing or broken index
    count = index.apply_changes()
    click.echo(f"Applied changes to {count} products")


@search.command("status")
def status_command() -> None:
    """Documents in the index, its change mark and how many changes are pending."""
    from marketplace.search.index import get_index

    status = get_index().status()
    for name in ("directory", "documents", "public_products", "mark", "open_ranges", "pending_changes"):
        click.echo(f"{name}: {status[name]}")
    for name in ("synced_at", "built_at"):
        moment = datetime.fromtimestamp(status[name], UTC) if status[name] else None
        click.echo(f"{name}: {moment.isoformat(timespec='seconds') if moment else '-'}")


@search.command("prune")
@click.option("--days", type=click.IntRange(min=1), default=None, help="Keep this many days (default from config).")
def prune_command(days: int | None) -> None:
    """Delete change-log rows older than the retention window (the newest row always stays)."""
    from marketplace.extensions import db
    from marketplace.search.index import prune_changes

    days = days or current_app.config["SEARCH_CHANGES_RETENTION_DAYS"]
    with db.engine.begin() as connection:
        count = prune_changes(connection, days)
    click.echo(f"Deleted {count} change-log rows older than {days} days")
