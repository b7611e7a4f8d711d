"""Matching, ranking, facets, paging and odd input, on the hand-made catalogue of conftest.py."""

import pytest
from markupsafe import Markup

from marketplace.catalog.queries import ProductFilters
from marketplace.search import engine
from marketplace.search.engine import search_products, suggest
from tests import factories


def ids(results):
    return results.product_ids


@pytest.mark.parametrize(
    "query, expected",
    [
        ("vai thieu", "vai"),
        ("Vải thiều", "vai"),
        ("VAI THIEU", "vai"),
        ("duong phen", "duong"),
        ("DUONG", "duong"),
        ("đường", "duong"),
        ("luc ngan vai", "vai"),  # cooperative name and category words count too
        ("an toan", "o_mai"),  # short syllables from the description
        ("o mai", "o_mai"),
    ],
)
def test_accents_and_capitals_do_not_matter(catalogue, query, expected):
    assert ids(search_products(query))[0] == getattr(catalogue, expected).id


def test_every_word_must_match(catalogue):
    assert ids(search_products("vai duong")) == []


def test_single_letter_word_is_searchable(catalogue):
    assert catalogue.o_mai.id in ids(search_products("ô"))


def test_exact_accent_ranks_above_folded_match(catalogue):
    # "Gạo tám thơm" only matches "ga" unaccented (its description says "hạt ga").
    results = ids(search_products("gà"))
    assert results[:2] == [catalogue.ga.id, catalogue.gao.id]


def test_name_match_ranks_above_description_match(catalogue):
    longan = factories.product(catalogue.luc_ngan, catalogue.fruit, name="Nhãn lồng", description="Ngọt như vải.")
    factories.commit()
    # Honey (sold out, "vải" in its name) comes last whatever its score.
    assert ids(search_products("vải")) == [catalogue.vai.id, longan.id, catalogue.mat_ong.id]


def test_sold_out_ranks_below_in_stock_and_is_still_found(catalogue):
    # Honey (sold out) has "vải" in its name; the lychee jam only in its description.
    jam = factories.product(catalogue.luc_ngan, catalogue.fruit, name="Mứt quả", description="Làm từ vải.")
    factories.commit()
    results = ids(search_products("vải"))
    assert set(results) == {catalogue.vai.id, catalogue.mat_ong.id, jam.id}
    assert results[-1] == catalogue.mat_ong.id
    assert ids(search_products("mat ong")) == [catalogue.mat_ong.id]


def test_long_queries_score_document_by_document(catalogue, monkeypatch):
    monkeypatch.setattr(engine, "MAX_SCORE_GROUPS", 1)
    assert ids(search_products("vải thiều lục ngạn quả to")) == [catalogue.vai.id]
    assert ids(search_products("vải")) == [catalogue.vai.id, catalogue.mat_ong.id]


def test_one_typo_on_long_words(catalogue):
    assert ids(search_products("thieuu")) == [catalogue.vai.id]
    assert ids(search_products("duongg phen")) == [catalogue.duong.id]


def test_no_typo_on_short_words(catalogue):
    assert search_products("gaa", autocorrect=False).total == 0


def test_last_word_matches_as_prefix(catalogue):
    assert ids(search_products("vai thi")) == [catalogue.vai.id]
    assert ids(search_products("đường ph")) == [catalogue.duong.id]


def test_did_you_mean_when_nothing_matches(catalogue):
    results = search_products("thieeeu", autocorrect=False)
    assert (results.total, results.suggestion, results.corrected) == (0, "thiều", False)
    fixed = search_products("vai thieeeu")
    assert fixed.corrected and fixed.suggestion == "vai thiều" and ids(fixed) == [catalogue.vai.id]


def test_no_suggestion_when_nothing_is_close(catalogue):
    results = search_products("xyzzy")
    assert (results.total, results.suggestion, results.corrected) == (0, None, False)


def test_matches_are_highlighted_and_escaped(catalogue):
    catalogue.duong.description = "Đường <b>phèn</b> & mía"
    factories.commit()
    results = search_products("duong phen")
    marks = results.highlights[catalogue.duong.id]
    assert isinstance(marks["name"], Markup)
    assert marks["name"] == Markup("<mark>Đường</mark> <mark>phèn</mark>")
    assert marks["description"] == Markup("<mark>Đường</mark> &lt;b&gt;<mark>phèn</mark>&lt;/b&gt; &amp; mía")


def test_long_description_is_cut_around_the_match(catalogue):
    catalogue.gao.description = "Lời mở đầu dài. " * 40 + "Hạt gạo tám rất thơm. " + "Kết thúc. " * 40
    factories.commit()
    text = str(search_products("gạo tám").highlights[catalogue.gao.id]["description"])
    assert "<mark>gạo</mark> <mark>tám</mark>" in text
    assert text.startswith("… ") and text.endswith(" …") and len(text) < 320


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "!!!",
        "*",
        '"',
        "AND",
        "OR NOT",
        "name:vai",
        "vai*",
        "(vai",
        "a" * 10_000,
        "vải " * 3000,
        "\x00\n\t",
        "%_'--",
    ],
)
def test_odd_input_never_raises(catalogue, query):
    results = search_products(query)
    assert results.total >= 0
    suggest(query)


