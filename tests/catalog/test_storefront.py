"""The public storefront: what visitors see, filter, sort and page through."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import flask_babel
import pytest
import sqlalchemy as sa

from marketplace.catalog.models import ProductImage, ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.extensions import db
from marketplace.traceability.models import Certificate, CertificateKind
from tests.factories import BAC_NINH, HA_NOI

NOT_PUBLIC = [
    pytest.param(ProductStatus.DRAFT, CooperativeStatus.APPROVED, id="draft"),
    pytest.param(ProductStatus.ARCHIVED, CooperativeStatus.APPROVED, id="archived"),
    pytest.param(ProductStatus.ACTIVE, CooperativeStatus.PENDING, id="pending-cooperative"),
    pytest.param(ProductStatus.ACTIVE, CooperativeStatus.SUSPENDED, id="suspended-cooperative"),
]


def listed(response) -> list[str]:
    """Product slugs in the order the page shows them."""
    assert response.status_code == 200
    return re.findall(r'class="product-card-title"><a href="/products/([^"]+)"', response.get_data(as_text=True))


def text(response) -> str:
    """The page as a reader sees it: Babel puts a no-break space between amount and ₫."""
    return response.get_data(as_text=True).replace("\xa0", " ")


def in_english(client) -> None:
    client.get("/lang/en")
    # Requests share the fixture's app context, where Flask-Babel caches the locale.
    flask_babel.refresh()


def aged(product, days: int):
    """Listed `days` ago, so 'newest' has a definite order."""
    product.created_at = datetime(2026, 11, 1) - timedelta(days=days)
    return product


# --- visibility -----------------------------------------------------------------------


@pytest.mark.parametrize(("product_status", "coop_status"), NOT_PUBLIC)
def test_non_public_product_is_404_and_never_listed(client, make, product_status, coop_status):
    category = make.category(slug="trai-cay")
    coop = make.cooperative(status=coop_status, slug="htx-an")
    hidden = make.product(coop, category, status=product_status, slug="an", is_featured=True)
    visible = make.product(make.cooperative(), category, slug="hien")
    make.commit()

    assert client.get(f"/products/{hidden.slug}").status_code == 404
    assert listed(client.get("/products")) == ["hien"]
    assert listed(client.get("/categories/trai-cay")) == ["hien"]
    assert "/products/an" not in text(client.get("/"))
    assert visible.slug in text(client.get("/"))


@pytest.mark.parametrize("status", [CooperativeStatus.PENDING, CooperativeStatus.SUSPENDED])
def test_unapproved_cooperative_page_is_404_and_not_in_directory(client, make, status):
    make.cooperative("HTX Chờ duyệt", status=status, slug="cho-duyet")
    make.cooperative("HTX Đã duyệt", slug="da-duyet")
    make.commit()

    assert client.get("/cooperatives/cho-duyet").status_code == 404
    directory = text(client.get("/cooperatives/"))
    assert "HTX Đã duyệt" in directory
    assert "HTX Chờ duyệt" not in directory
    assert "HTX Chờ duyệt" not in text(client.get("/"))


def test_cooperative_page_lists_only_its_public_products(client, make):
    coop = make.cooperative(slug="htx-vai")
    make.product(coop, slug="ban")
    make.product(coop, slug="nhap", status=ProductStatus.DRAFT)
    make.product(coop, slug="luu", status=ProductStatus.ARCHIVED)
    make.product(make.cooperative(), slug="khac")
    make.commit()

    assert listed(client.get("/cooperatives/htx-vai")) == ["ban"]


def test_unknown_slugs_are_404(client):
    for url in ("/products/khong-co", "/categories/khong-co", "/cooperatives/khong-co"):
        assert client.get(url).status_code == 404


# --- filters and sort ------------------------------------------------------------------


def test_category_includes_its_sub_categories(client, make):
    fruit = make.category("Trái cây", slug="trai-cay")
    lychee = make.category("Vải thiều", parent=fruit, slug="vai-thieu")
    honey = make.category("Mật ong", slug="mat-ong")
    coop = make.cooperative()
    aged(make.product(coop, fruit, slug="cam"), 3)
    aged(make.product(coop, lychee, slug="vai"), 2)
    make.product(coop, honey, slug="mat")
    make.commit()

    assert listed(client.get("/categories/trai-cay")) == ["vai", "cam"]
    assert listed(client.get("/categories/vai-thieu")) == ["vai"]
    assert listed(client.get("/products?category=trai-cay")) == ["vai", "cam"]
    assert listed(client.get("/products?category=mat-ong")) == ["mat"]


def test_category_page_has_breadcrumbs_and_sub_category_links(client, make):
    fruit = make.category("Trái cây", slug="trai-cay")
    make.category("Vải thiều", parent=fruit, slug="vai-thieu")
    make.commit()

    top = text(client.get("/categories/trai-cay"))
    assert 'href="/categories/vai-thieu"' in top
    sub = text(client.get("/categories/vai-thieu"))
    assert '<nav class="breadcrumbs"' in sub
    assert 'href="/categories/trai-cay">Trái cây</a>' in sub


def test_province_filter(client, make):
    make.product(make.cooperative(province_code=BAC_NINH), slug="bac-ninh")
    from marketplace.core import geo

    ha_noi_ward = geo.wards(HA_NOI)[0][0]
    make.product(make.cooperative(province_code=HA_NOI, ward_code=ha_noi_ward), slug="ha-noi")
    make.commit()

    assert listed(client.get(f"/products?province={HA_NOI}")) == ["ha-noi"]
    assert listed(client.get(f"/products?province={BAC_NINH}")) == ["bac-ninh"]


def test_ocop_minimum_filter(client, make):
    coop = make.cooperative()
    aged(make.product(coop, slug="khong-sao"), 4)
    aged(make.product(coop, slug="ba-sao", ocop_stars=3), 3)
    aged(make.product(coop, slug="bon-sao", ocop_stars=4), 2)
    aged(make.product(coop, slug="nam-sao", ocop_stars=5), 1)
    make.commit()

    assert listed(client.get("/products?ocop_min=3")) == ["nam-sao", "bon-sao", "ba-sao"]
    assert listed(client.get("/products?ocop_min=4")) == ["nam-sao", "bon-sao"]
    assert listed(client.get("/products?ocop_min=5")) == ["nam-sao"]


def test_youth_cooperative_filter(client, make):
    make.product(make.cooperative(is_youth=True), slug="thanh-nien")
    make.product(make.cooperative(is_youth=False), slug="thuong")
    make.commit()

    assert listed(client.get("/products?youth=1")) == ["thanh-nien"]
    assert sorted(listed(client.get("/products"))) == ["thanh-nien", "thuong"]


def test_sort_orders(client, make):
    coop = make.cooperative()
    aged(make.product(coop, slug="cu-re", price_vnd=50_000), 3)
    aged(make.product(coop, slug="vua-dat", price_vnd=300_000), 2)
    aged(make.product(coop, slug="moi-vua", price_vnd=120_000), 1)
    make.commit()

    assert listed(client.get("/products")) == ["moi-vua", "vua-dat", "cu-re"]
    assert listed(client.get("/products?sort=newest")) == ["moi-vua", "vua-dat", "cu-re"]
    assert listed(client.get("/products?sort=price_asc")) == ["cu-re", "moi-vua", "vua-dat"]
    assert listed(client.get("/products?sort=price_desc")) == ["vua-dat", "moi-vua", "cu-re"]


def test_filter_form_works_without_javascript_and_keeps_choices(client, make):
    make.category("Trái cây", slug="trai-cay")
    make.commit()
    page = text(client.get(f"/products?category=trai-cay&province={BAC_NINH}&ocop_min=4&youth=1&sort=price_desc"))

    assert re.search(r'<form class="filters" method="get"', page)
    assert '<option value="trai-cay" selected>' in page
    assert f'<option value="{BAC_NINH}" selected>' in page
    assert '<option value="4" selected>' in page
    assert '<option value="price_desc" selected>' in page
    assert 'name="youth" value="1" checked' in page
    for field in ("filter-category", "filter-province", "filter-ocop_min", "filter-sort", "filter-youth"):
        assert f'<label for="{field}">' in page


def test_empty_filter_values_mean_no_filter(client, make):
    make.product(slug="mot")
    make.commit()
    assert listed(client.get("/products?category=&province=&ocop_min=&sort=")) == ["mot"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=0", "page"),
        ("page=abc", "page"),
        ("ocop_min=2", "ocop_min"),
        ("ocop_min=9", "ocop_min"),
        ("sort=x", "sort"),
        ("youth=maybe", "youth"),
        ("province=abc", "province"),
        ("province=9999", "province"),
        ("category=khong-co", "category"),
    ],
)
def test_bad_filter_values_are_a_clear_400(client, query, parameter):
    response = client.get(f"/products?{query}")
    assert response.status_code == 400
    assert f"<code>{parameter}</code>" in text(response)
    assert "Traceback" not in text(response)


def test_bad_filters_on_category_and_directory_pages_are_400(client, make):
    make.category(slug="trai-cay")
    make.commit()
    assert client.get("/categories/trai-cay?sort=cheap").status_code == 400
    assert client.get("/cooperatives/?youth=perhaps").status_code == 400
    assert client.get("/cooperatives/?page=-1").status_code == 400


# --- pagination ------------------------------------------------------------------------


def test_pagination_keeps_filters_and_pages_past_the_end_are_404(app, client, make):
    app.config["PER_PAGE"] = 2
    coop = make.cooperative()
    for n in range(5):
        aged(make.product(coop, slug=f"sp-{n}", price_vnd=10_000 * (n + 1)), n)
    make.commit()

    first = client.get("/products?sort=price_asc")
    assert listed(first) == ["sp-0", "sp-1"]
    assert 'href="/products?sort=price_asc&amp;page=2"' in text(first)
    assert listed(client.get("/products?sort=price_asc&page=3")) == ["sp-4"]
    assert client.get("/products?page=4").status_code == 404


def test_cooperative_directory_filters_and_pages(app, client, make):
    app.config["PER_PAGE"] = 2
    from marketplace.core import geo

    ha_noi_ward = geo.wards(HA_NOI)[0][0]
    make.cooperative("HTX A", is_youth=True)
    make.cooperative("HTX B", is_youth=False)
    make.cooperative("HTX C", province_code=HA_NOI, ward_code=ha_noi_ward)
    make.commit()

    def names(response):
        assert response.status_code == 200
        return re.findall(r'class="coop-card-title"><a href="[^"]+">([^<]+)</a>', text(response))

    assert names(client.get("/cooperatives/")) == ["HTX A", "HTX B"]
    assert names(client.get("/cooperatives/?page=2")) == ["HTX C"]
    assert names(client.get(f"/cooperatives/?province={HA_NOI}")) == ["HTX C"]
    assert names(client.get("/cooperatives/?youth=1")) == ["HTX A", "HTX C"]


# --- product page -----------------------------------------------------------------------


def test_product_page_shows_price_unit_origin_certifications_and_cooperative(client, make):
    fruit = make.category("Trái cây", slug="trai-cay")
    lychee = make.category("Vải thiều", parent=fruit, slug="vai-thieu")
    coop = make.cooperative("HTX Vải Lục Ngạn", slug="htx-vai", is_youth=True)
    product = make.product(
        coop,
        lychee,
        slug="vai-loai-1",
        name="Vải thiều loại 1",
        price_vnd=150_000,
        unit="kg",
        origin="Lục Ngạn, Bắc Ninh",
        certifications=["vietgap"],
        description="Quả to.\nVị ngọt.",
    )
    # The OCOP stars come from a verified OCOP certificate (traceability.certificates).
    db.session.add(
        Certificate(
            cooperative=coop,
            product=product,
            kind=CertificateKind.OCOP,
            ocop_stars=4,
            number="OCOP-1",
            issuer="UBND tỉnh Bắc Ninh",
            issued_on=date(2024, 1, 2),
            verified_at=datetime(2024, 1, 3),
        )
    )
    make.commit()

    page = text(client.get("/products/vai-loai-1"))
    assert "<h1>Vải thiều loại 1</h1>" in page
    assert "150.000 ₫ / kg" in page
    assert "Lục Ngạn, Bắc Ninh" in page
    assert "VietGAP" in page
    assert "<p>Quả to.</p><p>Vị ngọt.</p>" in page
    assert '<a href="/cooperatives/htx-vai">HTX Vải Lục Ngạn</a>' in page
    assert "HTX Vải Lục Ngạn" in page
    assert "Xã Lục Ngạn, Bắc Ninh" in page
    assert 'href="/categories/trai-cay"' in page and 'href="/categories/vai-thieu"' in page
    assert "OCOP 4 sao" in page or "OCOP 4 stars" in page
    assert 'class="visually-hidden"' in page


@pytest.mark.parametrize(
    ("stock", "shown"),
    [(0, "Out of stock"), (1, "Only 1 left"), (5, "Only 5 left"), (6, "In stock"), (120, "In stock")],
)
def test_product_page_stock_states(client, make, stock, shown):
    make.product(slug="hang", stock=stock)
    make.commit()
    in_english(client)
    assert shown in text(client.get("/products/hang"))


def test_product_page_images_and_placeholder(client, make):
    with_photos = make.product(slug="co-anh", name="Mật ong")
    for position, stem in enumerate(["a" * 32, "b" * 32]):
        db.session.add(ProductImage(product=with_photos, position=position, stem=stem, alt_text=f"Ảnh {position}"))
    make.product(slug="khong-anh")
    make.commit()

    page = text(client.get("/products/co-anh"))
    assert f'src="/media/products/{"a" * 32}-large.webp" alt="Ảnh 0"' in page
    assert f'src="/media/products/{"b" * 32}-thumb.webp"' in page
    assert "product-placeholder.svg" not in page
    assert "product-placeholder.svg" in text(client.get("/products/khong-anh"))
    assert f"/media/products/{'a' * 32}-thumb.webp" in text(client.get("/products"))


def test_every_image_has_alt_text(client, make):
    make.product(slug="khong-anh", is_featured=True)
    make.commit()
    for url in ("/", "/products", "/products/khong-anh"):
        for tag in re.findall(r"<img[^>]*>", text(client.get(url))):
            assert re.search(r'alt="[^"]+"', tag), tag


def test_cooperative_logo_or_initial(client, make):
    make.product(make.cooperative("HTX Có Logo", slug="co-logo", logo_filename="c" * 32), slug="sp")
    make.cooperative("HTX Mận Hậu", slug="khong-logo")
    make.commit()

    assert f'src="/media/logos/{"c" * 32}-medium.webp" alt="' in text(client.get("/cooperatives/co-logo"))
    assert f'src="/media/logos/{"c" * 32}-thumb.webp"' in text(client.get("/products/sp"))
    assert '<span class="coop-avatar coop-avatar-initial" aria-hidden="true">M</span>' in text(
        client.get("/cooperatives/khong-logo")
    )


def test_cooperative_initial_skips_the_words_every_name_starts_with(client, make):
    make.cooperative("HTX Thanh niên Gà đồi Yên Thế", slug="ga-doi")
    make.cooperative("Thanh niên", slug="chi-thanh-nien")
    make.commit()

    assert 'aria-hidden="true">G</span>' in text(client.get("/cooperatives/ga-doi"))
    assert 'aria-hidden="true">T</span>' in text(client.get("/cooperatives/chi-thanh-nien"))


# --- money and dates in both languages ------------------------------------------------------


def test_price_in_vietnamese_and_english(client, make):
    make.product(slug="gia", price_vnd=150_000, unit="hộp")
    make.commit()

    assert "150.000 ₫" in text(client.get("/products/gia"))
    in_english(client)
    page = text(client.get("/products/gia"))
    assert "₫150,000" in page
    assert 'lang="en"' in page


def test_cooperative_page_profile_with_vietnamese_date(client, make):
    make.cooperative(
        "HTX Gà đồi Yên Thế",
        slug="ga-doi",
        founded_on=date(2021, 3, 9),
        member_count=25,
        youth_member_count=18,
        representative="Trần Thị Hoa",
        phone="0912 345 678",
        email="lienhe@gadoi.vn",
        description="Nuôi gà thả đồi.",
    )
    make.commit()

    page = text(client.get("/cooperatives/ga-doi"))
    assert "09/03/2021" in page
    assert "<dd>25</dd>" in page and "<dd>18</dd>" in page
    assert "Trần Thị Hoa" in page
    assert 'href="tel:0912345678"' in page
    assert 'href="mailto:lienhe@gadoi.vn"' in page
    assert "Nuôi gà thả đồi." in page


# --- home, categories, navigation -------------------------------------------------------------


def test_home_shows_featured_new_products_cooperatives_and_categories(client, make):
    category = make.category("Mật ong", slug="mat-ong")
    coop = make.cooperative("HTX Ong Sơn Động")
    make.product(coop, category, slug="noi-bat", name="Mật ong hoa vải", is_featured=True)
    make.product(coop, category, slug="moi", name="Mật ong rừng")
    make.commit()

    page = text(client.get("/"))
    featured = page[page.index('id="featured-heading"') : page.index('id="newest-heading"')]
    assert "/products/noi-bat" in featured
    assert "/products/moi" not in featured
    assert "/products/moi" in page
    assert "HTX Ong Sơn Động" in page
    assert 'href="/categories/mat-ong"' in page


def test_home_shows_each_product_once(client, make):
    category = make.category("Mật ong", slug="mat-ong")
    coop = make.cooperative("HTX Ong Sơn Động")
    make.product(coop, category, slug="cu", name="Mật ong bạc hà")
    make.product(coop, category, slug="moi-noi-bat", name="Mật ong hoa vải", is_featured=True)
    make.commit()

    page = text(client.get("/"))

    newest = page[page.index('id="newest-heading"') :]
    assert page.count('href="/products/moi-noi-bat"') == 1
    assert "/products/moi-noi-bat" not in newest and "/products/cu" in newest


def test_categories_index_counts_public_products(client, make):
    fruit = make.category("Trái cây", slug="trai-cay")
    lychee = make.category("Vải thiều", parent=fruit, slug="vai-thieu")
    make.product(category_obj=lychee)
    make.product(category_obj=fruit)
    make.product(category_obj=fruit, status=ProductStatus.DRAFT)
    make.commit()
    in_english(client)

    page = text(client.get("/categories"))
    assert "2 products" in page
    assert 'href="/categories/vai-thieu"' in page


def test_main_navigation_links(client):
    page = text(client.get("/products"))
    nav = page[page.index('class="main-nav"') : page.index('class="user-nav"')]
    assert 'href="/products"' in nav and 'aria-current="page"' in nav
    assert 'href="/categories"' in nav
    assert 'href="/cooperatives/"' in nav


# --- no N+1 queries ----------------------------------------------------------------------------


def count_queries(client, url: str) -> int:
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)
    return len(statements)


def test_listing_pages_do_not_query_per_product(client, make):
    def add_products(count: int):
        for n in range(count):
            # Half featured: the home page's newest products leave out the featured ones.
            product = make.product(make.cooperative(), make.category(parent=parent), is_featured=n % 2 == 0)
            db.session.add(ProductImage(product=product, stem=f"{product.id:032x}", alt_text="ảnh"))
        make.commit()

    parent = make.category()
    add_products(2)
    urls = (
        "/",
        "/products",
        f"/categories/{parent.slug}",
        "/cooperatives/",
        "/api/v1/products",
        "/api/v1/cooperatives",
    )
    few = {url: count_queries(client, url) for url in urls}
    add_products(8)
    many = {url: count_queries(client, url) for url in few}
    assert many == few
