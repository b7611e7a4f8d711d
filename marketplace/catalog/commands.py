"""`marketplace products ...`: bulk work on product listings from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.core.csv_import import run_import_command

products = AppGroup("products", help="Manage products.")


@products.command("import")
@click.argument("path", metavar="FILE.csv")
def import_command(path: str) -> None:
    """Create or update products from a CSV file (all or nothing; cooperative + sku is the key).

    Header: cooperative,sku,name,category,unit,price_vnd,stock,ocop_stars,origin,description

    ocop_stars is ignored (kept so an exported file imports again): a product's OCOP stars
    come only from its valid OCOP certificate (`marketplace certificates refresh`).

    A category the site does not have yet is created as a top category (the workspace's
    import, for managers, refuses it instead).

    The planner statistics are refreshed (ANALYZE) with the import; after the commit this
    server's search index is brought up to date (rebuilt, with a progress bar, for a large file).
    """
    from functools import partial

    from marketplace.catalog.importer import import_products

    run_import_command(path, partial(import_products, create_categories=True))
