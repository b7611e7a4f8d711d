"""The storefront search page (/search) and the search box (header form, /search/suggest).

Runs on the hand-made catalogue of tests/search/conftest.py; the UI is Vietnamese by default.
"""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from marketplace.extensions import db
from tests import factories
from tests.factories import HA_NOI
from tests.test_crawl import PageParser, page_problems

SUGGESTION_KEYS = {"id", "name", "slug", "url", "price_vnd", "price"}


def page(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, url
    return response.get_data(as_text=True)


def result_slugs(text: str) -> list[str]:
    """The products listed, in order (the product cards' links)."""
    return re.findall(r'class="product-card-title"><a href="/products/([^"]+)"', text)


def facet_links(text: str) -> dict[str, tuple[int, str]]:
    """{label: (count, link)} of every facet option on the page."""
    found = re.findall(
        r'<a class="facet-option[^"]*" href="([^"]+)"[^>]*>\s*<span class="facet-box"[^>]*></span>\s*'
        r'<span class="facet-label">([^<]+)</span>\s*<span class="facet-count" aria-hidden="true">(\d+)</span>',
        text,
    )
    return {html.unescape(label): (int(count), html.unescape(href)) for href, label, count in found}


def selected_facets(text: str) -> list[str]:
    found = re.findall(
        r'class="facet-option is-selected"[^>]*aria-current="true">.*?class="facet-label">([^<]+)<', text, re.DOTALL
    )
    return [html.unescape(label) for label in found]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def h1(text: str) -> str:
    headings = re.findall(r"<h1[^>]*>(.*?)</h1>", text, re.DOTALL)
    assert len(headings) == 1, headings
    return html.unescape(re.sub(r"<[^>]+>", "", headings[0])).strip()


def title(text: str) -> str:
    return html.unescape(re.search(r"<title>(.*?)</title>", text, re.DOTALL).group(1))


# --- finding and showing ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["vai thieu", "Vải thiều", "VAI THIEU", "vai th"])
def test_finds_lychees_typed_any_way_and_marks_the_words(client, catalogue, typed):
    text = page(client, f"/search?q={typed}")

    assert result_slugs(text)[0] == "vai-thieu-luc-ngan"
    assert "<mark>Vải</mark> <mark>thiều</mark> Lục Ngạn" in text
    assert typed in h1(text)
    assert typed in title(text)


def test_matching_words_of_the_description_are_shown_marked(client, catalogue):
    text = page(client, "/search?q=ong")

    # "Mật ong hoa vải": "ong" in the name and in "Ong nuôi dưới vườn vải."
    assert 'class="product-card-snippet"><mark>Ong</mark> nuôi dưới vườn vải.</p>' in text


def test_text_in_a_product_is_escaped_around_the_marks(client, catalogue):
    catalogue.gao.name = "Gạo <b>tám</b> & thơm"
    db.session.commit()

    text = page(client, "/search?q=gao")

    assert "<mark>Gạo</mark> &lt;b&gt;tám&lt;/b&gt; &amp; thơm" in text
    assert "<b>tám</b>" not in text


def test_only_public_products_are_found(client, catalogue):
    slugs = result_slugs(page(client, "/search?q=vai"))

    assert "vai-thieu-luc-ngan" in slugs
    assert not {"vai-say", "vai-cu", "vai-cho"} & set(slugs)


def test_sold_out_is_marked_and_listed_after_those_in_stock(client, catalogue):
    text = page(client, "/search?q=vải")

    assert result_slugs(text) == ["vai-thieu-luc-ngan", "mat-ong"]
    honey_card = text[text.index('href="/products/mat-ong"') :]
    assert "Hết hàng" in honey_card[: honey_card.index("</article>")]


def test_a_product_changed_a_moment_ago_is_found_as_it_is_now(client, catalogue):
    catalogue.o_mai.name = "Ô mai sấu Hà Nội"
    catalogue.duong.stock = 0
    db.session.commit()

    assert result_slugs(page(client, "/search?q=o mai sau")) == ["o-mai"]
    assert "Hết hàng" in page(client, "/search?q=duong phen")


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("price_asc", ["vai-thieu-luc-ngan", "o-mai", "ga-doi"]),
        ("price_desc", ["ga-doi", "o-mai", "vai-thieu-luc-ngan"]),
    ],
)
def test_sort_by_price(client, catalogue, sort, expected):
    # "luc ngan" is the cooperative of these three.
    text = page(client, f"/search?q=luc+ngan&sort={sort}")

    assert result_slugs(text) == expected
    assert re.search(rf'<option value="{sort}" selected>', text)


