"""`marketplace orders ...`: order housekeeping from the command line (cron)."""

from __future__ import annotations

import logging

import click
from flask.cli import AppGroup

orders = AppGroup("orders", help="Order housekeeping.")
logger = logging.getLogger(__name__)


@orders.command("expire")
def expire_command() -> None:
    """Cancel unpaid card orders whose payment time ran out, giving their stock back."""
    from marketplace.orders.expiry import expire_due_orders_committed

    try:
        numbers = expire_due_orders_committed()
    except Exception as error:  # rolled back already; say so plainly, the log has the details
        logger.exception("orders expire failed")
        raise click.ClickException(f"Nothing was expired: {error}") from None
    click.echo(f"Expired {len(numbers)} unpaid card order(s){':' if numbers else '.'}")
    for number in numbers:
        click.echo(f"  {number}")


@orders.command("prune-keys")
@click.option("--hours", type=click.IntRange(min=1), default=None, help="Keep this many hours (default from config).")
def prune_keys_command(hours: int | None) -> None:
    """Delete the idempotency keys of placed orders older than IDEMPOTENCY_KEY_HOURS (24). Run it daily."""
    from flask import current_app

    from marketplace.extensions import db
    from marketplace.orders.idempotency import prune

    hours = hours or current_app.config["IDEMPOTENCY_KEY_HOURS"]
    count = prune(hours)
    db.session.commit()
    click.echo(f"Deleted {count} idempotency key(s) older than {hours} hours.")
