"""Response headers and redirect safety."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import abort, request, url_for

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
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


def refuse_nul_characters():
    """No real text holds a NUL character, and PostgreSQL refuses one in any string (a 500
    deep in a query or a save), so a request carrying one stops here with a 400."""
    fields = (*request.args.items(multi=True), *request.form.items(multi=True))
    if "\x00" in request.path or any("\x00" in key or "\x00" in value for key, value in fields):
        abort(400)


def init_app(app) -> None:
    app.before_request(refuse_nul_characters)
    app.after_request(set_security_headers)
