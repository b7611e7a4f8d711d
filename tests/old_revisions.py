"""Writing rows through today's models into a database at an old revision (migration tests)."""

from __future__ import annotations

import sqlalchemy as sa

from marketplace.extensions import db


def later_columns() -> list[tuple[str, str]]:
    """(table, column) of the models' columns that later migrations add to existing tables: nullable
    ones, or with a default in the database (the factories give them a value)."""
    inspector = sa.inspect(db.engine)
    existing = set(inspector.get_table_names())
    found = []
    for table in db.metadata.sorted_tables:
        if table.name not in existing:
            continue
        present = {column["name"] for column in inspector.get_columns(table.name)}
        found += [
            (table.name, c.name)
            for c in table.columns
            if c.name not in present and (c.nullable or c.server_default is not None)
        ]
    return found


def add_columns_for_the_factories(columns) -> None:
    """The factories write through today's models, which have columns an old revision lacks:
    add them while the rows are made (dropped again before upgrading, so migrations add them)."""
    for table, column in columns:
        db.session.execute(sa.text(f'ALTER TABLE "{table}" ADD COLUMN "{column}"'))
    db.session.commit()


def drop_columns(columns) -> None:
    for table, column in columns:
        db.session.execute(sa.text(f'ALTER TABLE "{table}" DROP COLUMN "{column}"'))
    db.session.commit()
