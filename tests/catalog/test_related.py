"""Related products under a product page: the same category first, then the same cooperative,
in stock before sold out; never the product itself nor anything the public may not see; the
cached page shows a change at once; the page stays cheap."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event

from marketplace.catalog import queries
from marketplace.catalog.models import ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.extensions import db
from tests import factories as f


def related_on_page(client, slug: str) -> list[str]:
    """Slugs of the cards in the "You may also like" section, in order."""
    response = client.get(f"/products/{slug}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    match = re.search(r'<section class="related-products".*?</section>', page, re.S)
    if not match:
        return []
    assert "Có thể bạn cũng thích" in match.group(0)
    return re.findall(r'class="product-card-title"><a href="/products/([^"]+)"', match.group(0))


@pytest.fixture
def shop(app):
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="htx-vai")
    other = f.cooperative("HTX Gà đồi Yên Thế", slug="htx-ga")
    fruit = f.category("Trái cây", slug="trai-cay")
    poultry = f.category("Gia cầm", slug="gia-cam")
    honey = f.category("Mật ong", slug="mat-ong")
    p = {
        "lychee": f.product(coop, fruit, slug="vai-say"),
        # Same category, other cooperative; one sold out.
        "longan": f.product(other, fruit, slug="nhan-say"),
        "plum": f.product(other, fruit, slug="man-sold-out", stock=0),
        # Same cooperative, other category.
        "honey": f.product(coop, honey, slug="mat-ong-vai"),
        # Neither: never related.
        "chicken": f.product(other, poultry, slug="ga-doi"),
    }
    f.commit()
    return p


def test_same_category_first_in_stock_first_then_the_same_cooperative(client, shop):
    assert related_on_page(client, "vai-say") == ["nhan-say", "man-sold-out", "mat-ong-vai"]


def test_never_the_product_itself_nor_what_the_public_may_not_see(client, shop):
    draft = f.product(shop["lychee"].cooperative, shop["lychee"].category, slug="vai-nhap", status=ProductStatus.DRAFT)
    hidden_coop = f.cooperative("HTX Chờ duyệt", slug="htx-cho", status=CooperativeStatus.PENDING)
    f.product(hidden_coop, shop["lychee"].category, slug="vai-cho-duyet")
    f.commit()

    related = related_on_page(client, "vai-say")
    assert "vai-say" not in related
    assert draft.slug not in related and "vai-cho-duyet" not in related
    assert "ga-doi" not in related
    # The chicken's page: nothing shares its category, its cooperative's products do.
    assert related_on_page(client, "ga-doi") == ["nhan-say", "man-sold-out"]


def test_at_most_eight(client, shop):
    for n in range(10):
        f.product(shop["lychee"].cooperative, shop["lychee"].category, slug=f"vai-{n}")
    f.commit()
    related = related_on_page(client, "vai-say")
    assert len(related) == 8 and len(set(related)) == 8 and "vai-say" not in related


def test_a_product_alone_in_its_category_and_cooperative_has_no_section(client, app):
    lone = f.product(f.cooperative("HTX Một mình", slug="htx-mot"), f.category("Chè", slug="che"), slug="che-xanh")
    f.commit()
    assert related_on_page(client, lone.slug) == []
    assert 'class="related-products"' not in client.get(f"/products/{lone.slug}").get_data(as_text=True)


def test_the_cached_page_shows_a_change_to_a_related_product_at_once(client, shop):
    assert related_on_page(client, "vai-say") == ["nhan-say", "man-sold-out", "mat-ong-vai"]
    assert related_on_page(client, "vai-say") == ["nhan-say", "man-sold-out", "mat-ong-vai"]  # from the cache

    shop["longan"].status = ProductStatus.ARCHIVED
    db.session.commit()
    assert related_on_page(client, "vai-say") == ["man-sold-out", "mat-ong-vai"]

    shop["plum"].stock = 20  # back in stock
    f.product(shop["longan"].cooperative, shop["lychee"].category, slug="vai-moi")
    db.session.commit()
    assert related_on_page(client, "vai-say") == ["vai-moi", "man-sold-out", "mat-ong-vai"]


def test_in_stock_goes_before_newer_sold_out(client, shop):
    shop["plum"].stock = 3
    shop["longan"].stock = 0
    db.session.commit()
    assert related_on_page(client, "vai-say")[:2] == ["man-sold-out", "nhan-say"]


def test_related_products_cost_two_queries_and_the_page_stays_small(app, client, shop):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_rest):
        statements.append(statement)

    lychee = shop["lychee"]
    assert lychee.category_id and lychee.cooperative_id  # loaded before counting
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        found = queries.related_products(lychee)
        counted_query = len(statements)
        related_statements = list(statements)
        db.session.expire_all()
        statements.clear()
        app.config["PAGE_CACHE"] = False
        response = client.get("/products/vai-say")
        cold_page = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
        app.config["PAGE_CACHE"] = True
    assert [p.slug for p in found] == ["nhan-say", "man-sold-out", "mat-ong-vai"]
    # The ids, the cards, their photos (selectinload).
    assert counted_query <= 3, related_statements
    assert response.status_code == 200
    # The whole page made afresh (11 statements today, 3 of them for the related cards, one
    # for the certificates valid today).
    assert cold_page <= 12, statements
