"""The engine's bit set evaluation on a catalogue large enough to take each of its paths
(facets counted value by value or document by document, price pages picked by walking
the price order or out of a heap), checked against the same answers computed directly
from the database rows; and the background warm-up of a large segment."""

from datetime import UTC, datetime, timedelta

import pytest

from marketplace.search import engine
from marketplace.search.engine import search_products, wait_until_warm
from tests import factories

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.fixture
def big_catalogue(app):
    """180 public products in one commit (one segment): 'Gạo' in most names, 'Mật ong'
    in 6, every sixth one sold out, prices and creation times all distinct and not in
    the same order as the rows."""
    co_ops = [factories.cooperative(), factories.cooperative()]
    categories = [factories.category(), factories.category(), factories.category()]
    products = []
    for n in range(180):
        products.append(
            factories.product(
                co_ops[n % 2],
                categories[n % 3],
                name="Mật ong rừng" if n % 30 == 7 else f"Gạo nếp số {n}",
                price_vnd=10_000 + (n * 7919) % 180 * 1_000,
                stock=0 if n % 6 == 5 else 5,
                created_at=START + timedelta(minutes=(n * 37) % 180),
            )
        )
    factories.commit()
    return products


@pytest.fixture(params=["one by one", "value by value"])
def facet_path(request, monkeypatch):
    monkeypatch.setattr(engine, "BYTES_PER_COUNTED_DOCUMENT", 0 if request.param == "one by one" else 10**9)


@pytest.fixture(params=["walk", "heap"])
def sort_path(request, monkeypatch):
    monkeypatch.setattr(engine, "WALK_SORTED_ORDER_AT", 10**9 if request.param == "walk" else 0)


def matching(products, word):
    return [p for p in products if word in p.name]


@pytest.mark.parametrize("word", ["Gạo", "Mật"])
@pytest.mark.parametrize(
    "sort, key",
    [
        ("price_asc", lambda p: (p.price_vnd, -p.created_at.timestamp())),
        ("price_desc", lambda p: (-p.price_vnd, -p.created_at.timestamp())),
        ("newest", lambda p: -p.created_at.timestamp()),
        # One word in every name: equal scores, so in stock first, then the newest.
        ("relevance", lambda p: (p.stock == 0, -p.created_at.timestamp())),
    ],
)
def test_pages_follow_the_sort_order(big_catalogue, sort_path, word, sort, key):
    expected = [p.id for p in sorted(matching(big_catalogue, word), key=key)]
    pages = [search_products(word, sort=sort, page=page, per_page=24) for page in (1, 2, 3)]
    assert pages[0].total == len(expected)
    assert [i for page in pages for i in page.product_ids] == expected[:72]


@pytest.mark.parametrize("word", ["", "Gạo", "Mật"])
def test_facet_counts_match_the_rows(big_catalogue, facet_path, word):
    found = matching(big_catalogue, word)
    facets = search_products(word).facets

    def counted(value_of):
        counts = {}
        for p in found:
            counts[value_of(p)] = counts.get(value_of(p), 0) + 1
        return sorted(counts.items())

    assert sorted(facets["category"]) == counted(lambda p: p.category.slug)
    assert sorted(facets["cooperative"]) == counted(lambda p: p.cooperative.slug)


def test_a_large_segment_is_warmed_up_in_the_background(big_catalogue, monkeypatch):
    monkeypatch.setattr(engine, "WARM_IN_BACKGROUND_AT", 100)
    engine.get_index().segment_cache.clear()
    engine.get_index().forget()
    before = search_products("gao", sort="newest").product_ids
    assert wait_until_warm(timeout=30)
    (segment,) = engine.get_index().segment_cache.values()
    # 'gao' (in 174 of 180 names) was decoded by the warm-up; the facet columns too.
    assert ("name_folded", "gao") in segment._postings
    assert ("body", "nếp") in segment._postings or ("name", "nếp") in segment._postings
    assert search_products("gao", sort="newest").product_ids == before
