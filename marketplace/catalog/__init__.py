"""The catalogue: products and categories, their photos, the storefront's queries and pages."""

from __future__ import annotations


def init_app(app) -> None:
    """Provide the product counts the cooperative pages show (cooperatives.catalogue)."""
    from marketplace.catalog import figures
    from marketplace.cooperatives import catalogue

    catalogue.provide(
        catalogue.Figures(
            products_by_status=figures.products_by_status,
            running_low=figures.running_low,
            product_count=figures.product_count,
            active_products=figures.active_products,
            category_count=figures.category_count,
        )
    )
