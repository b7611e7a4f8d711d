"""`marketplace demo`: one command from a fresh clone to a running storefront."""

from __future__ import annotations

import time

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.engine import make_url
from werkzeug.serving import run_simple

from marketplace.core.migrations import upgrade_database
from marketplace.extensions import db

ROLE_LABELS = {
    "admin": "Admin",
    "agency_staff": "Agency staff",
    "cooperative_manager": "Cooperative manager",
    "customer": "Customer",
}


@click.command("demo")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to serve on.")
@click.option("--no-serve", is_flag=True, hidden=True, help="Load the data and stop (for tests).")
@with_appcontext
def demo(host: str, port: int, no_serve: bool) -> None:
    """Create or upgrade the database, load the demo data and serve the site."""
    from marketplace.demo.loader import load_demo

    app = current_app._get_current_object()
    click.echo(f"Database: {make_url(app.config['SQLALCHEMY_DATABASE_URI']).render_as_string(hide_password=True)}")
    click.echo(f"Uploads:  {app.config['UPLOAD_FOLDER']}")
    upgrade_database()
    started = time.monotonic()
    click.echo("Loading the demo data (the first run draws a picture for every product)…")
    # Tests draw small pictures to stay fast; the demo draws them at 800 px.
    summary = load_demo(image_width=app.config.get("DEMO_IMAGE_WIDTH", 800))
    db.session.commit()
    click.echo(
        f"Demo data ready in {time.monotonic() - started:.1f} s: created {summary.created_cooperatives} cooperatives, "
        f"{summary.created_products} products, {summary.created_images} pictures, {summary.created_users} accounts, "
        f"{summary.created_fairs} fairs, {summary.created_orders} past orders (2023–2025)."
    )
    click.echo()
    click.echo(accounts_table())
    helper = demo_helper_line()
    if helper:
        click.echo()
        click.echo(helper)
    if no_serve:
        return
    click.echo()
    click.echo(f"Open http://{host}:{port}/ in a browser; press Ctrl+C to stop.")
    # Not app.run(): Flask ignores it inside a `flask`-style command (FLASK_RUN_FROM_CLI).
    run_simple(host, port, app, use_reloader=False, use_debugger=False, threaded=True)


def demo_helper_line() -> str:
    """How to try the booth helper sign-in, while the demo helper's code works."""
    from marketplace.demo.fairs import HELPER_CODE
    from marketplace.fairs import helpers

    helper = helpers.helper_for_code(HELPER_CODE)
    if helper is None:
        return ""
    return (
        f"Booth helper: {helper.name}, booth {helper.booth.number} at {helper.booth.fair.name}: "
        f"sign in at /booth/sign-in with the code {HELPER_CODE}."
    )


def accounts_table() -> str:
    """The demo accounts and their passwords as a plain-text table."""
    from marketplace.demo import data

    rows = [("Role", "Email", "Password", "Acts for")]
    for user in data.USERS:
        acts_for = user.agency or ", ".join(user.cooperatives) or "-"
        rows.append((ROLE_LABELS[user.role.value], user.email, user.password, acts_for))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(width) for cell, width in zip(row, widths)) + "  " + row[3])
        if n == 0:
            lines.append("  ".join("-" * width for width in widths) + "  " + "-" * len(row[3]))
    return "Demo accounts:\n" + "\n".join(lines)
