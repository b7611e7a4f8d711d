"""The shared cache (Flask-Caching): in this process by default, Redis with REDIS_URL.

Everything stored here is keyed by what it was made from (the storefront's content
version, the release, the language, the URL), so an entry is never wrong, only unused;
nothing needs deleting when the catalogue changes. That also makes a small in-process
copy in front of Redis safe: a key read once from Redis never changes meaning.

The cache is an accelerator, never a dependency: if Redis is down or slow to answer,
a lookup is a miss (the page is made from the database), a store is skipped, and a
warning is logged at most once a minute.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from cachelib import SimpleCache
from flask import current_app

from marketplace.extensions import cache as flask_cache

logger = logging.getLogger(__name__)

# Entries live at most this long (seconds); a new version leaves old ones unused sooner.
DEFAULT_TIMEOUT = 3600
L1_ENTRIES = 300
_WARN_EVERY = 60.0


def configure(app) -> None:
    """Pick the backend from the settings and bind Flask-Caching to the app."""
    prefix = app.config["CACHE_KEY_PREFIX"] or "marketplace"
    config = {
        "CACHE_DEFAULT_TIMEOUT": DEFAULT_TIMEOUT,
        # Code, templates and static files take part in every key: a new release never
        # serves pages (or asset URLs) rendered by the previous one, even from a shared Redis.
        "CACHE_KEY_PREFIX": f"{prefix}:{release_digest()}:",
    }
    if not app.config["PAGE_CACHE"]:
        config["CACHE_TYPE"] = "NullCache"
    elif app.config["REDIS_URL"]:
        config.update(
            CACHE_TYPE="RedisCache",
            CACHE_REDIS_URL=app.config["REDIS_URL"],
            # A Redis that does not answer must not hold a page for long.
            CACHE_OPTIONS={"socket_timeout": 0.25, "socket_connect_timeout": 0.25},
        )
    else:
        config.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=app.config["PAGE_CACHE_ENTRIES"])
    flask_cache.init_app(app, config=config)
    app.extensions["marketplace_cache"] = {
        "backend": config["CACHE_TYPE"],
        "l1": SimpleCache(threshold=L1_ENTRIES) if config["CACHE_TYPE"] == "RedisCache" else None,
        "warned_at": 0.0,
    }


def enabled() -> bool:
    return current_app.config["PAGE_CACHE"]


def backend_name() -> str:
    return current_app.extensions["marketplace_cache"]["backend"]


def get(key: str):
    """The value stored under `key`, or None (missing, or the cache is unreachable)."""
    state = current_app.extensions["marketplace_cache"]
    l1 = state["l1"]
    if l1 is not None:
        value = l1.get(key)
        if value is not None:
            return value
    try:
        value = flask_cache.get(key)
    except Exception as error:  # noqa: BLE001 - any backend failure is a miss
        _warn(state, "read", error)
        return None
    if value is not None and l1 is not None:
        l1.set(key, value)
    return value


def set(key: str, value, timeout: int | None = None) -> None:  # noqa: A001 - the cache's own verb
    state = current_app.extensions["marketplace_cache"]
    if state["l1"] is not None:
        state["l1"].set(key, value)
    try:
        flask_cache.set(key, value, timeout=timeout)
    except Exception as error:  # noqa: BLE001
        _warn(state, "write", error)


def clear() -> None:
    """Drop every entry of this deployment (`marketplace cache clear`); never needed for
    correctness."""
    state = current_app.extensions["marketplace_cache"]
    if state["l1"] is not None:
        state["l1"].clear()
    flask_cache.clear()


def status() -> dict:
    """What `marketplace cache status` prints: backend, and whether it answers."""
    try:
        flask_cache.set("_ping", 1, timeout=5)
        ok = flask_cache.get("_ping") == 1 or backend_name() == "NullCache"
        error = None
    except Exception as exc:  # noqa: BLE001
        ok, error = False, str(exc)
    return {"backend": backend_name(), "reachable": ok, "error": error}


def _warn(state: dict, what: str, error: Exception) -> None:
    now = time.monotonic()
    if now - state["warned_at"] >= _WARN_EVERY:
        state["warned_at"] = now
        logger.warning("Cache %s failed (%s); pages are made from the database meanwhile", what, error)


_release: str | None = None


def release_digest() -> str:
    """A short hash of the code, templates and static files this process serves."""
    global _release
    if _release is None:
        from marketplace import PACKAGE_DIR, resource_dir

        digest = hashlib.blake2b(digest_size=6)
        roots = [PACKAGE_DIR, resource_dir("templates"), resource_dir("static")]
        for root in roots:
            for path in sorted(Path(root).rglob("*")):
                if path.is_file() and path.suffix in {".py", ".html", ".css", ".js", ".svg", ".mo", ".json"}:
                    digest.update(str(path.relative_to(root)).encode())
                    digest.update(path.read_bytes())
        _release = digest.hexdigest()
    return _release
