"""Language choice: Vietnamese by default, English on request (kept in the session)."""

from __future__ import annotations

from flask import Blueprint, current_app, has_request_context, redirect, request, session
from flask_babel import get_locale

from marketplace.core.security import safe_next_url

bp = Blueprint("i18n", __name__)


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    # Outside a request (CLI imports, demo loader) there is no session: use the default.
    wanted = session.get("lang") if has_request_context() else None
    return wanted if wanted in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


@bp.get("/lang/<code>")
def switch_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next_url(request.args.get("next")))


def init_app(app) -> None:
    app.register_blueprint(bp)

    @app.context_processor
    def language_context():
        return {"current_locale": str(get_locale()), "languages": app.config["LANGUAGES"]}
