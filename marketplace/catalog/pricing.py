"""What a product costs now: its own price, or a lower one that a package above offers.

The catalogue owns a product's regular price (Product.price_vnd). Fairs sell showcased
products for less while they are on (fairs.pricing); they register a price adjuster here
when the app starts (fairs.init_app), so the storefront, search and orders ask this module
and never import the package that lowers the price. An adjuster gives its rule three ways:

- `prices(product_ids, at)`: {product id: AdjustedPrice} of those it lowers at `at` (None:
  now, by the adjuster's clock), in one query;
- `price_column(at)`: the same rule as a column to select beside Product (the lowered price,
  or NULL), so placing an order reads its products and their prices in one statement;
- `change_instants()`: the moments its prices start or stop applying, at which public pages
  change without any commit (the storefront cache's time boundaries, marketplace/storefront.py).

With several adjusters the lowest price wins. Orders snapshot the price they were placed at
(OrderItem.unit_price_vnd, with the regular price beside it in regular_price_vnd).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa


@dataclass(frozen=True)
class AdjustedPrice:
    """A product's lowered price now (an adjuster may subclass it to say where it comes from)."""

    product_id: int
    price_vnd: int
    regular_price_vnd: int
    ends_at: datetime  # naive UTC: the lower price ends at this instant

    @property
    def saving_vnd(self) -> int:
        return self.regular_price_vnd - self.price_vnd


@dataclass(frozen=True)
class Adjuster:
    name: str
    prices: Callable[[set[int], datetime | None], dict[int, AdjustedPrice]]
    price_column: Callable[[object], sa.ColumnElement]
    change_instants: Callable[[], Iterable[datetime]]


_adjusters: dict[str, Adjuster] = {}


def register_adjuster(adjuster: Adjuster) -> None:
    """Called from the adjusting package's init_app (create_app); registering again replaces."""
    _adjusters[adjuster.name] = adjuster


def adjusted_prices(product_ids: Iterable[int], at: datetime | None = None) -> dict[int, AdjustedPrice]:
    """{product id: its lowered price at `at`} for those of `product_ids` that have one: one
    query per adjuster, none for no products."""
    ids = {int(i) for i in product_ids}
    found: dict[int, AdjustedPrice] = {}
    if not ids:
        return found
    for adjuster in _adjusters.values():
        for product_id, price in adjuster.prices(ids, at).items():
            if product_id not in found or price.price_vnd < found[product_id].price_vnd:
                found[product_id] = price
    return found


def current_price_vnd(product, at: datetime | None = None) -> int:
    """What one product costs at `at` (now): its lowest adjusted price, else its price."""
    found = adjusted_prices([product.id], at).get(product.id)
    return found.price_vnd if found else product.price_vnd


def adjusted_price_column(at) -> sa.ColumnElement:
    """The lowest adjusted price at `at` (a datetime or a bind parameter) as a column beside
    Product, or NULL when none applies."""
    lowest = None
    for adjuster in _adjusters.values():
        column = adjuster.price_column(at)
        lowest = (
            column if lowest is None else sa.case((lowest.is_(None), column), (column < lowest, column), else_=lowest)
        )
    return sa.null() if lowest is None else lowest


def change_instants() -> list[datetime]:
    """Every moment at which an adjusted price starts or stops applying."""
    return [moment for adjuster in _adjusters.values() for moment in adjuster.change_instants()]