def test_relevance_is_the_default_with_words_and_newest_without(client, catalogue):
    assert re.search(r'<option value="relevance" selected>', page(client, "/search?q=vai"))
    text = page(client, "/search")
    assert re.search(r'<option value="newest" selected>', text)
    assert len(result_slugs(text)) == 6
    assert h1(text) == "Tìm sản phẩm"


def test_pages_keep_the_search_and_a_page_past_the_end_is_not_found(app, client, catalogue):
    app.config["PER_PAGE"] = 2

    first = page(client, "/search?q=&sort=price_asc")
    second = page(client, "/search?sort=price_asc&page=2")

    assert result_slugs(first) == ["gao-tam", "vai-thieu-luc-ngan"]
    assert result_slugs(second) == ["duong-phen", "o-mai"]
    assert 'href="/search?sort=price_asc&amp;page=3"' in second
    assert 'aria-current="page"' in second
    page(client, "/search?sort=price_asc&page=4", status=404)


# --- facets and filters ------------------------------------------------------------------------------


def test_facets_count_what_was_found(client, catalogue):
    facets = facet_links(page(client, "/search"))

    counts = {label: count for label, (count, _link) in facets.items()}
    assert counts == {
        # Categories: top ones (their sub-categories count towards them).
        "Thực phẩm": 5,
        "Trái cây": 1,
        "HTX Thanh niên Lục Ngạn": 3,
        "HTX Nông sản Sóc Sơn": 3,
        "Bắc Ninh": 3,
        "Thành phố Hà Nội": 3,
        # OCOP: each minimum counts its stars and above (3, 4 and 5 stars are rated).
        "Từ 3 sao trở lên": 3,
        "Từ 4 sao trở lên": 2,
        "5 sao": 1,
        "Hợp tác xã thanh niên": 3,
        "Hợp tác xã khác": 3,
    }


def test_facet_counts_follow_the_words(client, catalogue):
    counts = {label: count for label, (count, _link) in facet_links(page(client, "/search?q=vải")).items()}

    assert counts["Bắc Ninh"] == 1 and counts["Thành phố Hà Nội"] == 1
    assert "Gạo tám thơm" not in counts and "Thực phẩm" in counts


def test_a_facet_link_filters_keeps_the_words_and_can_be_removed(client, catalogue):
    start = page(client, "/search?q=vải&sort=price_desc")
    count, link = facet_links(start)["Thành phố Hà Nội"]
    assert count == 1
    assert query_of(link) == {"q": ["vải"], "sort": ["price_desc"], "province": [str(HA_NOI)]}

    filtered = page(client, link)

    assert result_slugs(filtered) == ["mat-ong"]
    assert selected_facets(filtered) == ["Thành phố Hà Nội"]
    # The other province stays offered, with what choosing it would find.
    assert facet_links(filtered)["Bắc Ninh"][0] == 1
    # The active-filter summary: a link that removes the province, keeping the rest.
    remove = re.search(r'<a class="chip chip-removable" href="([^"]+)">Tỉnh, thành phố: Thành phố Hà Nội', filtered)
    assert query_of(html.unescape(remove.group(1))) == {"q": ["vải"], "sort": ["price_desc"]}
    # Choosing the chosen option again removes it too.
    assert query_of(facet_links(filtered)["Thành phố Hà Nội"][1]) == {"q": ["vải"], "sort": ["price_desc"]}
    # The page's own search form searches again within the filter.
    assert f'<input type="hidden" name="province" value="{HA_NOI}">' in filtered


