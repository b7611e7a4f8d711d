"""The `?page=` of a listing, read safely.

Flask-SQLAlchemy passes any page number to the database's OFFSET, where a huge one
overflows the integer type (a 500 instead of a clear answer). No listing here comes
near MAX_PAGE pages, so anything beyond is treated like any other page past the end.
"""

from __future__ import annotations

from flask import abort, request

MAX_PAGE = 100_000


def requested_page(*, error_out: bool = False) -> int:
    """1 when absent; with `error_out` a 404 for anything not a page number (as
    Flask-SQLAlchemy does), otherwise page 1 for nonsense and MAX_PAGE for huge numbers."""
    try:
        page = int(request.args.get("page", 1))
    except ValueError:
        page = 0
    if 1 <= page <= MAX_PAGE:
        return page
    if error_out:
        abort(404)
    return MAX_PAGE if page > MAX_PAGE else 1
