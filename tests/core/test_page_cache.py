"""Cached pages as visitors and browsers meet them: nobody sees another visitor's name,
cart, messages or form token; plain visitors get validators (ETag, Last-Modified, 304)
and a short shared lifetime, everyone else a private answer; each language its own page;
pages stay right with the cache off or its Redis gone; and answers are compressed when
the browser asks."""

from __future__ import annotations

import gzip
import logging
from datetime import datetime, timedelta
from types import SimpleNamespace

import brotli
import pytest

from marketplace.catalog.models import Product
from marketplace.core import reads
from marketplace.extensions import db
from tests import factories as f
from tests.cache_helpers import cart_count, csrf_tokens, listed, page_text, words
from tests.conftest import empty_all_tables, make_app
from tests.cooperatives.helpers import sign_in

PAGES = [
    "/",
    "/products",
    "/categories/trai-cay",
    "/products/vai-thieu-say",
    "/search?q=vai",
    "/cooperatives/",
    "/cooperatives/htx-vai-thieu",
]
ALICE, BOB = "Alice Trần Thị", "Bob Lê Văn"


def make_world():
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="htx-vai-thieu")
    fruit = f.category("Trái cây", slug="trai-cay")
    lychee = f.product(
        coop, fruit, name="Vải thiều sấy", slug="vai-thieu-say", price_vnd=120_000, stock=20, is_featured=True
    )
    honey = f.product(coop, fruit, name="Mật ong hoa vải", slug="mat-ong-hoa-vai", price_vnd=200_000, stock=8)
    alice = f.user(full_name=ALICE, email="alice@example.vn")
    bob = f.user(full_name=BOB, email="bob@example.vn")
    f.commit()
    return SimpleNamespace(lychee_id=lychee.id, honey_id=honey.id, alice=alice, bob=bob)


@pytest.fixture
def world(app):
    return make_world()


@pytest.fixture
def other_app(database_url, tmp_path):
    """An app with other settings (in place of the `app` fixture), its context pushed."""
    made = []

    def build(**overrides):
        app = make_app(database_url, tmp_path, **overrides)
        context = app.app_context()
        context.push()
        made.append(context)
        return app

    yield build
    for context in made:
        db.session.remove()
        empty_all_tables()
        db.session.remove()
        reads.close(context.app)
        db.engine.dispose()
        context.pop()


def visitor(app, user=None):
    """A browser of its own (cookies), signed in as `user` if given."""
    client = app.test_client()
    if user is not None:
        sign_in(client, user)
    return client