def test_a_long_cooperative_facet_lists_the_most_frequent_and_links_to_all(client, catalogue):
    """Twelve cooperatives sell "mắm": the ten with the most products are listed, a link
    shows all twelve, and a chosen one stays listed even when it is not among the ten."""
    for n in range(12):
        cooperative = factories.cooperative(f"HTX Mắm số {n:02d}", slug=f"htx-mam-{n:02d}")
        for k in range(n + 1):  # cooperative n has n + 1 products: 11 has the most
            factories.product(cooperative, catalogue.food, name=f"Mắm tôm {n}-{k}", slug=f"mam-{n}-{k}")
    factories.commit()

    text = page(client, "/search?q=mắm")
    listed = [label for label in facet_links(text) if label.startswith("HTX Mắm")]
    assert listed == [f"HTX Mắm số {n:02d}" for n in range(11, 1, -1)]
    more = re.search(r'<a class="facet-more" href="([^"]+)">Xem tất cả 12</a>', text)
    assert query_of(html.unescape(more.group(1))) == {"q": ["mắm"], "more": ["cooperative"]}

    everything = page(client, html.unescape(more.group(1)))
    assert len([label for label in facet_links(everything) if label.startswith("HTX Mắm")]) == 12
    assert 'class="facet-more"' not in everything

    chosen = page(client, "/search?q=mắm&cooperative=htx-mam-00")
    assert result_slugs(chosen) == ["mam-0-0"]
    assert "HTX Mắm số 00" in facet_links(chosen) and selected_facets(chosen) == ["HTX Mắm số 00"]


def test_choosing_a_top_category_offers_its_sub_categories(client, catalogue):
    link = facet_links(page(client, "/search"))["Thực phẩm"][1]

    text = page(client, link)
    facets = facet_links(text)

    assert selected_facets(text) == ["Thực phẩm"]
    assert facets["Bánh kẹo"][0] == 3 and facets["Gia cầm"][0] == 1
    assert facets["Trái cây"][0] == 1  # the other top category, to switch to
    assert set(result_slugs(text)) == {"duong-phen", "ga-doi", "mat-ong", "gao-tam", "o-mai"}

    sub = page(client, facets["Gia cầm"][1])
    assert result_slugs(sub) == ["ga-doi"]
    assert selected_facets(sub) == ["Gia cầm"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("ocop_min=4", {"vai-thieu-luc-ngan", "mat-ong"}),
        ("youth=0", {"duong-phen", "mat-ong", "gao-tam"}),
        ("cooperative=htx-luc-ngan", {"vai-thieu-luc-ngan", "ga-doi", "o-mai"}),
        ("category=vai-thieu", {"vai-thieu-luc-ngan"}),
    ],
)
def test_every_product_list_filter_works_on_the_search_page(client, catalogue, query, expected):
    assert set(result_slugs(page(client, f"/search?{query}"))) == expected


def test_several_filters_can_be_cleared_at_once(client, catalogue):
    text = page(client, f"/search?q=vai&province={HA_NOI}&youth=0")

    clear = re.search(r'<a class="active-filters-clear" href="([^"]+)">', text)
    assert query_of(html.unescape(clear.group(1))) == {"q": ["vai"]}


# --- nothing found -----------------------------------------------------------------------------------


def test_a_misspelling_shows_did_you_mean_and_its_results(client, catalogue):
    # Two letters off: more than the one typo matching tolerates.
    text = page(client, "/search?q=thieeeu")

    assert result_slugs(text) == ["vai-thieu-luc-ngan"]
    correction = re.search(r'<p class="search-correction">(.*?)</p>', text, re.DOTALL).group(1)
    link = re.search(r'<a href="([^"]+)">thiều</a>', correction)
    assert "Có phải bạn muốn tìm" in correction
    assert query_of(html.unescape(link.group(1))) == {"q": ["thiều"]}
    assert "thieeeu" in h1(text)


