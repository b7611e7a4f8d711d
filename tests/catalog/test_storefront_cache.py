"""The storefront cache never shows a page older than the last change, on any server.

Two app instances share the database, as two web servers (or gunicorn workers) do: with
"memory" each keeps its own in-process cache, with "redis" both share one Redis. Each test
warms both servers' caches, changes something through server A (the real workspace routes,
the services, or the ORM session as the app does) and checks that server B's very next
request shows the change: names and prices, a new product, an archived one, stock running
out, exact stock after a sale, a photo, a suspended cooperative, a renamed category, fair
prices starting and ending by themselves and a fair price edited. A warm page costs a few
SQL statements at most.

Times are naive UTC; the `clock` fixture moves "now" where prices and the cache read it.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.accounts.models import User
from marketplace.catalog import services as catalog_services
from marketplace.catalog.models import Category, Product, ProductImage, ProductStatus
from marketplace.cooperatives import services as cooperative_services
from marketplace.cooperatives.models import Cooperative
from marketplace.fairs.models import BoothProduct
from marketplace.orders.services import give_stock_back
from tests import factories as f
from tests.cache_helpers import (
    BACKENDS,
    api_items,
    backend_settings,
    card,
    fair_price_marks,
    listed,
    page_text,
    start_servers,
    stop_servers,
)

START = datetime(2026, 12, 4, 1, 0)  # 08:00 on 4 December in Vietnam
END = datetime(2026, 12, 7, 10, 0)  # 17:00 on 7 December in Vietnam (exclusive)
REGULAR, FAIR = 120_000, 99_000
# At most this many SQL statements for a storefront page whose cache is warm.
WARM_STATEMENTS = 6


@pytest.fixture(params=BACKENDS)
def servers(request, database_url, tmp_path):
    pair = start_servers(database_url, tmp_path, **backend_settings(request.param))
    yield pair
    stop_servers(pair)


@pytest.fixture
def clock(monkeypatch):
    """Sets "now" (naive UTC) where the cache's version, fair prices and listings read it."""

    class Clock:
        now = START - timedelta(hours=1)

        def set(self, when: datetime) -> None:
            self.now = when

    c = Clock()
    for module in ("marketplace.core.content_version", "marketplace.fairs.pricing", "marketplace.catalog.queries"):
        monkeypatch.setattr(f"{module}.utcnow", lambda: c.now)
    return c


@pytest.fixture
def world(servers):
    """Two cooperatives; dried lychee (50 in stock) and honey (2 left) of one, a chicken of the other.

    Categories: Trái cây > Sấy khô (the lychee), Trái cây (the honey), Gia cầm (the chicken)."""
    a, _b = servers
    with a.context():
        coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="htx-vai-thieu")
        other = f.cooperative("HTX Gà đồi Yên Thế", slug="htx-ga-doi")
        fruit = f.category("Trái cây", slug="trai-cay")
        dried = f.category("Sấy khô", parent=fruit, slug="say-kho")
        poultry = f.category("Gia cầm", slug="gia-cam")
        lychee = f.product(
            coop,
            dried,
            name="Vải thiều sấy",
            slug="vai-thieu-say",
            sku="VT-SAY",
            price_vnd=REGULAR,
            stock=50,
            is_featured=True,
        )
        honey = f.product(
            coop, fruit, name="Mật ong hoa vải", slug="mat-ong-hoa-vai", sku="MO-1", price_vnd=200_000, stock=2
        )
        chicken = f.product(other, poultry, name="Gà đồi Yên Thế", slug="ga-doi", sku="GA-1", price_vnd=180_000)
        manager = f.manager(coop)
        staff = f.staff()
        f.commit()
        return SimpleNamespace(
            coop_id=coop.id,
            other_id=other.id,
            fruit_id=fruit.id,
            dried_id=dried.id,
            lychee_id=lychee.id,
            honey_id=honey.id,
            chicken_id=chicken.id,
            manager_id=manager.id,
            staff_id=staff.id,
        )


