"""The app as web servers load it: `gunicorn 'marketplace.wsgi:app'` (or `wsgi:app` from a checkout).

Each worker imports this module, so each opens its search index while it starts serving."""

from marketplace import create_app
from marketplace.search.engine import warm_up_in_background

app = create_app()
warm_up_in_background(app)
