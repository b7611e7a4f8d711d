"""Column helpers shared by every feature's models."""

from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa


class HasAddress:
    """Names for a row's `province_code`, `ward_code` and `street` (official codes of the
    two-level units; names are looked up, not stored). A row without a `street` column (a
    promotion activity) has a `place` but no street in its `address`."""

    @property
    def province_name(self) -> str:
        from marketplace.core import geo

        return geo.province_name(self.province_code)

    @property
    def ward_name(self) -> str:
        from marketplace.core import geo

        return geo.ward_name(self.ward_code)

    @property
    def place(self) -> str:
        """The ward and province, e.g. "Xã Lục Ngạn, Tỉnh Bắc Ninh"."""
        return ", ".join(part for part in (self.ward_name, self.province_name) if part)

    @property
    def address(self) -> str:
        return ", ".join(part for part in (getattr(self, "street", None), self.place) if part)


def utcnow() -> datetime:
    """Naive UTC: stored the same on SQLite and PostgreSQL; Babel shows it in Vietnam time."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def unique_slug(model, text: str, *, max_length: int = 100, exclude_id: int | None = None) -> str:
    """slugify(text), with -2, -3 … appended until no other row of `model` has it."""
    from marketplace.core.text import slugify
    from marketplace.extensions import db

    base = slugify(text, max_length=max_length)
    slug, n = base, 2
    while True:
        query = sa.select(model.id).where(model.slug == slug)
        if exclude_id is not None:
            query = query.where(model.id != exclude_id)
        if db.session.scalar(query) is None:
            return slug
        slug, n = f"{base}-{n}", n + 1


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