def storefront(product_slug: str = "vai-thieu-say", product_id: int | None = None, *more: str) -> list[str]:
    """The public pages a change may show on (those each test looks at again)."""
    urls = [
        "/",
        "/products",
        "/categories/trai-cay",
        "/categories/say-kho",
        f"/products/{product_slug}",
        "/search?q=vai",
        "/cooperatives/htx-vai-thieu",
        "/api/v1/products",
        "/search/suggest?q=vai",
        *more,
    ]
    if product_id is not None:
        urls.append(f"/api/v1/products/{product_id}")
    return urls


def warm(servers, urls) -> None:
    """Every server shows every page (and stores it)."""
    for server in servers:
        for url in urls:
            response = server.get(url)
            assert response.status_code == 200, (server, url, response.status_code)


def fruit_tile_count(response) -> int:
    """The product count on the home page's tile of Trái cây."""
    match = re.search(
        r'href="/categories/trai-cay">\s*<span class="category-tile-name">Trái cây</span>\s*'
        r'<span class="count">(\d+) sản phẩm</span>',
        response.get_data(as_text=True),
    )
    assert match, "no tile for Trái cây"
    return int(match.group(1))


def product_in(server, product_id: int):
    return server.get(f"/api/v1/products/{product_id}")


# --- what managers and agencies change ----------------------------------------------------------


def test_an_edited_name_and_price_show_on_the_other_server(servers, world):
    a, b = servers
    warm(servers, storefront(product_id=world.lychee_id))
    a.sign_in(world.manager_id)

    response = a.post(
        f"/workspace/htx-vai-thieu/products/{world.lychee_id}/edit",
        data={
            "name": "Vải thiều sấy lạnh",
            "category_id": str(world.dried_id),
            "description": "",
            "unit": "kg",
            "price_vnd": "135.000",
            "stock": "50",
            "sku": "VT-SAY",
            "ocop_stars": "",
            "origin": "",
            "status": "active",
        },
    )
    assert response.status_code == 302

    for url in ("/", "/products", "/categories/trai-cay", "/categories/say-kho", "/cooperatives/htx-vai-thieu"):
        page = b.get(url)
        assert "vai-thieu-say" not in listed(page), url
        shown = card(page, "vai-thieu-say-lanh")
        assert "Vải thiều sấy lạnh" in shown and "135.000 ₫" in shown, url
    assert "vai-thieu-say-lanh" in listed(b.get("/search?q=vai"))
    assert "vai-thieu-say" not in listed(b.get("/search?q=vai"))
    assert b.get("/products/vai-thieu-say").status_code == 404  # renamed: a new address
    assert "135.000 ₫" in page_text(b.get("/products/vai-thieu-say-lanh"))
    item = api_items(b.get("/api/v1/products"))["vai-thieu-say-lanh"]
    assert (item["name"], item["price_vnd"]) == ("Vải thiều sấy lạnh", 135_000)
    assert product_in(b, world.lychee_id).get_json()["price_vnd"] == 135_000
    suggested = b.get("/search/suggest?q=vai").get_json()["items"]
    assert "Vải thiều sấy lạnh" in [s["name"] for s in suggested]


def test_stock_and_price_changed_from_the_products_list_show_on_the_other_server(servers, world):
    """The manager's quick update (stock, then price) goes through the ORM session."""
    a, b = servers
    urls = (
        "/",
        "/products",
        "/categories/trai-cay",
        "/categories/say-kho",
        "/search?q=vai",
        "/cooperatives/htx-vai-thieu",
    )
    warm(servers, storefront(product_id=world.lychee_id))
    a.sign_in(world.manager_id)
    quick, prefix = f"/workspace/htx-vai-thieu/products/{world.lychee_id}/quick", f"p{world.lychee_id}-"

    assert a.post(quick, data={prefix + "stock": "0", prefix + "price_vnd": "120.000"}).status_code == 302

    for url in urls:
        assert "Hết hàng" in card(b.get(url), "vai-thieu-say"), url
    assert "Hết hàng" in page_text(b.get("/products/vai-thieu-say"))
    assert product_in(b, world.lychee_id).get_json()["stock"] == 0

    assert a.post(quick, data={prefix + "stock": "0", prefix + "price_vnd": "110.000"}).status_code == 302

    for url in urls:
        assert "110.000 ₫" in card(b.get(url), "vai-thieu-say"), url
    assert "110.000 ₫" in page_text(b.get("/products/vai-thieu-say"))
    assert api_items(b.get("/api/v1/products"))["vai-thieu-say"]["price_vnd"] == 110_000
    assert product_in(b, world.lychee_id).get_json()["price_vnd"] == 110_000


