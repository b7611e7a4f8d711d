"""Settings, read from environment variables with safe defaults.

Every variable here is listed in the README's configuration table.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


class ConfigError(RuntimeError):
    """Raised when the settings cannot make a safe application."""


def load_secret_key(instance_path: str, production: bool, given: str | None = None) -> str:
    """SECRET_KEY from the environment; outside production, one kept in the instance folder.

    Production never falls back to a generated key: sessions and reset tokens
    signed with a key that changes on restart (or differs per worker) break.
    """
    key = given or os.environ.get("SECRET_KEY")
    if key:
        return key
    if production:
        raise ConfigError("SECRET_KEY must be set when MARKETPLACE_PRODUCTION is on.")
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def from_environment(instance_path: str, secret_key: str | None = None) -> dict:
    production = _bool("MARKETPLACE_PRODUCTION")
    database_url = os.environ.get("DATABASE_URL") or ("sqlite:///" + str(Path(instance_path) / "marketplace.sqlite3"))
    # Heroku-style URLs and bare postgresql:// both mean psycopg 3 here.
    for prefix in ("postgres://", "postgresql://"):
        if database_url.startswith(prefix):
            database_url = "postgresql+psycopg://" + database_url[len(prefix) :]
    return {
        "PRODUCTION": production,
        "SECRET_KEY": load_secret_key(instance_path, production, secret_key),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER") or str(Path(instance_path) / "uploads"),
        "MAX_CONTENT_LENGTH": _int("MAX_UPLOAD_MB", 8) * 1024 * 1024,
        # A JSON body (the API's, a webhook's): at most this many bytes (413) and levels of nesting (400).
        "MAX_JSON_BYTES": _int("MAX_JSON_BYTES", 1024 * 1024),
        "MAX_JSON_DEPTH": _int("MAX_JSON_DEPTH", 32),
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "console"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _bool("MAIL_USE_TLS"),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "HTX Thanh niên <no-reply@localhost>"),
        # Who sends queued email: "thread" (a sender thread in each web process), "inline"
        # (the request itself, after its commit) or "worker" (`marketplace mail work`/`send`).
        "MAIL_QUEUE": os.environ.get("MAIL_QUEUE", "thread").strip().lower(),
        "LOGIN_MAX_ATTEMPTS": _int("LOGIN_MAX_ATTEMPTS", 5),
        "LOGIN_LOCKOUT_MINUTES": _int("LOGIN_LOCKOUT_MINUTES", 15),
        "LOGIN_MAX_ATTEMPTS_PER_IP": _int("LOGIN_MAX_ATTEMPTS_PER_IP", 20),
        "PASSWORD_RESET_MAX_AGE": _int("PASSWORD_RESET_MAX_AGE", 3600),
        # Password-reset emails per address, and requests per client address, in the window (0: no limit).
        "PASSWORD_RESET_MAX_REQUESTS": _int("PASSWORD_RESET_MAX_REQUESTS", 3),
        "PASSWORD_RESET_MAX_REQUESTS_PER_IP": _int("PASSWORD_RESET_MAX_REQUESTS_PER_IP", 10),
        "PASSWORD_RESET_WINDOW_MINUTES": _int("PASSWORD_RESET_WINDOW_MINUTES", 60),
        # Failed guest order lookups per client address and per order number in the window (0: no limit).
        "ORDER_LOOKUP_MAX_FAILURES": _int("ORDER_LOOKUP_MAX_FAILURES", 10),
        "ORDER_LOOKUP_WINDOW_MINUTES": _int("ORDER_LOOKUP_WINDOW_MINUTES", 15),
        # Wrong booth helper codes per client address in the window (0: no limit).
        "BOOTH_SIGN_IN_MAX_FAILURES": _int("BOOTH_SIGN_IN_MAX_FAILURES", 10),
        "BOOTH_SIGN_IN_WINDOW_MINUTES": _int("BOOTH_SIGN_IN_WINDOW_MINUTES", 15),
        "TRUSTED_PROXIES": _int("TRUSTED_PROXIES", 0),
        # Each server (or container) keeps its own product index here; see the README's search section.
        "SEARCH_INDEX_DIR": os.environ.get("SEARCH_INDEX_DIR") or str(Path(instance_path) / "search-index"),
        "SEARCH_CHANGES_RETENTION_DAYS": _int("SEARCH_CHANGES_RETENTION_DAYS", 7),
        # Processes building the index from the command line (rebuild, large imports).
        "SEARCH_INDEX_PROCESSES": _int("SEARCH_INDEX_PROCESSES", min(os.cpu_count() or 1, 4)),
        # Unpaid card orders give their stock back after this long.
        "ORDER_PAYMENT_TIMEOUT_MINUTES": _int("ORDER_PAYMENT_TIMEOUT_MINUTES", 30),
        # An order's Idempotency-Key (API) or checkout form key gives its first answer back this long.
        "IDEMPOTENCY_KEY_HOURS": _int("IDEMPOTENCY_KEY_HOURS", 24),
        # Orders placed this many days after scanning a fair or booth QR link count for that fair.
        "FAIR_ATTRIBUTION_DAYS": _int("FAIR_ATTRIBUTION_DAYS", 7),
        # Largest evidence file (photo or PDF) of a promotion activity; uploads are also capped by MAX_UPLOAD_MB.
        "PROMOTION_EVIDENCE_MAX_BYTES": _int("PROMOTION_EVIDENCE_MAX_BYTES", 8 * 1024 * 1024),
        # A cooperative's answer to a request for documents: largest file (photo or PDF), files per answer.
        "COOPERATIVE_DOCUMENT_MAX_BYTES": _int("COOPERATIVE_DOCUMENT_MAX_BYTES", 8 * 1024 * 1024),
        "COOPERATIVE_DOCUMENTS_PER_ANSWER": _int("COOPERATIVE_DOCUMENTS_PER_ANSWER", 5),
        # A certificate's scan (photo or PDF): largest file.
        "CERTIFICATE_SCAN_MAX_BYTES": _int("CERTIFICATE_SCAN_MAX_BYTES", 8 * 1024 * 1024),
        # What uploads may cost: pixels per picture, read from its header before decoding (core.images);
        # files per request (413) and files per person per hour (429), before any view (core.uploads).
        "MAX_IMAGE_MEGAPIXELS": _int("MAX_IMAGE_MEGAPIXELS", 25),
        "MAX_FILES_PER_REQUEST": _int("MAX_FILES_PER_REQUEST", 10),
        "UPLOAD_FILES_PER_HOUR": _int("UPLOAD_FILES_PER_HOUR", 100),
        # Without a secret key, card payment is simply not offered.
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        # Another Stripe API server (tests: localstripe on loopback); empty means Stripe's own.
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        # Storefront cache: in this process by default; Redis (shared by every web server) when set.
        "REDIS_URL": os.environ.get("REDIS_URL", "").strip(),
        "PAGE_CACHE": _bool("PAGE_CACHE", True),
        "CACHE_KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "marketplace").strip(),
        # Entries kept by the in-process cache (per web process; Redis has its own memory limit).
        "PAGE_CACHE_ENTRIES": _int("PAGE_CACHE_ENTRIES", 2000),
        # How long a reverse proxy may answer public pages by itself (Cache-Control s-maxage).
        "PUBLIC_CACHE_SECONDS": _int("PUBLIC_CACHE_SECONDS", 5),
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_SECURE": production,
        "SESSION_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_HTTPONLY": True,
        # Not sent with requests other sites start (forms posted from elsewhere), like the session cookie.
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # "Remember me" keeps a device signed in this long (Flask-Login's default is a year).
        "REMEMBER_COOKIE_DURATION": timedelta(days=_int("REMEMBER_DAYS", 30)),
        "SESSION_COOKIE_SAMESITE": "Lax",
        "PREFERRED_URL_SCHEME": "https" if production else "http",
    }


DEFAULTS = {
    "BABEL_DEFAULT_LOCALE": "vi",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
    "LANGUAGES": ["vi", "en"],
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "WTF_CSRF_TIME_LIMIT": None,
    "PER_PAGE": 24,
    # werkzeug's default (scrypt). Tests use a cheap method; production never should.
    "PASSWORD_HASH_METHOD": "scrypt",
    "IMAGE_SIZES": {"thumb": 320, "medium": 800, "large": 1600},
    # The window of UPLOAD_FILES_PER_HOUR.
    "UPLOAD_WINDOW_MINUTES": 60,
    # Search index writers queue on a file lock: a rebuild may wait this long for it,
    # a search or a commit catching up with the change log only SEARCH_CATCH_UP_WAIT.
    "SEARCH_LOCK_TIMEOUT": 120.0,
    "SEARCH_CATCH_UP_WAIT": 2.0,
    # Apply the change log right after each commit that changed products (searches catch up anyway).
    "SEARCH_APPLY_ON_COMMIT": True,
    # How often (seconds, per process) requests also expire unpaid card orders that are due;
    # `marketplace orders expire` does the same from cron.
    "ORDER_EXPIRY_INTERVAL": 60,
    # HTML, CSS, JS and JSON are compressed (brotli or gzip, as the client accepts) by Flask-Compress.
    "COMPRESS_MIMETYPES": [
        "text/html",
        "text/css",
        "text/javascript",
        "application/javascript",
        "application/json",
        "image/svg+xml",
    ],
    "COMPRESS_ALGORITHM": ["br", "gzip"],
    "COMPRESS_BR_LEVEL": 4,
    "COMPRESS_MIN_SIZE": 500,
}
