"""Product search on a Whoosh index that the database can always rebuild.

Public API (see engine.py): `search_products`, `suggest`, `SearchResults`,
`products_in_order`. Freshness (changes.py, index.py): every product change is
recorded in `search_changes` in the same transaction and applied to the index
after the commit; searches catch up from that log first. Wired in `init_app`.
"""

from __future__ import annotations


def init_app(app) -> None:
    from marketplace.search import changes

    changes.init_app(app)
