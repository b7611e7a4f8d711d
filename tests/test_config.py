"""Settings from the environment: safe defaults, and production refuses unsafe ones."""

from __future__ import annotations

import pytest

from marketplace import create_app
from marketplace.config import ConfigError


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("SECRET_KEY", "MARKETPLACE_PRODUCTION", "DATABASE_URL", "UPLOAD_FOLDER"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    return monkeypatch


def test_production_refuses_to_start_without_secret_key(clean_env):
    clean_env.setenv("MARKETPLACE_PRODUCTION", "1")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_sets_secure_cookie_flags(clean_env):
    clean_env.setenv("MARKETPLACE_PRODUCTION", "1")
    clean_env.setenv("SECRET_KEY", "a-long-production-secret")
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def test_without_secret_key_a_generated_one_is_kept_in_the_instance_folder(clean_env, tmp_path):
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    again = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert (tmp_path / "instance" / "secret_key").read_text() == first.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == again.config["SECRET_KEY"]
    assert first.config["SESSION_COOKIE_SECURE"] is False


def test_database_url_and_uploads_default_to_the_instance_folder(clean_env, tmp_path):
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///" + str(tmp_path / "instance" / "marketplace.sqlite3")
    assert app.config["UPLOAD_FOLDER"] == str(tmp_path / "instance" / "uploads")


def test_postgresql_urls_use_psycopg3(clean_env):
    clean_env.setenv("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