def test_nothing_found_explains_and_offers_a_way_on(client, catalogue):
    text = page(client, "/search?q=xyzzy+plugh")

    assert result_slugs(text) == []
    assert "Không có sản phẩm nào khớp với “xyzzy plugh”." in text
    assert "Dùng ít từ hơn" in text and "Kiểm tra chính tả" in text
    assert 'href="/categories/trai-cay"' in text and 'href="/categories/thuc-pham"' in text
    assert 'href="/products"' in text
    assert "search-correction" not in text


def test_nothing_found_within_filters_offers_to_search_without_them(client, catalogue):
    text = page(client, "/search?q=ga+doi&youth=0")

    assert result_slugs(text) == []
    link = re.search(r'<a href="([^"]+)">tìm không kèm bộ lọc</a>', text)
    assert query_of(html.unescape(link.group(1))) == {"q": ["ga doi"]}
    assert result_slugs(page(client, html.unescape(link.group(1)))) == ["ga-doi"]


# --- bad and odd input ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "province=abc",
        "province=99999",
        "sort=best",
        "ocop_min=9",
        "youth=maybe",
        "category=khong-co",
        "cooperative=htx-cho",
        "page=0",
        "page=99999999999999999999",
    ],
)
def test_a_bad_filter_is_the_product_list_400_page(client, catalogue, query):
    text = page(client, f"/search?q=vai&{query}", status=400)

    assert "Không dùng được một số bộ lọc" in text
    name = query.split("=")[0]
    assert f"<code>{name}</code>" in text


def test_every_bad_parameter_is_named_at_once(client, catalogue):
    text = page(client, "/search?q=vai&sort=best&province=abc", status=400)

    assert "<code>sort</code>" in text and "<code>province</code>" in text


@pytest.mark.parametrize(
    "typed",
    [
        '"',
        "*",
        "AND",
        "OR NOT",
        "name:vai",
        "vai*",
        "(vai",
        "\\",
        "%",
        "'; drop table products; --",
        "<script>alert(1)</script>",
        "🍯",
        "a" * 10_000,
        "vai " * 3000,
        "\u0301\u0301",
        "  ",
    ],
)
def test_odd_text_never_breaks_the_page(client, catalogue, typed):
    response = client.get("/search", query_string={"q": typed})

    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "<script>alert" not in text
    h1(text)


def test_a_nul_character_is_a_bad_request(client, catalogue):
    assert client.get("/search?q=vai%00").status_code == 400
    assert client.get("/search?q=%00").status_code == 400


# --- the page itself -----------------------------------------------------------------------------------


def test_the_page_is_sound_without_javascript(client, catalogue):
    text = page(client, "/search?q=vai&province=24")

    assert text.count("<h1") == 1
    assert 'style="' not in text
    assert not re.search(r"<script(?![^>]*\bsrc=)", text)
    # A plain GET form: the search works without any script.
    form = re.search(r'<form class="search-page-form" method="get" action="/search"[^>]*>(.*?)</form>', text, re.DOTALL)
    assert '<label for="search-page-q">' in form.group(1)
    assert re.search(r'<input type="search" id="search-page-q" name="q" value="vai"', form.group(1))
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "url",
    [
        "/search",
        "/search?q=vai",
        f"/search?q=vai&province={HA_NOI}&category=banh-keo",
        "/search?q=thieeeu",
        "/search?q=zzzz&youth=1",
        "/search?category=thuc-pham&sort=price_desc",
    ],
)
def test_every_variant_of_the_page_passes_the_crawl_checks(client, catalogue, url):
    parser = PageParser()
    parser.feed(page(client, url))

    assert page_problems(parser, "vi") == []


def test_the_page_speaks_english_too(client, catalogue):
    client.get("/lang/en")

    text = page(client, "/search?q=zzzz")

    assert h1(text) == "Results for “zzzz”"
    assert "No products match “zzzz”." in text


# --- the header search box ------------------------------------------------------------------------------


