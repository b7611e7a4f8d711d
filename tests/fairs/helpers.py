"""Races in view tests: another request's change lands while this one is under way."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from marketplace.extensions import db


@contextmanager
def committed_before_writing(model, statement) -> Iterator[None]:
    """Run `statement` on a connection of its own and commit it just before the session
    first writes a `model` row: as if another request had committed it after this one
    checked the rule and before it wrote."""
    done = []

    def run(session, _context, _instances):
        if done or not any(isinstance(row, model) for row in (*session.new, *session.dirty)):
            return
        done.append(statement)
        with db.engine.begin() as connection:
            connection.execute(statement)

    event.listen(db.session, "before_flush", run)
    try:
        yield
    finally:
        event.remove(db.session, "before_flush", run)
    assert done, f"nothing wrote a {model.__name__}"
