"""Fair prices: the one rule for what a product costs right now.

A showcased product's fair price applies while its fair is on (published, from
`starts_at` inclusive to `ends_at` exclusive, compared in UTC so midnight in Vietnam
is no special case) and only for an approved booth. When several fairs price the same
product at once the lowest price wins; a "fair price" that is not below the regular
price is ignored. After the fair the regular price is back by itself: nothing is
rewritten. Orders snapshot the price they were placed at (OrderItem.unit_price_vnd,
with the regular price beside it in regular_price_vnd).

The storefront, search and orders see these prices through the catalogue's pricing hook
(catalog.pricing), with which fairs.init_app registers this rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.catalog.pricing import AdjustedPrice
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Booth, BoothProduct, BoothStatus, Fair, FairStatus


@dataclass(frozen=True)
class FairPrice(AdjustedPrice):
    """A fair price, with the fair (and booth) it is offered at; ends_at is the fair's end."""

    fair_id: int
    fair_name: str
    fair_slug: str
    booth_id: int


def _applies(at: datetime) -> list:
    """The rule, as SQL conditions on BoothProduct joined to its Booth, Fair and Product."""
    return [
        BoothProduct.fair_price_vnd.is_not(None),
        BoothProduct.fair_price_vnd < Product.price_vnd,
        Booth.status == BoothStatus.APPROVED,
        Fair.status == FairStatus.PUBLISHED,
        Fair.starts_at <= at,
        Fair.ends_at > at,
    ]


def fair_prices(product_ids: Iterable[int], at: datetime | None = None) -> dict[int, FairPrice]:
    """{product id: its fair price now} for those of `product_ids` that have one (one query)."""
    ids = {int(i) for i in product_ids}
    if not ids:
        return {}
    at = at or utcnow()
    rows = db.session.execute(
        sa.select(
            BoothProduct.product_id,
            BoothProduct.fair_price_vnd,
            Product.price_vnd,
            Fair.id,
            Fair.name,
            Fair.slug,
            Booth.id,
            Fair.ends_at,
        )
        .join(Booth, Booth.id == BoothProduct.booth_id)
        .join(Fair, Fair.id == Booth.fair_id)
        .join(Product, Product.id == BoothProduct.product_id)
        .where(BoothProduct.product_id.in_(ids), *_applies(at))
        .order_by(BoothProduct.fair_price_vnd, Fair.id)
    )
    prices: dict[int, FairPrice] = {}
    for product_id, price, regular, fair_id, fair_name, fair_slug, booth_id, ends_at in rows:
        if product_id not in prices:  # ordered by price: the first is the lowest
            prices[product_id] = FairPrice(
                product_id=product_id,
                price_vnd=price,
                regular_price_vnd=regular,
                ends_at=ends_at,
                fair_id=fair_id,
                fair_name=fair_name,
                fair_slug=fair_slug,
                booth_id=booth_id,
            )
    return prices


def fair_price_column(at: datetime):
    """The same rule as a column to select beside Product: its lowest fair price at `at`, or
    NULL. For a query that loads products anyway (placing an order) and needs only the price:
    no second round trip."""
    return (
        sa.select(sa.func.min(BoothProduct.fair_price_vnd))
        .join(Booth, Booth.id == BoothProduct.booth_id)
        .join(Fair, Fair.id == Booth.fair_id)
        .where(BoothProduct.product_id == Product.id, *_applies(at))
        .correlate(Product)
        .scalar_subquery()
    )


def current_price_vnd(product: Product, at: datetime | None = None) -> int:
    """What one product costs now: its fair price while one applies, else its price."""
    found = fair_prices([product.id], at).get(product.id)
    return found.price_vnd if found else product.price_vnd


def price_change_instants() -> list:
    """Every moment at which a fair price starts or stops applying (published fairs):
    the storefront's pages change at these instants without any commit."""
    rows = db.session.execute(sa.select(Fair.starts_at, Fair.ends_at).where(Fair.status == FairStatus.PUBLISHED)).all()
    return [moment for row in rows for moment in row]
