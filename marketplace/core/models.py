"""Column helpers shared by every feature's models."""
from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa


def utcnow() -> datetime:
    """Naive UTC: stored the same on SQLite and PostgreSQL; Babel shows it in Vietnam time."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def enum_column(enum_class: type[enum.Enum], length: int = 32, name: str | None = None) -> sa.Enum:
    """Enums stored as their values in a VARCHAR with a CHECK, identical on both engines.

    `name` names the CHECK constraint; give one when a table has two columns of the same enum.
    """
    return sa.Enum(
        enum_class,
        name=name or enum_class.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