def test_query_syntax_is_plain_words(catalogue):
    assert ids(search_products("name:vai")) == []  # "name" is not a word of the catalogue
    assert ids(search_products("vai*")) == ids(search_products("vai"))


def test_empty_query_browses_public_products_newest_first(catalogue):
    results = search_products("", sort="relevance")
    expected = [catalogue.o_mai, catalogue.gao, catalogue.mat_ong, catalogue.ga, catalogue.duong, catalogue.vai]
    assert ids(results) == [p.id for p in expected]
    assert results.total == 6


def test_sorts(catalogue):
    assert ids(search_products("", sort="price_asc"))[:2] == [catalogue.gao.id, catalogue.vai.id]
    assert ids(search_products("", sort="price_desc"))[:2] == [catalogue.mat_ong.id, catalogue.ga.id]
    assert ids(search_products("vải", sort="price_desc")) == [catalogue.mat_ong.id, catalogue.vai.id]


def test_paging(catalogue):
    first = search_products("", sort="price_asc", page=1, per_page=4)
    second = search_products("", sort="price_asc", page=2, per_page=4)
    assert (first.total, first.pages, len(first.product_ids), len(second.product_ids)) == (6, 2, 4, 2)
    assert first.has_next and not second.has_next
    assert search_products("", page=9, per_page=4).product_ids == []


@pytest.fixture(params=["derived", "each"])
def facet_counting(request, monkeypatch):
    """Province, youth and top category are summed from cooperative and category counts,
    unless some document disagrees; then each facet is counted on its own."""
    if request.param == "each":
        monkeypatch.setattr(engine._Segment, "dependents", lambda self, reader: {})


def test_facet_counts_follow_query_and_filters(catalogue, facet_counting):
    facets = search_products("").facets
    assert facets["top_category"] == [("thuc-pham", 5), ("trai-cay", 1)]
    assert facets["category"] == [("banh-keo", 3), ("gia-cam", 1), ("thuc-pham", 1), ("vai-thieu", 1)]
    assert facets["cooperative"] == [("htx-luc-ngan", 3), ("htx-soc-son", 3)]
    assert sorted(facets["province"]) == sorted([(factories.BAC_NINH, 3), (factories.HA_NOI, 3)])
    assert facets["ocop"] == [(3, 1), (4, 1), (5, 1)]
    assert facets["youth"] == [(0, 3), (1, 3)]

    filtered = search_products("", filters={"youth": True})
    assert filtered.total == 3
    assert filtered.facets["cooperative"] == [("htx-luc-ngan", 3)]
    assert filtered.facets["category"] == [("banh-keo", 1), ("gia-cam", 1), ("vai-thieu", 1)]

    text = search_products("vải")
    assert text.facets["category"] == [("banh-keo", 1), ("vai-thieu", 1)]
    assert text.facets["ocop"] == [(4, 1), (5, 1)]


def test_filters_as_dict_or_product_filters(catalogue):
    assert ids(search_products("", filters={"category": "trai-cay"})) == [catalogue.vai.id]
    assert set(ids(search_products("", filters={"category": "thuc-pham"}))) == {
        catalogue.duong.id,
        catalogue.ga.id,
        catalogue.mat_ong.id,
        catalogue.gao.id,
        catalogue.o_mai.id,
    }
    assert ids(search_products("", filters={"category": "gia-cam"})) == [catalogue.ga.id]
    assert ids(search_products("", filters={"cooperative": "htx-soc-son", "ocop_min": 5})) == [catalogue.mat_ong.id]
    assert set(ids(search_products("", filters={"province": factories.HA_NOI}))) == {
        catalogue.duong.id,
        catalogue.mat_ong.id,
        catalogue.gao.id,
    }
    filters = ProductFilters(category=catalogue.food, cooperative=catalogue.luc_ngan, ocop_min=3)
    assert ids(search_products("", filters=filters)) == [catalogue.ga.id]
    assert search_products("", filters={"category": "khong-co"}).total == 0


def test_drafts_archived_and_pending_cooperatives_are_never_found(catalogue):
    found = set(ids(search_products("vai", per_page=50)))
    assert found.isdisjoint({catalogue.draft.id, catalogue.archived.id, catalogue.hidden.id})
    assert search_products("").total == 6


def test_suggest_as_you_type(catalogue):
    assert suggest("vai th") == [
        {"id": catalogue.vai.id, "name": "Vải thiều Lục Ngạn", "slug": "vai-thieu-luc-ngan", "price_vnd": 45_000}
    ]
    assert [s["id"] for s in suggest("Đườ")] == [catalogue.duong.id]
    assert {s["id"] for s in suggest("g")} == {catalogue.gao.id, catalogue.ga.id}
    assert len(suggest("g", limit=1)) == 1
    assert suggest("") == [] and suggest("  ,; ") == []


def test_suggest_puts_sold_out_last(catalogue):
    assert [s["id"] for s in suggest("m")] == [catalogue.o_mai.id, catalogue.mat_ong.id]


def test_products_in_order(catalogue):
    from marketplace.search.engine import products_in_order

    order = [catalogue.gao.id, catalogue.draft.id, catalogue.vai.id]
    assert products_in_order(order) == [catalogue.gao, catalogue.vai]
    assert products_in_order([]) == []