def test_a_new_product_appears_on_the_other_server(servers, world):
    a, b = servers
    warm(servers, storefront())
    assert fruit_tile_count(b.get("/")) == 2  # the honey, and the lychee in a sub-category

    with a.context() as session:
        f.product(
            session.get(Cooperative, world.coop_id),
            session.get(Category, world.fruit_id),
            name="Vải thiều tươi",
            slug="vai-thieu-tuoi",
            sku="VT-TUOI",
            price_vnd=45_000,
        )
        f.commit()

    for url in ("/", "/products", "/categories/trai-cay", "/search?q=vai", "/cooperatives/htx-vai-thieu"):
        assert "Vải thiều tươi" in card(b.get(url), "vai-thieu-tuoi"), url
    assert "vai-thieu-tuoi" not in listed(b.get("/categories/say-kho"))
    assert fruit_tile_count(b.get("/")) == 3
    assert "vai-thieu-tuoi" in api_items(b.get("/api/v1/products"))
    assert b.get("/api/v1/products").get_json()["total"] == 4
    assert "Vải thiều tươi" in [s["name"] for s in b.get("/search/suggest?q=vai").get_json()["items"]]


def test_archived_and_hidden_products_are_gone_from_the_other_server(servers, world):
    a, b = servers
    warm(
        servers,
        storefront("vai-thieu-say", world.lychee_id, "/products/mat-ong-hoa-vai", f"/api/v1/products/{world.honey_id}"),
    )
    a.sign_in(world.manager_id)

    assert a.post(f"/workspace/htx-vai-thieu/products/{world.lychee_id}/archive").status_code == 302

    for url in (
        "/",
        "/products",
        "/categories/trai-cay",
        "/categories/say-kho",
        "/search?q=vai",
        "/cooperatives/htx-vai-thieu",
    ):
        assert "vai-thieu-say" not in listed(b.get(url)), url
    assert "mat-ong-hoa-vai" in listed(b.get("/products"))
    assert b.get("/products/vai-thieu-say").status_code == 404
    assert "vai-thieu-say" not in api_items(b.get("/api/v1/products"))
    assert product_in(b, world.lychee_id).status_code == 404
    assert "Vải thiều sấy" not in [s["name"] for s in b.get("/search/suggest?q=vai").get_json()["items"]]

    # Any status but active (here: back to a draft through the ORM) takes a product off too.
    with a.context() as session:
        session.get(Product, world.honey_id).status = ProductStatus.DRAFT
        session.commit()

    for url in ("/", "/products", "/categories/trai-cay", "/search?q=vai", "/cooperatives/htx-vai-thieu"):
        assert "mat-ong-hoa-vai" not in listed(b.get(url)), url
    assert b.get("/products/mat-ong-hoa-vai").status_code == 404
    assert api_items(b.get("/api/v1/products")).keys() == {"ga-doi"}
    assert product_in(b, world.honey_id).status_code == 404


# --- stock ---------------------------------------------------------------------------------------


