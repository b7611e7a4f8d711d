"""Alembic (through Flask-Migrate), loaded only where migrations run.

Importing Alembic costs every web worker about 10 MB that it never uses (measured by
`bench/memory.py`), so the app registers a `db` command group that imports Flask-Migrate
when one of its commands is looked up, and code that migrates (the demo, the tests, the
benchmarks) calls `upgrade_database()`.
"""

from __future__ import annotations

import logging

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo

from marketplace.extensions import db


def migrations_directory() -> str:
    from marketplace import resource_dir

    return str(resource_dir("migrations"))


def init_migrations(app: Flask) -> None:
    """Bind Flask-Migrate to `app` (once): what `flask_migrate`'s commands and functions need."""
    if "migrate" in app.extensions:
        return
    # Alembic announces each of its plugins at INFO when imported, and the app logs at INFO.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
    from flask_migrate import Migrate

    # SQLite alters tables by copying them ("batch" mode); PostgreSQL ignores the flag.
    Migrate(app, db, directory=migrations_directory(), render_as_batch=True)


def upgrade_database(revision: str = "head") -> None:
    """`marketplace db upgrade` for the current app, from Python."""
    init_migrations(current_app._get_current_object())
    from flask_migrate import upgrade

    upgrade(revision=revision)


class MigrationCommands(click.Group):
    """`marketplace db …`: stands in for Flask-Migrate's command group until it is used, then
    hands the whole command line (its options included) to the real group."""

    @staticmethod
    def _commands() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        init_migrations(parent.ensure_object(ScriptInfo).load_app())
        return self._commands().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._commands().get_command(ctx, name)


def register_commands(app: Flask) -> None:
    app.cli.add_command(MigrationCommands("db", help="Database migrations (Alembic): upgrade, current, history, …"))
