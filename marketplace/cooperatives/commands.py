"""`marketplace cooperatives ...`: bulk work on cooperatives from the command line."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from marketplace.core.csv_import import run_import_command

cooperatives = AppGroup("cooperatives", help="Manage cooperatives.")


@cooperatives.command("import")
@click.argument("path", metavar="FILE.csv")
def import_command(path: str) -> None:
    """Create or update cooperatives from a CSV file (all or nothing; new ones are approved).

    Header: slug,name,registration_code,province,ward,founded_on,is_youth,members,
    youth_members,representative,phone,email,description

    The planner statistics are refreshed (ANALYZE) with the import; products of renamed
    cooperatives reach this server's search index after the commit.
    """
    from marketplace.cooperatives.importer import import_cooperatives

    run_import_command(path, import_cooperatives)
