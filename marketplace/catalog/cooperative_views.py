"""The public cooperative directory and each approved cooperative's page with its products.

Storefront pages, so they live with the storefront's queries (catalog.queries decides what
the public may see); the blueprint keeps its name, `cooperatives`.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from marketplace.catalog import certification, queries
from marketplace.core import geo
from marketplace.core.page_cache import cached_page

bp = Blueprint("cooperatives", __name__, url_prefix="/cooperatives")


@bp.get("/")
def index():
    return cached_page(render_index)


def render_index() -> str:
    filters = queries.read_cooperative_filters(request.args, per_page=current_app.config["PER_PAGE"])
    pagination = queries.search_cooperatives(filters)
    if pagination.page > 1 and not pagination.items:
        abort(404)
    return render_template("cooperatives/index.html", filters=filters, pagination=pagination, provinces=geo.provinces())


@bp.get("/<slug>")
def show(slug: str):
    return cached_page(lambda: render_show(slug))


def render_show(slug: str) -> str:
    cooperative = queries.get_public_cooperative(slug)
    filters = queries.ProductFilters(
        cooperative=cooperative, page=queries.read_page(request.args), per_page=current_app.config["PER_PAGE"]
    )
    products = queries.search_products(filters)
    if products.page > 1 and not products.items:
        abort(404)
    return render_template(
        "cooperatives/show.html",
        cooperative=cooperative,
        products=products,
        certificates=certification.cooperative_certificates(cooperative),
    )
