"""A public product's reviews through the JSON API: its figures and its visible reviews, paged.

Same visibility as the product page: only public products (else 404), hidden reviews never.
Authors are given as on the page, shortened ("L. T. Hoa"). Times are UTC, ISO 8601.
"""

from __future__ import annotations

from flask import request, url_for

from marketplace.api.views import NOT_FOUND_MESSAGES, bp, page_json
from marketplace.catalog import queries
from marketplace.core.page_cache import cached_json
from marketplace.extensions import db
from marketplace.reviews import services
from marketplace.reviews.models import Review
from marketplace.reviews.views import public_name

NOT_FOUND_MESSAGES["api.product_reviews"] = "Product not found"
PER_PAGE = 10


def review_json(review: Review) -> dict:
    return {
        "id": review.id,
        "rating": review.rating,
        "text": review.text,
        "author": public_name(review.author.full_name),
        "created_at": review.created_at.isoformat(timespec="seconds") + "Z",
        "photos": [url_for("media.image", stem=p.stem, size="large", _external=True) for p in review.photos],
        "reply": {
            "text": review.reply_text,
            "replied_at": review.replied_at.isoformat(timespec="seconds") + "Z",
        }
        if review.reply_text is not None and review.replied_at
        else None,
    }


@bp.get("/products/<int:product_id>/reviews")
def product_reviews(product_id: int):
    def make() -> dict:
        product = queries.get_public_product_by_id(product_id)
        page = queries.read_page(request.args)  # a bad one is a 400 naming it
        pagination = db.paginate(services.visible_reviews(product.id), page=page, per_page=PER_PAGE, error_out=False)
        summary = services.summary(product.id)
        return {
            "product_id": product.id,
            "units_sold": product.units_sold,
            "rating": {
                "average": round(summary.average, 2) if summary.average is not None else None,
                "count": summary.count,
                "distribution": {str(stars): summary.distribution[stars] for stars in (5, 4, 3, 2, 1)},
            },
            **page_json(pagination, review_json),
        }

    return cached_json(make)
