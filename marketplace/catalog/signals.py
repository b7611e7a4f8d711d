"""What the catalogue announces, for the packages above it to listen to (blinker signals).

`products_written` is sent with the session and `product_ids` when products were written
by a Core statement on `Product.__table__` (the CSV import's bulk INSERT and UPDATE), which
the session's listeners cannot see. Search connects to it (search.changes.init_app) and logs
the products for its index and the storefront cache, in the same transaction.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

products_written = _signals.signal("products-written")
