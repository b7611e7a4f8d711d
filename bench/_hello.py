"""The smallest Flask app: the storefront benchmark's yardstick for the same gunicorn and load tool.

gunicorn -w 2 -k sync -b 127.0.0.1:8000 'bench._hello:create_app()'   # from the checkout's top
"""

from __future__ import annotations

from flask import Flask


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/")
    def hello() -> str:
        return "Hello, World!"

    return app
