"""GET /api/v1/products/<id>/reviews: the figures and visible reviews, as documented."""

from __future__ import annotations

import io

import sqlalchemy as sa

from marketplace.extensions import db
from marketplace.reviews import services
from marketplace.reviews.models import Review
from tests import factories as f
from tests.reviews.helpers import Shop, png


def documented(client) -> dict:
    return client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]


def test_reviews_of_a_product(client, app):
    shop = Shop()
    review = services.write_review(shop.customer, shop.item(shop.lychee), 4, "Ngon", [io.BytesIO(png())])
    services.reply(review, shop.manager, "Cảm ơn")
    hidden = services.write_review(shop.customer, shop.item(shop.honey), 1, "Spam")
    services.hide(hidden, shop.staff, "Quảng cáo")
    f.commit()
    body = client.get(f"/api/v1/products/{shop.lychee.id}/reviews").get_json()
    assert body["units_sold"] == 2
    assert body["rating"] == {"average": 4.0, "count": 1, "distribution": {"5": 0, "4": 1, "3": 0, "2": 0, "1": 0}}
    assert (body["total"], body["page"], body["pages"]) == (1, 1, 1)
    [item] = body["items"]
    assert (item["rating"], item["text"], item["author"]) == (4, "Ngon", "L. T. Hoa")
    assert item["reply"]["text"] == "Cảm ơn" and item["created_at"].endswith("Z")
    assert item["photos"][0].startswith("http://localhost/media/products/")
    honey = client.get(f"/api/v1/products/{shop.honey.id}/reviews").get_json()
    assert honey["items"] == [] and honey["rating"]["average"] is None  # the hidden one is not there

    schemas = documented(client)
    assert set(body) == set(schemas["ProductReviews"]["required"]) == set(schemas["ProductReviews"]["properties"])
    assert set(item) == set(schemas["Review"]["required"]) == set(schemas["Review"]["properties"])
    assert set(body["rating"]["distribution"]) == set(
        schemas["ProductReviews"]["properties"]["rating"]["properties"]["distribution"]["required"]
    )


def test_the_next_request_shows_a_new_review(client, app):
    shop = Shop()
    f.commit()
    assert client.get(f"/api/v1/products/{shop.lychee.id}/reviews").get_json()["total"] == 0
    services.write_review(shop.customer, shop.item(shop.lychee), 5)
    f.commit()
    assert client.get(f"/api/v1/products/{shop.lychee.id}/reviews").get_json()["total"] == 1


def test_unknown_or_private_products_and_bad_pages(client, app):
    shop = Shop()
    shop.lychee.status = shop.lychee.status.DRAFT
    f.commit()
    response = client.get(f"/api/v1/products/{shop.lychee.id}/reviews")
    assert response.status_code == 404 and response.get_json()["error"] == "Product not found"
    assert client.get("/api/v1/products/999999/reviews").status_code == 404
    bad = client.get(f"/api/v1/products/{shop.honey.id}/reviews?page=zero")
    assert bad.status_code == 400 and list(bad.get_json()["details"]) == ["page"]
    assert db.session.scalar(sa.select(sa.func.count(Review.id))) == 0


def test_product_list_and_item_carry_rating_and_units_sold_changing_with_the_next_review(client, app):
    shop = Shop()  # two units of the lychees delivered
    f.commit()

    def lychee_in_list():
        items = client.get("/api/v1/products?per_page=50").get_json()["items"]
        return next(item for item in items if item["id"] == shop.lychee.id)

    assert lychee_in_list()["rating"] == {"average": None, "count": 0}
    assert lychee_in_list()["units_sold"] == 2
    services.write_review(shop.customer, shop.item(shop.lychee), 4)
    f.commit()
    assert lychee_in_list()["rating"] == {"average": 4.0, "count": 1}
    item = client.get(f"/api/v1/products/{shop.lychee.id}").get_json()
    assert (item["rating"], item["units_sold"]) == ({"average": 4.0, "count": 1}, 2)
