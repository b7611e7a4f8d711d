"""The public storefront: home, product listing, categories and product pages."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import format_date, get_locale, to_user_timezone
from flask_babel import gettext as _

from marketplace.catalog import certification, queries
from marketplace.core import geo
from marketplace.core.page_cache import cached_page

bp = Blueprint("catalog", __name__)


@bp.app_errorhandler(queries.InvalidParameters)
def bad_filters(error: queries.InvalidParameters):
    """A 400 page naming each filter that could not be used, with a way back."""
    return render_template("catalog/bad_filters.html", errors=error.errors), 400


@bp.app_template_global()
def page_url(page: int) -> str:
    """This listing's URL with the same filters, on another page."""
    args = {key: value for key, value in request.args.items() if value and key != "page"}
    if page > 1:
        args["page"] = page
    return url_for(request.endpoint, **{**args, **(request.view_args or {})})


@bp.app_template_filter("short_day")
def short_day(value) -> str:
    """A stored UTC moment as its day in Vietnam, without the year: "05/12" (vi), "Dec 5" (en)."""
    if value is None:
        return ""
    day = to_user_timezone(value).date() if isinstance(value, datetime) else value
    return format_date(day, "dd/MM" if str(get_locale()) == "vi" else "MMM d")


@bp.app_template_global()
def fair_price_of(product):
    """The product's fair price now (a FairPrice), or None: see queries.fair_prices_now."""
    return queries.fair_prices_now([product]).get(product.id)


@bp.app_template_global()
def prefetch_fair_prices(products) -> str:
    """Look up the fair prices of a list of products at once (one query); renders nothing."""
    queries.fair_prices_now(list(products))
    return ""


def sort_choices() -> list[tuple[str, str]]:
    return [("newest", _("Newest")), ("price_asc", _("Price: low to high")), ("price_desc", _("Price: high to low"))]


def listing_context(filters: queries.ProductFilters) -> dict:
    pagination = queries.search_products(filters)
    if pagination.page > 1 and not pagination.items:
        abort(404)
    return {
        "filters": filters,
        "pagination": pagination,
        "provinces": geo.provinces(),
        "categories": queries.top_categories(),
        "sorts": sort_choices(),
    }


@bp.get("/")
def home():
    return cached_page(render_home)


def render_home() -> str:
    featured = queries.featured_products()
    # A featured product is often the newest too: each product appears once.
    newest = queries.newest_products(exclude=featured)
    queries.fair_prices_now(featured + newest)  # both grids' fair prices in one query
    return render_template(
        "catalog/home.html",
        featured=featured,
        newest=newest,
        cooperatives=queries.some_cooperatives(),
        categories=queries.top_categories(),
        counts=queries.public_product_counts(),
    )


@bp.get("/products")
def products():
    def render() -> str:
        filters = queries.read_product_filters(request.args, per_page=current_app.config["PER_PAGE"])
        return render_template("catalog/products.html", **listing_context(filters))

    return cached_page(render)


@bp.get("/categories")
def categories():
    return cached_page(
        lambda: render_template(
            "catalog/categories.html", categories=queries.top_categories(), counts=queries.public_product_counts()
        )
    )


@bp.get("/categories/<slug>")
def category(slug: str):
    def render() -> str:
        category = queries.get_category(slug)
        filters = queries.read_product_filters(request.args, per_page=current_app.config["PER_PAGE"], category=category)
        return render_template("catalog/category.html", category=category, **listing_context(filters))

    return cached_page(render)


@bp.get("/products/<slug>")
def product(slug: str):
    def render() -> str:
        product = queries.get_public_product(slug)
        related = queries.related_products(product)
        queries.fair_prices_now([product, *related])  # the page's fair prices in one query
        # From the certificates valid today (catalog.certification), not the stored column.
        certificates, certified_stars = certification.for_product(product)
        return render_template(
            "catalog/product.html",
            product=product,
            fair=fair_price_of(product),
            related=related,
            certificates=certificates,
            certified_stars=certified_stars,
        )

    # The page shows its exact stock (the quantity allowed), which sales change without
    # changing the storefront's version.
    return cached_page(render, vary=[queries.public_product_stock(slug)])
