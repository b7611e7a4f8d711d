"""URL converters shared by every blueprint."""

from __future__ import annotations

from werkzeug.routing import IntegerConverter

# Ids are INTEGER columns. A longer number in a URL would overflow the database
# driver (a 500); no row has such an id, so the URL simply does not match (a 404).
MAX_ID = 2**31 - 1


class DatabaseIdConverter(IntegerConverter):
    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002 - Werkzeug's names
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app) -> None:
    """Before the blueprints: a rule picks its converter when it is added."""
    app.url_map.converters["int"] = DatabaseIdConverter
