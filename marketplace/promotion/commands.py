"""`marketplace promotion ...`: promotion activities (commitment four) from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.core.csv_import import run_import_command

promotion = AppGroup("promotion", help="Promotion activities (commitment four).")


@promotion.command("import")
@click.argument("path", metavar="FILE.csv")
def import_command(path: str) -> None:
    """Load historical promotion activities from a CSV file (all or nothing).

    Every row becomes an APPROVED activity: imported records are the agencies'
    historical reports, already checked, and are not sent through approval again.
    A row with the title and start date of an activity already recorded is refused.

    \b
    Header (exactly, in this order):
      title,type,start_date,end_date,province,ward,agency,cooperatives,products,budget_vnd,visitors,contacts,contracts_count,contracts_value_vnd,sales_vnd,media_items

    \b
    type is one of:
      trade_promotion_conference   trade-promotion conference
      fair_exhibition              fair or exhibition participation
      ecommerce_support            e-commerce onboarding or listing support
      livestream_sale              livestream sale
      product_introduction_media   product introduction or media campaign
      other                        anything else

    \b
    start_date, end_date: YYYY-MM-DD.
    province, ward: names, accents and "Tỉnh"/"Thành phố" optional; both empty online.
    agency: the organising agency's name as in the site (several: separated by ;).
    cooperatives: ;-separated cooperative slugs (approved cooperatives).
    products: ;-separated cooperative:sku pairs of those cooperatives.
    Numbers: whole, >= 0, "150.000" allowed; empty means 0.
    """
    from marketplace.promotion.importer import import_activities

    run_import_command(path, import_activities)
