"""Helpers for the storefront cache's tests: several web servers (app instances) on one
database, as gunicorn workers or servers behind a load balancer are, and what a visitor
reads off a page."""

from __future__ import annotations

import html
import os
import re
import uuid
from contextlib import contextmanager

import pytest
from jinja2 import BytecodeCache
from sqlalchemy import event

from marketplace.core import reads
from marketplace.extensions import db
from tests.conftest import empty_all_tables, make_app

# The tests empty this Redis database: never point it at one that holds anything.
REDIS_TEST_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"
BACKENDS = ["memory", "redis"]


def require_redis(url: str = REDIS_TEST_URL):
    """A client of the test Redis; skips the test when it does not answer (fails instead
    with TEST_REQUIRE_REDIS=1, for CI where Redis must be there)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        if os.environ.get("TEST_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis at {url} is required (TEST_REQUIRE_REDIS=1) but does not answer: {error}")
        pytest.skip(f"Redis at {url} does not answer: {error}")
    return client


def backend_settings(backend: str) -> dict:
    """App settings for a cache backend. "memory": each app its own in-process cache.
    "redis": the test Redis db, emptied first, under one key prefix shared by every app
    of the test (so they share entries, as servers of one deployment do)."""
    if backend == "memory":
        return {"REDIS_URL": "", "PAGE_CACHE": True}
    client = require_redis()
    try:
        client.flushdb()
    finally:
        client.close()
    return {"REDIS_URL": REDIS_TEST_URL, "PAGE_CACHE": True, "CACHE_KEY_PREFIX": f"cache-test-{uuid.uuid4().hex[:10]}"}


class Server:
    """One app instance with its own visitor (test client). Each request runs in an app
    context of its own, as in production: nothing of one request (g, the session, the
    locale) is left for the next."""

    def __init__(self, name: str, app):
        self.name = name
        self.app = app
        self.client = app.test_client()

    def __repr__(self) -> str:
        return f"<Server {self.name}>"

    def visitor(self):
        """Another visitor (own cookies) of this server."""
        return self.app.test_client()

    @contextmanager
    def context(self):
        """This app's context, for ORM work (factories, services) committed through this app."""
        with self.app.app_context():
            try:
                yield db.session
            finally:
                db.session.remove()

    def get(self, url: str, client=None, **kwargs):
        with self.app.app_context():
            return (client or self.client).get(url, **kwargs)

    def post(self, url: str, client=None, **kwargs):
        with self.app.app_context():
            return (client or self.client).post(url, **kwargs)

    def sign_in(self, user_id: int, client=None) -> None:
        from tests.cooperatives.helpers import sign_in

        with self.context() as session:
            from marketplace.accounts.models import User

            sign_in(client or self.client, session.get(User, user_id))

    def statements(self, url: str, client=None, **kwargs) -> tuple[object, list[str]]:
        """GET `url` and the SQL statements it ran on this app's engine."""
        seen: list[str] = []

        def count(_conn, _cursor, statement, _parameters, _context, _executemany):
            seen.append(statement)

        with self.app.app_context():
            engine = db.engine
            event.listen(engine, "before_cursor_execute", count)
            try:
                response = (client or self.client).get(url, **kwargs)
            finally:
                event.remove(engine, "before_cursor_execute", count)
        return response, seen


class _SharedBytecode(BytecodeCache):
    """Compiled templates kept for every app of the test session: each new app would
    otherwise compile every template again (most of a short test's time)."""

    def __init__(self):
        self.code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self.code:
            bucket.bytecode_from_string(self.code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self.code[bucket.key] = bucket.bytecode_to_string()


_templates = _SharedBytecode()


def start_servers(database_url: str, tmp_path, count: int = 2, **settings) -> list[Server]:
    """`count` app instances on the same database and uploads, each with its own search
    index directory (as separate machines would have)."""
    servers = []
    for n in range(count):
        name = "AB"[n] if n < 2 else str(n)
        app = make_app(database_url, tmp_path, SEARCH_INDEX_DIR=str(tmp_path / f"search-index-{name}"), **settings)
        app.jinja_env.bytecode_cache = _templates
        servers.append(Server(name, app))
    return servers


def stop_servers(servers: list[Server]) -> None:
    """Empty the tables once and dispose every app's engine."""
    first = servers[0]
    with first.app.app_context():
        db.session.remove()
        empty_all_tables()
        db.session.remove()
    for server in servers:
        with server.app.app_context():
            db.session.remove()
            reads.close(server.app)
            db.engine.dispose()


# --- reading pages ----------------------------------------------------------------------------


def page_text(response) -> str:
    """The page as a reader sees it: entities decoded, no-break spaces (as in "99.000 ₫") plain."""
    assert response.status_code == 200, (response.status_code, response.request.path)
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def words(response) -> str:
    """The page's text without its markup (search results mark the words that matched)."""
    return " ".join(re.sub(r"<[^>]+>", " ", page_text(response)).split())


def listed(response) -> list[str]:
    """Product slugs of the product cards on a page, in order."""
    assert response.status_code == 200, (response.status_code, response.request.path)
    return re.findall(r'class="product-card-title"><a href="/products/([^"]+)"', response.get_data(as_text=True))


def card(response, slug: str) -> str:
    """The product card linking to `slug` on a page ("" if none): its markup, then its
    words as a reader sees them (search results mark the words that matched)."""
    assert response.status_code == 200, (response.status_code, response.request.path)
    page = response.get_data(as_text=True)
    for found in re.findall(r'<article class="product-card">.*?</article>', page, re.S):
        if f'href="/products/{slug}"' in found:
            words = " ".join(re.sub(r"<[^>]+>", "", found).split())
            return html.unescape(found + "\n" + words).replace("\xa0", " ")
    return ""


def api_items(response) -> dict[str, dict]:
    """{slug: item} of an API list."""
    assert response.status_code == 200, (response.status_code, response.request.path)
    return {item["slug"]: item for item in response.get_json()["items"]}


def cart_count(response) -> int:
    """The number beside the header's cart link (0 when none is shown)."""
    page = response.get_data(as_text=True)
    match = re.search(r'class="cart-link"[^>]*>[^<]*<span aria-hidden="true">\((\d+)\)</span>', page)
    assert 'class="cart-link"' in page, "no cart link on the page"
    return int(match.group(1)) if match else 0


def fair_price_marks(response) -> list[int]:
    """Sale prices shown on a page (data-fair-price of each price element)."""
    return [int(v) for v in re.findall(r'data-fair-price="(\d+)"', response.get_data(as_text=True))]


def csrf_tokens(response) -> list[str]:
    return re.findall(r'name="csrf_token"[^>]*value="([^"]+)"', response.get_data(as_text=True))