def test_stock_running_out_shows_out_of_stock_on_the_other_server(servers, world):
    a, b = servers
    urls = ("/", "/products", "/categories/trai-cay", "/search?q=vai", "/cooperatives/htx-vai-thieu")
    warm(servers, storefront(product_slug="mat-ong-hoa-vai", product_id=world.honey_id))
    for url in urls:
        assert "Chỉ còn 2" in card(b.get(url), "mat-ong-hoa-vai"), url

    with a.context() as session:  # 2 -> 1: from one band ("only 2 left") to another
        f.order([(session.get(Product, world.honey_id), 1)])  # orders.services.take_stock
        session.commit()

    for url in urls:
        shown = card(b.get(url), "mat-ong-hoa-vai")
        assert "Chỉ còn 1" in shown and "Chỉ còn 2" not in shown, url
    assert "Chỉ còn 1" in page_text(b.get("/products/mat-ong-hoa-vai"))

    with a.context() as session:  # the last one
        f.order([(session.get(Product, world.honey_id), 1)])
        session.commit()

    for url in urls:
        shown = card(b.get(url), "mat-ong-hoa-vai")
        assert "Hết hàng" in shown and "Chỉ còn" not in shown, url
    page = page_text(b.get("/products/mat-ong-hoa-vai"))
    assert "Hết hàng" in page
    assert "Thêm vào giỏ" not in page  # no add-to-cart form for a sold-out product
    assert api_items(b.get("/api/v1/products"))["mat-ong-hoa-vai"]["stock"] == 0
    assert product_in(b, world.honey_id).get_json()["stock"] == 0


def test_exact_stock_after_a_sale_in_the_same_band_shows_on_the_other_server(servers, world):
    """50 -> 49 changes no list (both "in stock"), but the product page and the API give the
    exact figure; the other pages keep their version (a browser's copy is still good)."""
    a, b = servers
    warm(servers, storefront(product_id=world.lychee_id))
    assert 'max="50"' in b.get("/products/vai-thieu-say").get_data(as_text=True)
    home = b.get("/")
    etag = home.headers["ETag"]

    with a.context() as session:
        f.order([(session.get(Product, world.lychee_id), 1)])
        session.commit()

    page = b.get("/products/vai-thieu-say").get_data(as_text=True)
    assert 'max="49"' in page and 'max="50"' not in page  # the quantity one can add
    assert api_items(b.get("/api/v1/products"))["vai-thieu-say"]["stock"] == 49
    assert product_in(b, world.lychee_id).get_json()["stock"] == 49
    assert "Còn hàng" in card(b.get("/products"), "vai-thieu-say")
    assert b.get("/", headers={"If-None-Match": etag}).status_code == 304
    # And back: stock given back (an order cancelled) shows as exactly too.
    with a.context() as session:
        give_stock_back(world.lychee_id, 1)
        session.commit()
    assert api_items(b.get("/api/v1/products"))["vai-thieu-say"]["stock"] == 50
    assert 'max="50"' in b.get("/products/vai-thieu-say").get_data(as_text=True)


# --- photos, cooperatives, categories ----------------------------------------------------------


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (200, 60, 40)).save(buffer, "JPEG")
    return buffer.getvalue()


