"""Small reads made on every storefront request, on a connection kept open for them.

A cached page needs one or two tiny queries (the storefront's content version, one
product's stock). Through the request's session each would cost a pool checkout with
its ping, a BEGIN and a ROLLBACK around the query: four round trips to the database
for one row. Here each web thread keeps one connection in autocommit mode and sends
just the query. Such reads see the latest committed data and take no locks.
"""

from __future__ import annotations

import threading

import sqlalchemy as sa
from flask import current_app

from marketplace.extensions import db


def _local() -> threading.local:
    return current_app.extensions.setdefault("marketplace_reads", threading.local())


def execute(statement: sa.Executable, params: dict | None = None) -> sa.CursorResult:
    """Run a read-only statement on this thread's autocommit connection; a connection
    that was lost (database restarted) is replaced once."""
    local = _local()
    for attempt in (1, 2):
        connection = getattr(local, "connection", None)
        if connection is None or connection.closed:
            connection = local.connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            return connection.execute(statement, params or {})
        except sa.exc.DBAPIError as error:
            local.connection = None
            try:
                connection.invalidate() if error.connection_invalidated else connection.close()
            except sa.exc.SQLAlchemyError:
                pass
            if attempt == 2 or not error.connection_invalidated:
                raise
    raise AssertionError("unreachable")


def close(app) -> None:
    """Close the calling thread's connection (tests, before disposing of the engine)."""
    local = app.extensions.get("marketplace_reads")
    connection = getattr(local, "connection", None) if local is not None else None
    if connection is not None:
        connection.close()
        local.connection = None