def add_to_cart(client, product_id: int, quantity: int):
    response = client.post("/cart/add", data={"product_id": str(product_id), "quantity": str(quantity)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    return response


def is_public(response) -> bool:
    return response.headers.get("Cache-Control", "").startswith("public")


def is_private(response) -> bool:
    cache_control = response.headers.get("Cache-Control", "")
    return "private" in cache_control and "ETag" not in response.headers


# --- nobody sees another visitor's part ----------------------------------------------------------


@pytest.mark.parametrize("alice_first", [True, False], ids=["alice-first", "plain-visitor-first"])
def test_a_cached_page_shows_each_visitor_only_their_own_name_and_cart(app, world, alice_first):
    alice, bob, anonymous = visitor(app, world.alice), visitor(app, world.bob), visitor(app)
    add_to_cart(alice, world.lychee_id, 3)
    alice.get("/cart")  # reads the "added" message

    order = [alice, anonymous, bob] if alice_first else [anonymous, bob, alice]
    for url in PAGES:
        seen = {client: client.get(url) for client in order}

        page = page_text(seen[alice])
        assert ALICE in page and BOB not in page, url
        assert cart_count(seen[alice]) == 3, url
        assert is_private(seen[alice]), url

        page = page_text(seen[bob])
        assert BOB in page and ALICE not in page, url
        assert cart_count(seen[bob]) == 0, url
        assert is_private(seen[bob]), url

        page = page_text(seen[anonymous])
        assert ALICE not in page and BOB not in page and "Đăng xuất" not in page, url
        assert "Đăng nhập" in page, url
        assert cart_count(seen[anonymous]) == 0, url


def test_a_guest_sees_their_own_cart_on_a_cached_page(app, world):
    plain, guest = visitor(app), visitor(app)
    for url in PAGES:
        assert cart_count(plain.get(url)) == 0  # cached, for everyone

    add_to_cart(guest, world.honey_id, 2)
    guest.get("/cart")
    for url in PAGES:
        mine = guest.get(url)
        assert cart_count(mine) == 2, url
        assert is_private(mine), url
        theirs = plain.get(url)
        assert cart_count(theirs) == 0, url
    assert is_public(plain.get("/"))


def test_a_message_shows_only_to_the_visitor_it_was_for_and_only_once(app, world):
    plain, told = visitor(app), visitor(app)
    message = "Số lượng phải từ 1 trở lên."
    assert message not in page_text(plain.get("/"))

    response = told.post("/cart/add", data={"product_id": str(world.lychee_id), "quantity": "nhiều"})
    assert response.status_code == 302  # refused, with a message for the next page
    page = told.get("/")
    assert message in page_text(page) and 'class="flash flash-error"' in page.get_data(as_text=True)
    assert is_private(page)

    for url in PAGES:
        assert message not in page_text(plain.get(url)), url
    again = told.get("/")
    assert message not in page_text(again)  # shown once
    assert is_public(again)  # nothing of theirs on the page any more


def test_two_sessions_get_their_own_csrf_token_on_a_cached_page_and_both_can_buy(csrf_app):
    world = make_world()
    first, second = visitor(csrf_app), visitor(csrf_app)

    page_one, page_two = first.get("/products/vai-thieu-say"), second.get("/products/vai-thieu-say")
    (token_one,), (token_two,) = csrf_tokens(page_one), csrf_tokens(page_two)
    assert token_one != token_two
    assert is_private(page_one) and is_private(page_two)  # a page with a form token is never shared

    refused = second.post(
        "/cart/add", data={"product_id": str(world.lychee_id), "quantity": "1", "csrf_token": token_one}
    )
    assert refused.status_code == 400  # another session's token
    for client, token, quantity in ((first, token_one, 2), (second, token_two, 1)):
        response = client.post(
            "/cart/add", data={"product_id": str(world.lychee_id), "quantity": str(quantity), "csrf_token": token}
        )
        assert response.status_code == 302 and response.headers["Location"].endswith("/cart")
    assert cart_count(first.get("/")) == 2
    assert cart_count(second.get("/")) == 1

    # A signed-in customer's menu on a cached page carries their own token: signing out works.
    alice = visitor(csrf_app, world.alice)
    home = alice.get("/")
    assert ALICE in page_text(home)
    (token,) = csrf_tokens(home)
    assert alice.post("/account/logout", data={"csrf_token": token}).status_code == 302
    assert ALICE not in page_text(alice.get("/"))


# --- HTTP caching ----------------------------------------------------------------------------------


@pytest.fixture
def version_clock(monkeypatch):
    """When the storefront's version says it changed (Last-Modified), in whole seconds apart."""
    state = SimpleNamespace(now=datetime(2026, 12, 1, 3, 0, 0))
    monkeypatch.setattr("marketplace.core.content_version.utcnow", lambda: state.now)
    return state


def test_a_plain_visitor_gets_validators_and_304(app, version_clock):
    world = make_world()
    browser = visitor(app)

    first = browser.get("/")
    assert first.status_code == 200
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert etag.startswith('W/"')
    assert last_modified == "Tue, 01 Dec 2026 03:00:00 GMT"
    cache_control = first.headers["Cache-Control"]
    assert cache_control.startswith("public") and "max-age=0" in cache_control
    assert f"s-maxage={app.config['PUBLIC_CACHE_SECONDS']}" in cache_control
    assert "Cookie" in first.headers.get("Vary", "")  # the language lives in the session cookie

    again = browser.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert browser.get("/", headers={"If-Modified-Since": last_modified}).status_code == 304
    assert visitor(app).get("/", headers={"If-None-Match": etag}).status_code == 304  # any plain visitor

    version_clock.now += timedelta(seconds=30)
    db.session.get(Product, world.lychee_id).name = "Vải thiều sấy lạnh"
    db.session.commit()

    changed = browser.get("/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "Vải thiều sấy lạnh" in page_text(changed)
    assert changed.headers["ETag"] != etag
    assert changed.headers["Last-Modified"] == "Tue, 01 Dec 2026 03:00:30 GMT"
    stale = browser.get("/", headers={"If-Modified-Since": last_modified})
    assert stale.status_code == 200 and "Vải thiều sấy lạnh" in page_text(stale)
    assert browser.get("/", headers={"If-None-Match": changed.headers["ETag"]}).status_code == 304

    # The API's lists without stock figures are validated the same way.
    api = browser.get("/api/v1/cooperatives")
    assert api.status_code == 200 and is_public(api)
    assert browser.get("/api/v1/cooperatives", headers={"If-None-Match": api.headers["ETag"]}).status_code == 304


def test_a_signed_in_visitor_gets_a_private_answer_never_a_304_for_the_shared_page(app, world):
    etag = visitor(app).get("/").headers["ETag"]
    alice = visitor(app, world.alice)

    for url in PAGES:
        response = alice.get(url)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "private, no-cache", url
        assert "ETag" not in response.headers and "Last-Modified" not in response.headers, url

    response = alice.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 200 and ALICE in page_text(response)


def test_exact_stock_is_never_served_from_a_browser_copy(app, world):
    """The API list fills in each product's stock per request: no validators, asked every time."""
    response = visitor(app).get("/api/v1/products")
    assert response.headers["Cache-Control"] == "no-cache" and "ETag" not in response.headers


# --- languages -------------------------------------------------------------------------------------


@pytest.mark.parametrize("english_first", [True, False], ids=["english-first", "vietnamese-first"])
def test_each_language_gets_its_own_page_at_the_same_address(app, world, english_first):
    vietnamese, english = visitor(app), visitor(app)
    assert english.get("/lang/en?next=/").status_code == 302

    for url in ("/", "/products", "/products/vai-thieu-say", "/search?q=vai", "/cooperatives/"):
        order = [english, vietnamese] if english_first else [vietnamese, english]
        seen = {client: client.get(url) for client in order}
        in_english, in_vietnamese = page_text(seen[english]), page_text(seen[vietnamese])
        assert '<html lang="en">' in in_english and "Sign in" in in_english and "Đăng nhập" not in in_english, url
        assert (
            '<html lang="vi">' in in_vietnamese and "Đăng nhập" in in_vietnamese and "Sign in" not in in_vietnamese
        ), url
    home_en, home_vi = english.get("/"), vietnamese.get("/")
    assert home_en.headers["ETag"] != home_vi.headers["ETag"]
    assert "Cookie" in home_en.headers.get("Vary", "") and "Cookie" in home_vi.headers.get("Vary", "")


# --- the cache off, or its Redis gone -------------------------------------------------------------


def _serves_correct_pages(app, world_ns) -> None:
    plain, alice = visitor(app), visitor(app, world_ns.alice)
    for url in PAGES:
        assert ALICE not in page_text(plain.get(url)), url
        page = alice.get(url)
        assert ALICE in page_text(page), url
    add_to_cart(alice, world_ns.lychee_id, 2)
    assert cart_count(alice.get("/")) == 2 and cart_count(plain.get("/")) == 0
    assert set(listed(plain.get("/products"))) == {"vai-thieu-say", "mat-ong-hoa-vai"}

    db.session.get(Product, world_ns.lychee_id).name = "Vải thiều sấy lạnh"
    db.session.get(Product, world_ns.honey_id).stock = 0
    db.session.commit()
    for client in (plain, alice):
        assert "Vải thiều sấy lạnh" in page_text(client.get("/"))
        assert "Hết hàng" in page_text(client.get("/products/mat-ong-hoa-vai"))
        assert "Vải thiều sấy lạnh" in words(client.get("/search?q=vai"))
    items = {i["slug"]: i for i in plain.get("/api/v1/products").get_json()["items"]}
    assert items["mat-ong-hoa-vai"]["stock"] == 0 and items["vai-thieu-say"]["name"] == "Vải thiều sấy lạnh"


@pytest.mark.filterwarnings("ignore:Flask-Caching. CACHE_TYPE is set to NullCache")
def test_with_the_page_cache_off_pages_are_right(other_app):
    app = other_app(PAGE_CACHE=False)
    world = make_world()
    _serves_correct_pages(app, world)
    assert "ETag" not in visitor(app).get("/").headers  # nothing kept, nothing to validate


def test_with_redis_unreachable_pages_are_right_and_a_warning_is_logged(other_app, caplog, monkeypatch):
    # Alembic's logging set-up (migrations/env.py, run by the session's `upgrade()`) disables
    # loggers that existed before it, this one among them.
    monkeypatch.setattr(logging.getLogger("marketplace.core.cache"), "disabled", False)
    app = other_app(REDIS_URL="redis://127.0.0.1:1/0")
    world = make_world()
    with caplog.at_level(logging.WARNING, logger="marketplace.core.cache"):
        _serves_correct_pages(app, world)
    warnings = [r for r in caplog.records if r.name == "marketplace.core.cache" and r.levelno == logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # once, not on every request
    assert "Cache" in warnings[0].getMessage()


# --- compression -----------------------------------------------------------------------------------


def test_pages_are_compressed_when_the_browser_asks(app, world):
    browser, alice = visitor(app), visitor(app, world.alice)

    plain = browser.get("/")
    assert "Content-Encoding" not in plain.headers
    assert "Vải thiều sấy" in page_text(plain)
    assert "Accept-Encoding" in plain.headers.get("Vary", "")

    zipped = browser.get("/", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.get_data()).decode() == plain.get_data(as_text=True)
    assert zipped.headers["ETag"] == plain.headers["ETag"]
    assert (
        browser.get("/", headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["ETag"]}).status_code
        == 304
    )

    squeezed = browser.get("/", headers={"Accept-Encoding": "br"})
    assert squeezed.headers["Content-Encoding"] == "br"
    assert brotli.decompress(squeezed.get_data()).decode() == plain.get_data(as_text=True)

    # A signed-in visitor's page (filled in per request) and the API are compressed too.
    mine = alice.get("/products/vai-thieu-say", headers={"Accept-Encoding": "gzip"})
    assert mine.headers["Content-Encoding"] == "gzip"
    assert ALICE in gzip.decompress(mine.get_data()).decode()
    api = browser.get("/api/v1/products", headers={"Accept-Encoding": "gzip"})
    assert api.headers["Content-Encoding"] == "gzip"
    assert b"vai-thieu-say" in gzip.decompress(api.get_data())
    assert "Content-Encoding" not in browser.get("/api/v1/products").headers
