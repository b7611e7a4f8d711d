"""Fair prices as customers meet them: the edges of a fair, which fairs and booths count,
and the sale price on every page, in the cart, the API and orders (kept after the fair).

"Now" is set by the `clock` fixture; times are naive UTC, Vietnam is UTC+7.
"""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from marketplace.catalog.models import Product
from marketplace.extensions import db
from marketplace.fairs.models import BoothProduct, BoothStatus, FairStatus
from marketplace.fairs.pricing import current_price_vnd, fair_price_column, fair_prices
from marketplace.orders.models import OrderItem
from marketplace.orders.services import place_order
from tests import factories as f
from tests.cooperatives.helpers import sign_in

START = datetime(2026, 12, 4, 1, 0)  # 08:00 on 4 December in Vietnam
END = datetime(2026, 12, 7, 10, 0)  # 17:00 on 7 December in Vietnam (exclusive)
SECOND = timedelta(seconds=1)
REGULAR, FAIR = 120_000, 99_000


@pytest.fixture
def clock(monkeypatch):
    """Sets "now" (naive UTC) wherever prices, carts and orders read the time."""

    class Clock:
        now = START + timedelta(hours=2)

        def set(self, when: datetime) -> None:
            self.now = when

    c = Clock()
    for module in (
        "marketplace.core.content_version",
        "marketplace.fairs.pricing",
        "marketplace.catalog.queries",
        "marketplace.orders.cart",
        "marketplace.orders.services",
    ):
        monkeypatch.setattr(f"{module}.utcnow", lambda: c.now)
    return c


@pytest.fixture
def world(app):
    """A dried-lychee product at 120.000 ₫ with a fair price of 99.000 ₫ at a published fair."""
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu", delivery_fee_vnd=30_000)
    category = f.category("Trái cây", slug="trai-cay")
    lychee = f.product(
        coop, category, name="Vải thiều sấy", slug="vai-say", price_vnd=REGULAR, stock=10, is_featured=True
    )
    fair = f.fair("Hội chợ nông sản Bắc Ninh", slug="hoi-cho-bac-ninh", starts_at=START, ends_at=END)
    booth = f.booth(fair, coop, [(lychee, FAIR)], number="A12")
    f.commit()
    return type("World", (), {"coop": coop, "category": category, "lychee": lychee, "fair": fair, "booth": booth})


def price_at(product, when):
    """The price by fair_prices (pages, cart), checked against fair_price_column (placing orders):
    the two shapes of the one rule must agree at every edge."""
    found = fair_prices([product.id], when).get(product.id)
    by_column = db.session.scalar(sa.select(fair_price_column(when)).where(Product.id == product.id))
    assert by_column == (found.price_vnd if found else None), (by_column, found)
    return found.price_vnd if found else product.price_vnd


