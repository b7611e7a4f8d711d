"""Public pages served from the cache, with the visitor's own parts filled in per request.

A page is rendered once per (storefront version, language, URL) as a *skeleton*: the
parts that belong to one visitor — the account menu with its cart count and name, the
flashed messages, CSRF tokens — are left as holes (`visitor_part`, `csrf_token`). Each
request fills the holes for its visitor, so a cached page never shows anyone another
visitor's cart, name or token, and a signed-in customer gets the same speed as a guest.

A *plain* visitor (not signed in, empty cart, no message waiting) whose page has no
form token gets the same bytes as every other plain visitor: those are stored whole,
sent with an ETag and Last-Modified (answered 304 when the browser has them), and
marked `public` with `s-maxage`, so a reverse proxy may keep them a few seconds. Every
other answer is `private`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from datetime import timezone
from email.utils import format_datetime

from flask import Response, current_app, g, render_template, request, session
from flask_babel import get_locale
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from marketplace.core import cache, content_version

HOLE = "\x00hole:{}\x00"
CSRF_HOLE = HOLE.format("csrf")
VISITOR_PARTS = ("_user_nav.html", "_flashes.html")
# Features whose per-visitor state shows on pages (the guest cart) register a test here.
_visitor_state: list[Callable[[], bool]] = []


def register_visitor_state(has_state: Callable[[], bool]) -> None:
    """`has_state()` is true when this visitor has something of their own on every page."""
    if has_state not in _visitor_state:
        _visitor_state.append(has_state)


def init_app(app) -> None:
    # Registered after Flask-WTF's own `csrf_token`, so templates call this one. Flask-WTF
    # gives it both as a global and from a context processor, and a template's context
    # hides its globals: replace both, or a cached page would carry one visitor's token.
    app.add_template_global(csrf_token)
    app.context_processor(lambda: {"csrf_token": csrf_token})
    app.add_template_global(making_skeleton)
    app.add_template_global(visitor_hole)


# --- holes, as templates see them -------------------------------------------------------------


def making_skeleton() -> bool:
    """True while a page is rendered for the cache: base.html then leaves holes for the
    visitor's own parts (`{% if making_skeleton() %}{{ visitor_hole(...) }}{% else %}…`)."""
    return g.get("_page_skeleton", False)


def visitor_hole(template: str) -> Markup:
    return Markup(HOLE.format(template))


def csrf_token() -> str:
    return CSRF_HOLE if making_skeleton() else generate_csrf()


# --- serving -----------------------------------------------------------------------------------


def page_key(kind: str, vary: Iterable = ()) -> str:
    parts = [kind, content_version.current().key, str(get_locale()), request.url, *map(str, vary)]
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def plain_visitor() -> bool:
    """Nothing on the page can be this visitor's own: not signed in, no cart, no flash."""
    if current_user.is_authenticated:
        return False
    if session.get("_flashes"):
        return False
    return not any(has_state() for has_state in _visitor_state)


def cached_page(render: Callable[[], str], vary: Iterable = ()) -> Response | str:
    """The page `render()` makes, from the cache when this version of it was made before.

    `render` must depend only on the URL, the language, the storefront's content and
    `vary` (what else the page shows, such as one product's exact stock)."""
    if not cache.enabled():
        return render()
    key = page_key("page", vary)
    plain = plain_visitor()
    if plain:
        stored = cache.get("plain:" + key)
        if stored is not None:
            return _public_response(*stored)
    skeleton = cache.get(key)
    if skeleton is None:
        g._page_skeleton = True
        try:
            skeleton = render()
        finally:
            g._page_skeleton = False
        cache.set(key, skeleton)
    body = _fill(skeleton)
    if plain and CSRF_HOLE not in skeleton:
        # A CSRF token ties the page to one session: such pages are never shared.
        stored = (body, f'W/"{key}"', content_version.current().changed_at)
        cache.set("plain:" + key, stored)
        return _public_response(*stored)
    return _private_response(body)


def _fill(skeleton: str) -> str:
    body = skeleton
    for template in VISITOR_PARTS:
        hole = HOLE.format(template)
        if hole in body:
            body = body.replace(hole, render_template(template))
    if CSRF_HOLE in body:
        body = body.replace(CSRF_HOLE, generate_csrf())
    return body


def _public_response(body: str | bytes, etag: str, last_modified, mimetype: str = "text/html") -> Response:
    if request.if_none_match.contains_weak(etag.removeprefix("W/").strip('"')):
        response = Response(status=304)
    elif (
        not request.if_none_match
        and last_modified is not None
        and request.if_modified_since is not None
        and request.if_modified_since.replace(tzinfo=None) >= last_modified.replace(microsecond=0)
    ):
        response = Response(status=304)
    else:
        response = Response(body, mimetype=mimetype)
    response.headers["ETag"] = etag
    if last_modified is not None:
        response.headers["Last-Modified"] = format_datetime(last_modified.replace(tzinfo=timezone.utc), usegmt=True)
    seconds = current_app.config["PUBLIC_CACHE_SECONDS"]
    # Browsers ask again each time (a cheap 304); a shared proxy may answer for a few seconds.
    response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={seconds}" if seconds else "no-cache"
    if seconds:
        # nginx reads this rather than s-maxage (and does not pass it on to the browser).
        response.headers["X-Accel-Expires"] = str(seconds)
    return response


def _private_response(body: str, mimetype: str = "text/html") -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


# --- JSON ------------------------------------------------------------------------------------

STOCK_MARK = "\x00stock:{}\x00"
_STOCK_MARK_JSON = re.compile(r'"\\u0000stock:(\d+)\\u0000"')


def cached_json(make: Callable[[], object], stocks: Callable[[list[int]], dict[int, int]] | None = None) -> Response:
    """A JSON answer from the cache. Exact stock changes with every sale without changing
    the storefront's version, so `make` puts `STOCK_MARK.format(product_id)` where a stock
    goes and `stocks(ids)` fills them in on every request (one query)."""
    key = "json:" + page_key("json") if cache.enabled() else None
    text = cache.get(key) if key else None
    if text is None:
        text = current_app.json.dumps(make())
        if key:
            cache.set(key, text)
    if stocks is None:
        if key:  # the same bytes for everyone until the version changes
            return _public_response(text, f'W/"{key[5:]}"', content_version.current().changed_at, "application/json")
    else:
        ids = [int(found) for found in _STOCK_MARK_JSON.findall(text)]
        if ids:
            current = stocks(ids)
            text = _STOCK_MARK_JSON.sub(lambda m: str(current.get(int(m.group(1)), 0)), text)
    response = Response(text, mimetype="application/json")
    response.headers["Cache-Control"] = "no-cache"
    return response
