"""Entry point for gunicorn from a checkout: `gunicorn -w 4 -b 0.0.0.0:8000 wsgi:app`."""

from marketplace.wsgi import app

__all__ = ["app"]
