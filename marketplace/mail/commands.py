"""`marketplace mail ...`: sending queued email from the command line (cron, a service)."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app
from flask.cli import AppGroup

mail = AppGroup("mail", help="The email queue: send queued email, see what is waiting.")
logger = logging.getLogger(__name__)


def _summary(delivery) -> str:
    return (
        f"Sent {delivery.sent} queued email job(s); {delivery.retrying} failed and will be retried; "
        f"{delivery.failed} given up."
    )


@mail.command("send")
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Jobs claimed per batch.")
def send_command(limit: int) -> None:
    """Send every queued email that is due now, then exit (for cron, e.g. every minute)."""
    from marketplace.mail.queue import deliver_all

    try:
        delivery = deliver_all(limit=limit)
    except Exception as error:  # the database is unreachable, say; the log has the details
        logger.exception("mail send failed")
        raise click.ClickException(f"Could not send queued email: {error}") from None
    click.echo(_summary(delivery))


@mail.command("work")
@click.option(
    "--interval", type=click.FloatRange(0.1), default=5.0, show_default=True, help="Seconds between looks at the queue."
)
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True, help="Jobs claimed per batch.")
def work_command(interval: float, limit: int) -> None:
    """Send queued email as it comes, until interrupted (Ctrl+C or SIGTERM): the mail worker
    of MAIL_QUEUE=worker. Several may run at once."""
    from marketplace.extensions import db
    from marketplace.mail.queue import deliver_all

    stopping = threading.Event()

    def stop(_signum, _frame):
        stopping.set()

    previous = signal.signal(signal.SIGTERM, stop)
    click.echo(f"Sending queued email every {interval:g} s (mode {current_app.config['MAIL_QUEUE']}); Ctrl+C stops.")
    try:
        while not stopping.is_set():
            try:
                delivery = deliver_all(limit=limit)
                if delivery.claimed:
                    logger.info(_summary(delivery))
            except Exception:
                logger.exception("Sending queued email failed; trying again in %s s", interval)
            finally:
                db.session.remove()
            stopping.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    click.echo("Stopped.")


@mail.command("status")
def status_command() -> None:
    """Queued email: how many wait, how many were given up, and how old the oldest waiting is."""
    from marketplace.mail.queue import status

    counts = status()
    age = counts["oldest_pending_age"]
    click.echo(f"Pending: {counts['pending']} ({counts['due']} due now, {counts['retrying']} waiting to retry)")
    click.echo(f"Failed (given up): {counts['failed']}")
    click.echo(f"Sent: {counts['sent']}")
    click.echo(f"Oldest pending: {f'{int(age.total_seconds())} s old' if age is not None else '-'}")
    click.echo(f"Mode (MAIL_QUEUE): {current_app.config['MAIL_QUEUE']}")