def html_of(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def text_of(response) -> str:
    """The page with entities decoded and no-break spaces (as in "99.000 ₫") made plain."""
    return html.unescape(html_of(response)).replace("\xa0", " ")


def fair_price_marks(page: str) -> list[int]:
    """The sale prices shown (data-fair-price of each price element)."""
    return [int(v) for v in re.findall(r'data-fair-price="(\d+)"', page)]


# --- the edges ---------------------------------------------------------------------------------------


def test_the_fair_price_applies_from_the_start_up_to_but_not_at_the_end(world):
    assert price_at(world.lychee, START - SECOND) == REGULAR
    assert price_at(world.lychee, START) == FAIR
    assert price_at(world.lychee, END - SECOND) == FAIR
    assert price_at(world.lychee, END) == REGULAR
    assert price_at(world.lychee, END + timedelta(days=30)) == REGULAR
    assert current_price_vnd(world.lychee, START) == FAIR
    assert current_price_vnd(world.lychee, END) == REGULAR


def test_a_fair_across_midnight_in_vietnam(app):
    product = f.product(price_vnd=50_000)
    # 23:00 on 10 December to 01:00 on 11 December, Vietnam time.
    night = f.fair(starts_at=datetime(2026, 12, 10, 16, 0), ends_at=datetime(2026, 12, 10, 18, 0))
    f.booth(night, product.cooperative, [(product, 40_000)])

    assert price_at(product, datetime(2026, 12, 10, 15, 59, 59)) == 50_000  # 22:59:59
    assert price_at(product, datetime(2026, 12, 10, 16, 30)) == 40_000  # 23:30
    assert price_at(product, datetime(2026, 12, 10, 17, 0)) == 40_000  # 00:00 the next day
    assert price_at(product, datetime(2026, 12, 10, 17, 59, 59)) == 40_000  # 00:59:59
    assert price_at(product, datetime(2026, 12, 10, 18, 0)) == 50_000  # 01:00: over


def test_the_end_is_shown_in_vietnam_time_across_midnight(client, app, clock):
    product = f.product(price_vnd=50_000, slug="che-dem")
    night = f.fair("Chợ đêm", starts_at=datetime(2026, 12, 10, 16, 0), ends_at=datetime(2026, 12, 10, 18, 0))
    f.booth(night, product.cooperative, [(product, 40_000)])
    f.commit()
    clock.set(datetime(2026, 12, 10, 17, 30))  # 00:30 in Vietnam

    page = html_of(client.get("/products/che-dem"))

    assert fair_price_marks(page) == [40_000]
    assert "11/12/2026 01:00" in page  # the end, in Vietnam time (18:00 UTC on the 10th)


@pytest.mark.parametrize("status", [FairStatus.DRAFT, FairStatus.ACCEPTING, FairStatus.CLOSED])
def test_only_a_published_fair_has_fair_prices(world, status):
    world.fair.status = status
    db.session.flush()

    assert price_at(world.lychee, START + timedelta(hours=1)) == REGULAR


@pytest.mark.parametrize("status", [BoothStatus.PENDING, BoothStatus.REJECTED, BoothStatus.WITHDRAWN])
def test_only_an_approved_booth_has_fair_prices(world, status):
    world.booth.status = status
    db.session.flush()

    assert price_at(world.lychee, START + timedelta(hours=1)) == REGULAR


@pytest.mark.parametrize("fair_price", [REGULAR, REGULAR + 1_000])
def test_a_fair_price_not_below_the_regular_price_is_ignored(world, fair_price):
    world.booth.products[0].fair_price_vnd = fair_price
    db.session.flush()

    assert price_at(world.lychee, START + timedelta(hours=1)) == REGULAR


def test_two_fairs_at_once_the_lowest_price_wins(world):
    other = f.fair("Hội chợ OCOP", starts_at=START - timedelta(days=1), ends_at=END + timedelta(days=1))
    f.booth(other, world.coop, [(world.lychee, 95_000)])

    found = fair_prices([world.lychee.id], START + timedelta(hours=1))[world.lychee.id]
    assert (found.price_vnd, found.fair_name) == (95_000, "Hội chợ OCOP")
    # Before the first fair starts, only the second one applies.
    assert price_at(world.lychee, START - SECOND) == 95_000


# --- shown everywhere ---------------------------------------------------------------------------------


def test_listing_category_home_and_product_page_show_the_sale_price(client, world, clock):
    for url in ("/products", "/categories/trai-cay", "/", "/products/vai-say"):
        page = html_of(client.get(url))
        assert fair_price_marks(page) == [FAIR], url
        assert "99.000" in page and "<s" in page and "120.000" in page, url  # sale price, struck regular price
        assert "07/12/2026 17:00" in page, url  # until the end, in Vietnam time


def test_after_the_fair_the_regular_price_is_back_everywhere(client, world, clock):
    clock.set(END)

    for url in ("/products", "/", "/products/vai-say"):
        page = html_of(client.get(url))
        assert fair_price_marks(page) == [], url
        assert "120.000" in page and "99.000" not in page, url


def test_search_results_show_the_sale_price_and_sort_by_the_regular_price(client, world, clock):
    cheaper = f.product(world.coop, world.category, name="Vải thiều tươi", slug="vai-tuoi", price_vnd=110_000)
    f.commit()

    page = html_of(client.get("/search?q=vai+thieu&sort=price_asc"))

    assert fair_price_marks(page) == [FAIR]
    # The index keeps regular prices: 110.000 sorts before 120.000 even though 99.000 is shown.
    slugs = re.findall(r'class="product-card-title"><a href="/products/([^"]+)"', page)
    assert slugs == [cheaper.slug, "vai-say"]
    suggestion = client.get("/search/suggest?q=vai thieu say").get_json()["items"][0]
    assert (suggestion["slug"], suggestion["price_vnd"]) == ("vai-say", FAIR)


def test_the_api_gives_the_current_regular_and_fair_price(client, world, clock):
    item = client.get(f"/api/v1/products/{world.lychee.id}").get_json()
    assert item["price_vnd"] == FAIR and item["regular_price_vnd"] == REGULAR
    assert item["fair_price"] == {
        "price_vnd": FAIR,
        "fair": {"slug": "hoi-cho-bac-ninh", "name": "Hội chợ nông sản Bắc Ninh"},
        "ends_at": "2026-12-07T10:00:00Z",
    }
    listed = client.get("/api/v1/products").get_json()["items"][0]
    assert (listed["price_vnd"], listed["fair_price"]["price_vnd"]) == (FAIR, FAIR)

    clock.set(END)
    item = client.get(f"/api/v1/products/{world.lychee.id}").get_json()
    assert (item["price_vnd"], item["regular_price_vnd"], item["fair_price"]) == (REGULAR, REGULAR, None)


def test_the_cart_uses_the_fair_price_and_notices_when_it_starts_and_ends(client, world, clock):
    clock.set(START - timedelta(hours=1))
    client.post("/cart/add", data={"product_id": world.lychee.id, "quantity": 2})
    page = html_of(client.get("/cart"))
    assert "240.000" in page and fair_price_marks(page) == [] and "Giá đã thay đổi" not in page

    clock.set(START)  # the fair starts: the line costs the fair price, and the change is shown
    page = html_of(client.get("/cart"))
    assert fair_price_marks(page) == [FAIR] and "198.000" in page
    assert "Giá đã thay đổi từ khi bạn thêm vào giỏ: 120.000 ₫ → 99.000 ₫." in text_of(client.get("/cart"))

    clock.set(END)  # it ends: back to the regular price, as when the line was added
    page = html_of(client.get("/cart"))
    assert fair_price_marks(page) == [] and "240.000" in page and "Giá đã thay đổi" not in page


def test_a_line_added_during_the_fair_notices_the_end(client, world, clock):
    client.post("/cart/add", data={"product_id": world.lychee.id, "quantity": 1})
    assert "Giá đã thay đổi" not in html_of(client.get("/cart"))

    clock.set(END)
    assert "Giá đã thay đổi từ khi bạn thêm vào giỏ: 99.000 ₫ → 120.000 ₫." in text_of(client.get("/cart"))


def test_a_signed_in_customers_cart_remembers_the_fair_price_seen(client, world, clock):
    customer = f.user(email="khach@example.vn")
    f.commit()
    sign_in(client, customer)
    client.post("/cart/add", data={"product_id": world.lychee.id, "quantity": 1})

    clock.set(END)
    assert "99.000 ₫ → 120.000 ₫" in text_of(client.get("/cart"))


# --- orders -----------------------------------------------------------------------------------------------


def test_an_order_placed_during_the_fair_keeps_the_fair_price_after_it(client, world, clock):
    client.post("/cart/add", data={"product_id": world.lychee.id, "quantity": 2})
    checkout = html_of(client.get("/checkout"))
    assert "198.000" in checkout
    response = client.post(
        "/checkout",
        data={
            "name": "Nguyễn Thị Lan",
            "phone": "0912 345 678",
            "email": "lan@example.vn",
            "province_code": str(f.BAC_NINH),
            "ward_code": str(f.LUC_NGAN),
            "street": "Số 12, thôn Đồng Cốc",
            "payment_method": "cod",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    item = db.session.scalars(sa.select(OrderItem)).one()
    assert (item.unit_price_vnd, item.regular_price_vnd, item.line_total_vnd) == (FAIR, REGULAR, 2 * FAIR)
    assert item.part.order.total_vnd == 2 * FAIR + 30_000

    clock.set(END + timedelta(days=2))  # long after the fair, the order still shows what was paid
    page = html_of(client.get(response.headers["Location"]))
    assert "198.000" in page and "Giá hội chợ" in page


def test_place_order_uses_the_price_at_its_moment(world):
    during = place_order([(world.lychee.id, 1)], f.checkout(), now=END - SECOND)
    after = place_order([(world.lychee.id, 1)], f.checkout(), now=END)

    assert (during.parts[0].items[0].unit_price_vnd, during.parts[0].items[0].regular_price_vnd) == (FAIR, REGULAR)
    assert (after.parts[0].items[0].unit_price_vnd, after.parts[0].items[0].regular_price_vnd) == (REGULAR, None)
    assert (during.items_total_vnd, after.items_total_vnd) == (FAIR, REGULAR)


def test_an_api_order_pays_the_fair_price(client, world, clock):
    response = client.post(
        "/api/v1/orders",
        json={
            "items": [{"product_id": world.lychee.id, "quantity": 3}],
            "contact": {"name": "Nguyễn Thị Lan", "phone": "0912345678", "email": "lan@example.vn"},
            "address": {"province": f.BAC_NINH, "ward": f.LUC_NGAN, "street": "Số 12"},
            "payment_method": "cod",
        },
    )

    assert response.status_code == 201, response.get_json()
    line = response.get_json()["parts"][0]["items"][0]
    assert (line["unit_price_vnd"], line["line_total_vnd"]) == (FAIR, 3 * FAIR)


# --- one query per page ----------------------------------------------------------------------------------


class Statements:
    def __init__(self):
        self.count = 0

    def __call__(self, *args, **kwargs):
        self.count += 1


def statements_of(client, url: str) -> int:
    counter = Statements()
    sa.event.listen(db.engine, "before_cursor_execute", counter)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", counter)
    return counter.count


def test_listing_pages_look_fair_prices_up_once_whatever_the_number_of_products(client, world, clock):
    few = {url: statements_of(client, url) for url in ("/products", "/", "/api/v1/products")}
    for n in range(5):
        product = f.product(world.coop, world.category, slug=f"them-{n}", price_vnd=100_000, is_featured=True)
        world.booth.products.append(BoothProduct(product=product, fair_price_vnd=90_000))
    f.commit()

    for url, before in few.items():
        assert statements_of(client, url) == before, url
    assert fair_price_marks(html_of(client.get("/products"))).count(90_000) == 5


def test_place_order_reads_the_fair_prices_with_the_products(world):
    others = [f.product(world.coop, world.category, slug=f"khac-{n}", price_vnd=80_000) for n in range(2)]
    world.booth.products.append(BoothProduct(product=others[0], fair_price_vnd=70_000))
    db.session.flush()
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", record)
    try:
        order = place_order(
            [(world.lychee.id, 1), (others[0].id, 1), (others[1].id, 1)], f.checkout(), now=START + timedelta(hours=1)
        )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", record)

    assert sorted(i.unit_price_vnd for i in order.parts[0].items) == [70_000, 80_000, FAIR]
    # The products, their cooperatives and fair prices in one query; nothing else about fairs
    # without booth pickup or a source.
    reads = [s for s in statements if "booth_products" in s]
    assert len(reads) == 1 and "FROM products" in reads[0] and "cooperatives" in reads[0]
    assert len([s for s in statements if "fairs" in s or "booths" in s]) == 1
