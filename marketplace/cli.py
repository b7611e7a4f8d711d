"""The `marketplace` console script: Flask's command group bound to this app."""

from __future__ import annotations

from flask.cli import FlaskGroup

from marketplace import create_app


def _create_app():
    return create_app()


main = FlaskGroup(
    create_app=_create_app,
    help="Youth-cooperative marketplace. Examples: marketplace demo; marketplace db upgrade; marketplace run.",
)

if __name__ == "__main__":
    main()
