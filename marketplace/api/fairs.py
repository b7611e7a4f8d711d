"""Fairs through the JSON API: public fairs by phase, one fair with its booths and prices.

Same visibility as the web pages (fairs.queries): drafts are never listed and are 404s,
only approved booths of approved cooperatives and public products are shown. Prices are
the ones that apply when the request is answered (fairs.pricing). Times are UTC, ISO 8601.
"""

from __future__ import annotations

from datetime import datetime

from flask import current_app, jsonify, request, url_for

from marketplace.api.views import NOT_FOUND_MESSAGES, bp, page_json
from marketplace.core.models import utcnow
from marketplace.fairs import queries
from marketplace.fairs.models import Fair

NOT_FOUND_MESSAGES["api.fair"] = "Fair not found"


def _time(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") + "Z" if value else None


def fair_json(fair: Fair, at: datetime, booth_count: int) -> dict:
    return {
        "slug": fair.slug,
        "name": fair.name,
        "kind": fair.kind.value,
        "status": fair.status.value,
        "phase": fair.phase(at),
        "starts_at": _time(fair.starts_at),
        "ends_at": _time(fair.ends_at),
        "applications_close_at": _time(fair.applications_close_at),
        "venue": fair.venue,
        "address": {
            "province": {"code": fair.province_code, "name": fair.province_name or None},
            "ward": {"code": fair.ward_code, "name": fair.ward_name or None},
            "street": fair.street,
        },
        "organisers": [{"id": a.id, "name": a.name, "kind": a.kind.value} for a in fair.organisers],
        "description": fair.description,
        "banner_url": url_for("media.image", stem=fair.banner_stem, size="large", _external=True)
        if fair.banner_stem
        else None,
        "booth_count": booth_count,
        "url": url_for("fairs.fair", slug=fair.slug, _external=True),
    }


def showcased_json(item: queries.Showcased) -> dict:
    product = item.product
    return {
        "id": product.id,
        "name": product.name,
        "slug": product.slug,
        "unit": product.unit,
        "stock": product.stock,
        # The same price fields as the products API: price_vnd is what it costs now.
        "price_vnd": item.current_price_vnd,
        "regular_price_vnd": item.regular_price_vnd,
        "fair_price": {
            "price_vnd": item.applied.price_vnd,
            "fair": {"slug": item.applied.fair_slug, "name": item.applied.fair_name},
            "ends_at": _time(item.applied.ends_at),
        }
        if item.applied
        else None,
        "booth_fair_price_vnd": item.announced_fair_price_vnd,
        "url": url_for("catalog.product", slug=product.slug, _external=True),
    }


def booth_json(fair: Fair, entry: queries.BoothEntry) -> dict:
    cooperative = entry.cooperative
    return {
        "number": entry.booth.number,
        "cooperative": {
            "id": cooperative.id,
            "name": cooperative.name,
            "slug": cooperative.slug,
            "url": url_for("cooperatives.show", slug=cooperative.slug, _external=True),
        },
        "products": [showcased_json(item) for item in entry.showcased],
        "url": url_for("fairs.booth", slug=fair.slug, number=entry.booth.number, _external=True),
    }


@bp.get("/fairs")
def fairs():
    now = utcnow()
    filters = queries.read_fair_filters(request.args, per_page=current_app.config["PER_PAGE"], allow_per_page=True)
    pagination = queries.paginate_fairs(filters.phase, filters.page, filters.per_page, now)
    counts = queries.booth_counts(fair.id for fair in pagination.items)
    return jsonify(page_json(pagination, lambda fair: fair_json(fair, now, counts.get(fair.id, 0))))


@bp.get("/fairs/<slug>")
def fair(slug: str):
    page = queries.fair_page(slug, utcnow())
    return jsonify(
        {**fair_json(page.fair, page.at, len(page.booths)), "booths": [booth_json(page.fair, e) for e in page.booths]}
    )