def test_every_page_has_the_search_box_with_the_combobox_attributes(client, catalogue):
    for url in ("/", "/products", "/search?q=vai"):
        text = page(client, url)
        form = re.search(r'<form class="site-search" method="get" action="/search"[^>]*>(.*?)</form>', text, re.DOTALL)
        assert form, url
        box = re.search(r"<input[^>]*\bid=\"site-search-q\"[^>]*>", form.group(1), re.DOTALL).group(0)
        for attribute in (
            'type="search"',
            'name="q"',
            'autocomplete="off"',
            'role="combobox"',
            'aria-expanded="false"',
            'aria-controls="site-search-options"',
            'aria-autocomplete="list"',
            'data-suggest-url="/search/suggest"',
        ):
            assert attribute in box, (url, attribute)
        assert '<label class="visually-hidden" for="site-search-q">' in form.group(1)
        assert re.search(r'<ul id="site-search-options"[^>]*role="listbox"', form.group(1))
        assert '<script src="/static/js/search.js" defer></script>' in text


def test_the_search_box_shows_the_words_on_the_search_page_only(client, catalogue):
    def box(url):
        return re.search(r'<input[^>]*id="site-search-q"[^>]*>', page(client, url), re.DOTALL).group(0)

    assert 'value="vai thieu"' in box("/search?q=vai+thieu")
    assert 'value=""' in box("/products?q=vai")


def test_suggestions_complete_what_is_typed(client, catalogue):
    response = client.get("/search/suggest?q=vai th")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    items = response.get_json()["items"]
    assert [item["name"] for item in items] == ["Vải thiều Lục Ngạn"]
    item = items[0]
    assert set(item) == SUGGESTION_KEYS
    assert item["id"] == catalogue.vai.id
    assert item["slug"] == "vai-thieu-luc-ngan"
    assert item["url"] == "/products/vai-thieu-luc-ngan"
    assert item["price_vnd"] == 45_000
    assert item["price"].replace("\xa0", " ") == "45.000 ₫"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("duong ph", ["Đường phèn"]), ("Gà đ", ["Gà đồi Yên Thế"]), ("MAT O", ["Mật ong hoa vải"]), ("o m", ["Ô mai mơ"])],
)
def test_suggestions_match_the_start_of_the_last_word(client, catalogue, typed, expected):
    assert [i["name"] for i in client.get("/search/suggest", query_string={"q": typed}).get_json()["items"]] == expected


def test_suggestions_leave_out_products_not_for_sale(client, catalogue):
    names = [i["name"] for i in client.get("/search/suggest?q=vai").get_json()["items"]]

    assert "Vải thiều Lục Ngạn" in names
    assert not {"Vải sấy khô", "Vải thiều cũ", "Vải thiều chờ duyệt"} & set(names)


@pytest.mark.parametrize(
    "url", ["/search/suggest", "/search/suggest?q=", "/search/suggest?q=+++", "/search/suggest?q=v"]
)
def test_no_suggestions_for_too_little_text(client, catalogue, url):
    response = client.get(url)

    assert response.status_code == 200
    assert response.get_json() == {"items": []}


@pytest.mark.parametrize("typed", ['"', "*", "AND", "**", "name:", "<b>", "a" * 10_000, "\u0301\u0301", "🍯🍯"])
def test_odd_text_gets_suggestions_or_none_never_an_error(client, catalogue, typed):
    response = client.get("/search/suggest", query_string={"q": typed})

    assert response.status_code == 200
    assert isinstance(response.get_json()["items"], list)


def test_a_nul_character_gets_a_json_bad_request(client, catalogue):
    response = client.get("/search/suggest?q=va%00i")

    assert response.status_code == 400
    assert response.get_json()["error"]


def test_suggestions_follow_changes_at_once(client, catalogue):
    factories.product(catalogue.luc_ngan, catalogue.fruit, name="Vải thiều sấy dẻo", slug="vai-say-deo")
    factories.commit()

    names = [i["name"] for i in client.get("/search/suggest?q=vai thieu s").get_json()["items"]]

    assert names == ["Vải thiều sấy dẻo"]
