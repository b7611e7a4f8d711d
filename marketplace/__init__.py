"""Youth-cooperative marketplace: the application factory."""

from __future__ import annotations

import copy
import logging
import os
from pathlib import Path

from flask import Flask

from marketplace import config as settings
from marketplace.extensions import babel, compress, csrf, db, login_manager

PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """templates/, static/ and migrations/: inside an installed wheel, or at the repository top."""
    for candidate in (PACKAGE_DIR / name, PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise RuntimeError(f"Cannot find the {name}/ folder next to {PACKAGE_DIR}")


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides the environment (tests use it)."""
    instance_path = os.environ.get("INSTANCE_PATH")
    app = Flask(
        __name__,
        template_folder=str(resource_dir("templates")),
        static_folder=str(resource_dir("static")),
        instance_path=str(Path(instance_path).resolve()) if instance_path else None,
    )
    # Deep copy: create_app() fills nested defaults (engine options) per app.
    app.config.update(copy.deepcopy(settings.DEFAULTS))
    overrides = config or {}
    app.config.update(settings.from_environment(app.instance_path, overrides.get("SECRET_KEY")))
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        # Behind nginx or a load balancer: take the client address and scheme from the
        # proxy's X-Forwarded-* headers (sign-in rate limits count per client address).
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    register_extensions(app)
    register_blueprints(app)
    register_template_helpers(app)
    register_errorhandlers(app)
    register_commands(app)
    if not app.debug and not app.testing:
        logging.basicConfig(level=logging.INFO)
    return app


def register_extensions(app: Flask) -> None:
    from marketplace.core import i18n, migrations

    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # Wait for a busy writer instead of failing at once ("database is locked").
        options = app.config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        options.setdefault("connect_args", {}).setdefault("timeout", 30)
    db.init_app(app)
    with app.app_context():
        _configure_engine(db.engine)
    migrations.register_commands(app)
    login_manager.init_app(app)
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    # Import every feature's models so metadata is complete for Alembic.
    import marketplace.models  # noqa: F401
    from marketplace import catalog, fairs, payments, promotion, search, storefront
    from marketplace.accounts import session
    from marketplace.mail import queue as mail_queue
    from marketplace.orders import cart, labels, payment_methods
    from marketplace.traceability import certificates, lots

    session.init_app(app)
    # Hooks: each feature registers with the lower packages it extends (README, Architecture).
    catalog.init_app(app)
    fairs.init_app(app)
    promotion.init_app(app)
    cart.init_app(app)
    payment_methods.init_app(app)  # cash on delivery, first
    payments.init_app(app)  # then bank transfer and card
    labels.init_app(app)
    search.init_app(app)
    mail_queue.init_app(app)
    certificates.init_app(app)  # the catalogue's certificates and OCOP stars
    lots.init_app(app)  # stock by batch for orders and on-site sales
    storefront.init_app(app)
    compress.init_app(app)


def _configure_engine(engine) -> None:
    from sqlalchemy import event

    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # SQLite ignores foreign keys unless asked; WAL lets readers work during a write.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def register_blueprints(app: Flask) -> None:
    from marketplace.blueprints import BLUEPRINTS
    from marketplace.core import routing

    routing.init_app(app)
    for blueprint in BLUEPRINTS():
        app.register_blueprint(blueprint)


def register_template_helpers(app: Flask) -> None:
    from marketplace.core import formatting, i18n, security, uploads

    formatting.init_app(app)
    i18n.init_app(app)
    security.init_app(app)
    uploads.init_app(app)  # files per request and per hour, before any view reads them


def register_errorhandlers(app: Flask) -> None:
    from marketplace.core import errors, transaction

    errors.init_app(app)
    # Registered last so that its after_request runs first: the commit happens before the
    # other after_request functions (headers, compression) see the response.
    transaction.init_app(app)


def register_commands(app: Flask) -> None:
    from marketplace.commands import COMMANDS

    for command in COMMANDS():
        app.cli.add_command(command)