def test_a_new_photo_shows_on_the_other_server(servers, world):
    a, b = servers
    warm(servers, storefront(product_id=world.lychee_id))
    assert "is-placeholder" in card(b.get("/"), "vai-thieu-say")
    a.sign_in(world.manager_id)

    response = a.post(
        f"/workspace/htx-vai-thieu/products/{world.lychee_id}/images",
        data={"photos": [(io.BytesIO(_jpeg()), "vai.jpg")], "alt_text": "Hộp vải sấy"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with a.context() as session:
        stem = session.scalar(sa.select(ProductImage.stem).where(ProductImage.product_id == world.lychee_id))

    for url in ("/", "/products", "/categories/say-kho", "/search?q=vai", "/cooperatives/htx-vai-thieu"):
        shown = card(b.get(url), "vai-thieu-say")
        assert f"/media/products/{stem}-" in shown and "is-placeholder" not in shown, url
    page = page_text(b.get("/products/vai-thieu-say"))
    assert f"/media/products/{stem}-large.webp" in page and 'alt="Hộp vải sấy"' in page


def test_a_suspended_cooperative_vanishes_from_the_other_server(servers, world):
    a, b = servers
    warm(
        servers,
        storefront(
            "vai-thieu-say",
            world.lychee_id,
            "/search?q=mat+ong",
            "/cooperatives/",
            "/api/v1/cooperatives",
            "/api/v1/cooperatives/htx-vai-thieu",
        ),
    )

    with a.context() as session:
        cooperative_services.suspend_cooperative(
            session.get(Cooperative, world.coop_id), session.get(User, world.staff_id), "Hồ sơ cần bổ sung."
        )
        session.commit()

    for url in ("/", "/products", "/categories/trai-cay", "/search?q=vai", "/search?q=mat+ong"):
        shown = listed(b.get(url))
        assert "vai-thieu-say" not in shown and "mat-ong-hoa-vai" not in shown, url
    assert "ga-doi" in listed(b.get("/products"))
    assert "HTX Vải thiều Lục Ngạn" not in page_text(b.get("/"))
    assert "HTX Vải thiều Lục Ngạn" not in page_text(b.get("/cooperatives/"))
    assert "HTX Gà đồi Yên Thế" in page_text(b.get("/cooperatives/"))
    for url in (
        "/cooperatives/htx-vai-thieu",
        "/products/vai-thieu-say",
        f"/api/v1/products/{world.lychee_id}",
        "/api/v1/cooperatives/htx-vai-thieu",
    ):
        assert b.get(url).status_code == 404, url
    assert set(api_items(b.get("/api/v1/products"))) == {"ga-doi"}
    assert set(api_items(b.get("/api/v1/cooperatives"))) == {"htx-ga-doi"}
    assert b.get("/search/suggest?q=vai").get_json()["items"] == []


def test_a_renamed_category_shows_on_the_other_server(servers, world):
    a, b = servers
    warm(servers, storefront("vai-thieu-say", world.lychee_id, "/categories"))

    with a.context() as session:
        fruit, dried = session.get(Category, world.fruit_id), session.get(Category, world.dried_id)
        catalog_services.update_category(fruit, "Hoa quả", None, 0)
        catalog_services.update_category(dried, "Đồ sấy", fruit, 0)
        session.commit()

    for url in ("/", "/categories", "/products", "/products/vai-thieu-say"):
        page = page_text(b.get(url))
        assert "Hoa quả" in page and "Trái cây" not in page, url
    for url in ("/categories", "/categories/hoa-qua", "/products/vai-thieu-say"):
        page = page_text(b.get(url))
        assert "Đồ sấy" in page and "Sấy khô" not in page, url
    assert b.get("/categories/trai-cay").status_code == 404  # renamed: a new address
    assert b.get("/categories/say-kho").status_code == 404
    assert listed(b.get("/categories/do-say")) == ["vai-thieu-say"]
    assert product_in(b, world.lychee_id).get_json()["category"]["name"] == "Đồ sấy"
    assert api_items(b.get("/api/v1/products"))["vai-thieu-say"]["category"]["name"] == "Đồ sấy"


# --- fair prices -----------------------------------------------------------------------------------


def _fair_with_lychee(server, world, price: int = FAIR) -> int:
    """A published fair (START to END) where the lychee sells at `price`; the booth product's id."""
    with server.context() as session:
        coop = session.get(Cooperative, world.coop_id)
        fair = f.fair("Hội chợ nông sản Bắc Ninh", slug="hoi-cho-bac-ninh", starts_at=START, ends_at=END)
        booth = f.booth(fair, coop, [(session.get(Product, world.lychee_id), price)], number="A12")
        f.commit()
        return booth.products[0].id


def _fair_prices_everywhere(server, world) -> dict[str, object]:
    """The lychee's sale price on each page (None: regular price only)."""
    found = {}
    for url in ("/", "/products", "/categories/say-kho", "/search?q=vai", "/cooperatives/htx-vai-thieu"):
        marks = [int(v) for v in re.findall(r'data-fair-price="(\d+)"', card(server.get(url), "vai-thieu-say"))]
        found[url] = marks[0] if marks else None
    marks = fair_price_marks(server.get("/products/vai-thieu-say"))
    found["product page"] = marks[0] if marks else None
    found["api list"] = api_items(server.get("/api/v1/products"))["vai-thieu-say"]["price_vnd"]
    found["api product"] = product_in(server, world.lychee_id).get_json()["price_vnd"]
    found["suggest"] = {s["name"]: s["price_vnd"] for s in server.get("/search/suggest?q=vai").get_json()["items"]}[
        "Vải thiều sấy"
    ]
    return found


def _expect(price: int | None) -> dict[str, object]:
    pages = ("/", "/products", "/categories/say-kho", "/search?q=vai", "/cooperatives/htx-vai-thieu", "product page")
    return {
        **dict.fromkeys(pages, price),
        "api list": price or REGULAR,
        "api product": price or REGULAR,
        "suggest": price or REGULAR,
    }


def test_a_fair_price_starts_and_ends_at_its_instants_without_a_commit(servers, world, clock):
    a, b = servers
    _fair_with_lychee(a, world)
    clock.set(START - timedelta(seconds=1))
    for server in servers:  # both warm, before the fair
        assert _fair_prices_everywhere(server, world) == _expect(None), server

    clock.set(START)
    for server in (b, a):
        assert _fair_prices_everywhere(server, world) == _expect(FAIR), server
    item = api_items(b.get("/api/v1/products"))["vai-thieu-say"]
    assert item["fair_price"]["fair"]["slug"] == "hoi-cho-bac-ninh" and item["regular_price_vnd"] == REGULAR

    clock.set(END - timedelta(seconds=1))
    assert _fair_prices_everywhere(b, world) == _expect(FAIR)

    clock.set(END)
    for server in (b, a):
        assert _fair_prices_everywhere(server, world) == _expect(None), server
    assert api_items(b.get("/api/v1/products"))["vai-thieu-say"]["fair_price"] is None


def test_an_edited_fair_price_shows_on_the_other_server(servers, world, clock):
    a, b = servers
    booth_product_id = _fair_with_lychee(a, world)
    clock.set(START + timedelta(hours=2))
    for server in servers:
        assert _fair_prices_everywhere(server, world) == _expect(FAIR), server

    with a.context() as session:
        session.get(BoothProduct, booth_product_id).fair_price_vnd = 95_000
        session.commit()

    assert _fair_prices_everywhere(b, world) == _expect(95_000)

    with a.context() as session:  # no fair price any more: the regular price is back
        session.get(BoothProduct, booth_product_id).fair_price_vnd = None
        session.commit()

    assert _fair_prices_everywhere(b, world) == _expect(None)


# --- cost of a warm page ------------------------------------------------------------------------------


WARM_PAGES = [
    "/",
    "/products",
    "/categories/trai-cay",
    "/products/vai-thieu-say",
    "/search?q=vai",
    "/cooperatives/htx-vai-thieu",
    "/api/v1/products",
]


def test_a_warm_storefront_page_runs_few_sql_statements(servers, world):
    _a, b = servers
    with b.context():
        customer_id = f.user(full_name="Lê Thị Hoa").id
        f.commit()
    customer = b.visitor()
    b.sign_in(customer_id, customer)
    warm([b], WARM_PAGES)

    for url in WARM_PAGES:
        response, statements = b.statements(url)
        assert response.status_code == 200
        assert len(statements) <= WARM_STATEMENTS, (url, statements)
        # A signed-in customer's page is made from the same cached skeleton.
        b.get(url, client=customer)
        response, statements = b.statements(url, client=customer)
        assert response.status_code == 200
        assert url.startswith("/api/") or "Lê Thị Hoa" in page_text(response)
        assert len(statements) <= WARM_STATEMENTS, (url, statements)


@pytest.mark.parametrize("servers", ["redis"], indirect=True)
def test_with_redis_a_page_made_by_one_server_is_warm_on_the_other(servers, world):
    a, b = servers
    warm([b], WARM_PAGES)
    for url in WARM_PAGES:
        response, statements = a.statements(url)
        assert response.status_code == 200
        assert len(statements) <= WARM_STATEMENTS, (url, statements)
