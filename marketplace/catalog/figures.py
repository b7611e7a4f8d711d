"""Counts of products and categories that the cooperative pages show (cooperatives.catalogue):
a cooperative's dashboard, the agency's home and its page of a cooperative. One query each."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.catalog.models import Category, Product, ProductStatus
from marketplace.extensions import db

LOW_STOCK = 5


def products_by_status(cooperative) -> dict[str, int]:
    rows = db.session.execute(
        select(Product.status, func.count(Product.id))
        .where(Product.cooperative_id == cooperative.id)
        .group_by(Product.status)
    ).all()
    counts = {status.value: 0 for status in ProductStatus}
    for status, count in rows:
        counts[ProductStatus(status).value] = count
    return counts


def running_low(cooperative, limit: int = 20) -> list[Product]:
    return list(
        db.session.scalars(
            select(Product)
            .where(
                Product.cooperative_id == cooperative.id,
                Product.status == ProductStatus.ACTIVE,
                Product.stock <= LOW_STOCK,
            )
            .order_by(Product.stock, Product.name)
            .limit(limit)
        ).all()
    )


def product_count(cooperative) -> int:
    return db.session.scalar(select(func.count(Product.id)).where(Product.cooperative_id == cooperative.id))


def active_products() -> int:
    return db.session.scalar(select(func.count(Product.id)).where(Product.status == ProductStatus.ACTIVE))


def category_count() -> int:
    return db.session.scalar(select(func.count(Category.id)))
