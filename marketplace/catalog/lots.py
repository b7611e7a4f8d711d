"""Stock kept by batch (lot): the hook through which orders and fairs take a product's units
from its batches and give them back.

The catalogue owns a product's stock counter (Product.stock), which orders take with one
conditional UPDATE (orders.services.take_stock): that counter is what guarantees no unit is
sold twice. A product with batches (Product.stock_by_batch) keeps its counter equal to the
sum of its open batches' stock; traceability (above) registers a LotKeeper here that, in the
same transaction and after the counter was taken, takes the same units from the batches
(first-expiring first) and records which batch each unit went to, and that gives them back
to their batches on a cancel or a void (units of a recalled batch stay off sale).

Without a keeper (or for a product without batches) every call here does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class LotKeeper(Protocol):
    def take(self, product_id: int, quantity: int, *, order_item_id=None, on_site_sale_id=None) -> None:
        """Take `quantity` units, already taken from the product's counter, from its batches."""

    def give_back(self, product_id: int, quantity: int, *, order_item_id=None, on_site_sale_id=None) -> int:
        """Give back what an order item or a sale took from the batches; returns how many
        units are on sale again (the product's counter goes up by that, not by `quantity`)."""

    def set_stock(self, product, stock: int, *, on_site_sale_id=None, sold: int = 0, by=None) -> None:
        """Make the product's stock `stock` by taking units from its batches (first-expiring
        first): the first `sold` of them go to the on-site sale, the rest are withdrawn."""


@dataclass
class _Registry:
    keeper: LotKeeper | None = None


_registry = _Registry()


def register(keeper: LotKeeper) -> None:
    """Called from traceability's init_app (create_app); registering again replaces."""
    _registry.keeper = keeper


def keeper() -> LotKeeper | None:
    return _registry.keeper


def take(product, quantity: int, *, order_item_id=None, on_site_sale_id=None) -> None:
    if product.stock_by_batch and _registry.keeper is not None:
        _registry.keeper.take(product.id, quantity, order_item_id=order_item_id, on_site_sale_id=on_site_sale_id)
