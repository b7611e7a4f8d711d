"""What the cooperative pages show of the catalogue, which sits a layer above them.

A cooperative's dashboard shows its products by status and those running low; the agency's
home counts active products and categories, its page of a cooperative that cooperative's
products. The catalogue provides these figures when the app starts (catalog.init_app calls
`provide`); the pages ask `figures()`, so cooperatives never import the catalogue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Figures:
    products_by_status: Callable  # (cooperative) -> {status value: count}, every status present
    running_low: Callable  # (cooperative) -> its active products with little stock left, fewest first
    product_count: Callable  # (cooperative) -> how many products it has, whatever their status
    active_products: Callable  # () -> active products of every cooperative
    category_count: Callable  # () -> categories


_provided: dict[str, Figures] = {}


def provide(figures: Figures) -> None:
    _provided["catalogue"] = figures


def figures() -> Figures:
    try:
        return _provided["catalogue"]
    except KeyError:
        raise RuntimeError("No catalogue figures: create_app() wires them (catalog.init_app)") from None
