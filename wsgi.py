"""Entry point for gunicorn: `gunicorn -w 4 -b 0.0.0.0:8000 wsgi:app`."""

from marketplace import create_app

app = create_app()
