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
