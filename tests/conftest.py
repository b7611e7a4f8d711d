"""Test fixtures: one schema built by the real migrations, emptied after every test.

SQLite by default (a temporary file); PostgreSQL when DATABASE_URL is set.
Tables are emptied rather than rolled back so tests may use threads, processes and
real commits exactly as the application does.
"""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa
from flask import g, request_started

from marketplace import create_app
from marketplace.core import reads
from marketplace.core.migrations import upgrade_database
from marketplace.extensions import db
from tests import factories
from tests.api.contract import ContractClient

BASE_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key",
    "WTF_CSRF_ENABLED": False,
    "MAIL_BACKEND": "memory",
    # Queued email is sent by the request that queued it, before the test client returns.
    "MAIL_QUEUE": "inline",
    "SERVER_NAME": "localhost",
    # Hashing each factory user's password with scrypt would cost ~0.2 s.
    "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",
}


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgresql://", "postgresql+psycopg://", 1) if url.startswith("postgresql://") else url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = _database_url(tmp_path_factory)
    if url.startswith("postgresql"):
        engine = sa.create_engine(url)
        with engine.begin() as connection:
            connection.execute(sa.text("DROP SCHEMA public CASCADE"))
            connection.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    app = create_app(
        {**BASE_CONFIG, "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(tmp_path_factory.mktemp("u"))}
    )
    with app.app_context():
        upgrade_database()
        db.engine.dispose()
    return url


def make_app(database_url: str, tmp_path, **overrides):
    config = {
        **BASE_CONFIG,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
    }
    config.update(overrides)
    app = create_app(config)
    request_started.connect(_empty_g, app)
    app.test_client_class = ContractClient  # every /api/ call is checked against the OpenAPI document
    return app


def _empty_g(_app, **_extra) -> None:
    """Tests hold one app context open around many requests, so `g` (the signed-in user,
    the locale) would outlive a request; in production each request starts with an empty g."""
    for name in list(g):
        g.pop(name)


def empty_all_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for table in reversed(db.metadata.sorted_tables):
            # Rows pointing at rows of the same table (sub-categories) would block the DELETE.
            for fk in table.foreign_keys:
                if fk.column.table is table:
                    db.session.execute(table.update().values({fk.parent.name: None}))
            db.session.execute(sa.text(f'DELETE FROM "{table.name}"'))
    db.session.commit()


@pytest.fixture
def app(database_url, tmp_path):
    app = make_app(database_url, tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.session.remove()
        reads.close(app)
        db.engine.dispose()


@pytest.fixture
def csrf_app(database_url, tmp_path):
    """The app with CSRF protection on, as in production."""
    app = make_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()
        empty_all_tables()
        db.session.remove()
        reads.close(app)
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factory helpers bound to the test database: make.user(...), make.product(...)."""
    return factories


@pytest.fixture
def outbox(app):
    from marketplace.core.mail import outbox

    return outbox()
