"""Read-only JSON API, version 1. Described by api/openapi.py at /api/v1/openapi.json.

Public data only: it goes through catalog.queries, the same rule as the storefront.
Error reasons are given in English whatever the visitor's language, so clients
can rely on them.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask_babel import force_locale
from werkzeug.exceptions import NotFound

from marketplace.api.openapi import openapi_document
from marketplace.catalog import queries
from marketplace.catalog.models import Category, Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.core.errors import api_error
from marketplace.core.page_cache import STOCK_MARK, cached_json
from marketplace.extensions import csrf
from marketplace.fairs.pricing import FairPrice
from marketplace.search.views import read_search_request, run_search
from marketplace.traceability import batches, certificates
from marketplace.traceability.models import Certificate

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # read-only, no cookies acted on: nothing for CSRF to protect


@bp.errorhandler(queries.InvalidParameters)
def bad_parameters(error: queries.InvalidParameters):
    with force_locale("en"):
        details = {name: str(reason) for name, reason in error.errors.items()}
    return api_error(400, "Invalid query parameters", details)


NOT_FOUND_MESSAGES = {
    "api.product": "Product not found",
    "api.cooperative": "Cooperative not found",
}


@bp.errorhandler(NotFound)
def not_found(_error):
    return api_error(404, NOT_FOUND_MESSAGES.get(request.endpoint, "Not found"))


# --- serialisers --------------------------------------------------------------------


def category_json(category: Category) -> dict:
    return {"id": category.id, "name": category.name, "slug": category.slug}


_LOOK_UP = object()


def fair_price_json(fair: FairPrice | None) -> dict | None:
    if fair is None:
        return None
    return {
        "price_vnd": fair.price_vnd,
        "fair": {"slug": fair.fair_slug, "name": fair.fair_name},
        "ends_at": fair.ends_at.isoformat() + "Z",
    }


def certificate_json(cert: Certificate) -> dict:
    return {
        "kind": cert.kind.value,
        "name": certificates.label(cert),
        "ocop_stars": cert.ocop_stars,
        "number": cert.number,
        "issuer": cert.issuer,
        "issued_on": cert.issued_on.isoformat(),
        "expires_on": cert.expires_on.isoformat() if cert.expires_on else None,
        "verified": cert.verified_at is not None,
        "scope": "product" if cert.product_id else "cooperative",
    }


def batch_json(batch) -> dict:
    return {
        "code": batch.code,
        "produced_on": batch.produced_on.isoformat(),
        "best_before": batch.best_before.isoformat() if batch.best_before else None,
        "trace_url": batches.trace_url(batch, request.host_url),
    }


def product_json(
    product: Product,
    fair: FairPrice | None | object = _LOOK_UP,
    *,
    stock=None,
    certs: list | None = None,
    lots: list | object = _LOOK_UP,
) -> dict:
    """A product with its current price. `fair`: its fair price now (None: it has none), as a
    list looks them up for all its products at once; not given, it is looked up here. `certs`:
    its valid certificates today, and `lots`: its open batches, likewise."""
    if fair is _LOOK_UP:
        fair = queries.fair_prices_now([product]).get(product.id)
    if certs is None:
        certs = certificates.valid_for_products([product]).get(product.id, [])
    if lots is _LOOK_UP:
        lots = batches.open_batches([product.id]).get(product.id, [])
    return {
        "id": product.id,
        "name": product.name,
        "slug": product.slug,
        "sku": product.sku,
        # What it costs now: the fair price while one applies (as clients always read it).
        "price_vnd": fair.price_vnd if fair else product.price_vnd,
        "regular_price_vnd": product.price_vnd,
        "fair_price": fair_price_json(fair),
        "unit": product.unit,
        "stock": product.stock if stock is None else stock,
        # From a valid OCOP certificate today, even before the daily refresh of the stored stars.
        "ocop_stars": certificates.stars_among(product, certs),
        "certificates": [certificate_json(cert) for cert in certs],
        # Verified buyers' visible reviews (the reviews themselves: /products/<id>/reviews).
        "rating": {
            "average": round(product.rating_average, 1) if product.rating_count else None,
            "count": product.rating_count,
        },
        "units_sold": product.units_sold,
        "category": category_json(product.category),
        "origin": product.origin,
        "cooperative": {
            "id": product.cooperative.id,
            "name": product.cooperative.name,
            "slug": product.cooperative.slug,
        },
        "url": url_for("catalog.product", slug=product.slug, _external=True),
        "batches": [batch_json(b) for b in lots],
    }


def cooperative_json(cooperative: Cooperative) -> dict:
    return {
        "id": cooperative.id,
        "name": cooperative.name,
        "slug": cooperative.slug,
        "province": {"code": cooperative.province_code, "name": cooperative.province_name},
        "ward": {"code": cooperative.ward_code, "name": cooperative.ward_name},
        "is_youth": cooperative.is_youth,
        "member_count": cooperative.member_count,
        "youth_member_count": cooperative.youth_member_count,
        "founded_on": cooperative.founded_on.isoformat() if cooperative.founded_on else None,
        "url": url_for("cooperatives.show", slug=cooperative.slug, _external=True),
    }


def page_json(pagination, serialise) -> dict:
    return {
        "items": [serialise(item) for item in pagination.items],
        "total": pagination.total,
        "page": pagination.page,
        "pages": pagination.pages,
    }


# --- endpoints ----------------------------------------------------------------------


# Lists are cached per storefront version; each product's exact stock (which a sale
# changes without a new version) is filled in per request from one query.


@bp.get("/products")
def products():
    return cached_json(products_page, stocks=queries.product_stocks)


def products_page() -> dict:
    search = read_search_request(request.args, per_page=current_app.config["PER_PAGE"], allow_per_page=True)
    if search.query:
        # The search engine ranks the words; no silent spelling correction for programs.
        pagination = run_search(search, with_facets=False, autocorrect=False)
    else:
        pagination = queries.search_products(search.filters, cards=False)  # with categories
    fair = queries.fair_prices_now(pagination.items)  # one query for the page
    certs = certificates.valid_for_products(pagination.items)  # one for the certificates
    lots = batches.open_batches([p.id for p in pagination.items])  # and one for their batches
    return page_json(
        pagination,
        lambda product: product_json(
            product,
            fair.get(product.id),
            stock=STOCK_MARK.format(product.id),
            certs=certs.get(product.id, []),
            lots=lots.get(product.id, []),
        ),
    )


@bp.get("/products/<int:product_id>")
def product(product_id: int):
    def make() -> dict:
        found = queries.get_public_product_by_id(product_id)
        return product_json(found, stock=STOCK_MARK.format(found.id))

    return cached_json(make, stocks=queries.product_stocks)


@bp.get("/cooperatives")
def cooperatives():
    def make() -> dict:
        filters = queries.read_cooperative_filters(
            request.args, per_page=current_app.config["PER_PAGE"], allow_per_page=True
        )
        return page_json(queries.search_cooperatives(filters), cooperative_json)

    return cached_json(make)


@bp.get("/cooperatives/<slug>")
def cooperative(slug: str):
    return cached_json(lambda: cooperative_json(queries.get_public_cooperative(slug)))


@bp.get("/provinces")
def provinces():
    return jsonify({"items": [{"code": code, "name": name} for code, name in geo.provinces()]})


@bp.get("/provinces/<int:code>/wards")
def wards(code: int):
    if not geo.is_valid_province(code):
        return api_error(404, "Unknown province")
    return jsonify({"items": [{"code": ward_code, "name": name} for ward_code, name in geo.wards(code)]})


@bp.get("/openapi.json")
def openapi():
    server_url = url_for("api.products", _external=True).rsplit("/", 1)[0]
    return jsonify(openapi_document(server_url, per_page=current_app.config["PER_PAGE"]))


from marketplace.api import fairs, orders, reports, reviews  # noqa: E402, F401 - register /fairs, /orders, /reports, /products/<id>/reviews on bp
