"""Response headers and redirect safety."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import request, url_for

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        # The booth app (fairs.booth_app_views): its service worker and web app manifest.
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def safe_next_url(target: str | None, fallback_endpoint: str = "catalog.home") -> str:
    """Only same-site relative paths are followed; anything else goes home.

    Rejects absolute URLs, scheme-relative ('//evil.example') and backslash tricks
    ('/\\evil.example') that browsers treat as another host.
    """
    if target:
        target = target.strip()
        parts = urlsplit(target)
        if (
            target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
            and not parts.scheme
            and not parts.netloc
            and not any(ord(ch) < 32 for ch in target)
        ):
            return target
    return url_for(fallback_endpoint)


def set_security_headers(response):
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def init_app(app) -> None:
    from marketplace.core import input_guard

    input_guard.init_app(app)  # NUL and broken characters, JSON size and depth: before any view
    app.after_request(set_security_headers)
