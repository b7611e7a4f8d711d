"""`marketplace certificates ...`: the daily run that keeps products' OCOP stars true."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.extensions import db

certificates = AppGroup("certificates", help="Certificates (OCOP, VietGAP, organic, food safety…).")


@certificates.command("refresh")
def refresh_command() -> None:
    """Set every product's stored OCOP stars from its valid OCOP certificates today (Vietnam).

    Run it daily just after midnight (cron: `5 0 * * *` in Asia/Ho_Chi_Minh, i.e. `5 17 * * *`
    UTC). The product page and the API already stop counting an expired certificate on its
    expiry day; this run brings the stored stars (filters, search, product cards) in line, and
    the storefront's cached pages move to a new version when any stars changed.
    """
    from marketplace.traceability import certificates as service

    changed = service.refresh_all()
    db.session.commit()
    click.echo(f"OCOP stars refreshed: {changed} product(s) changed.")
