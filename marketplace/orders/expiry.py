"""Unpaid card orders give their stock back when their time runs out.

Two ways, doing the same thing: `marketplace orders expire` (from cron), and requests
themselves, at most every ORDER_EXPIRY_INTERVAL seconds per process (so a site without
cron still frees its stock). The request hook runs in its own app context, hence its
own session and transaction: it never touches the request's session, and any error is
rolled back and logged, never shown to the visitor. A negative interval turns it off.
"""

from __future__ import annotations

import logging
import threading
from time import monotonic

from flask import current_app, request

from marketplace.extensions import db
from marketplace.orders import services

logger = logging.getLogger(__name__)

SKIPPED_PREFIXES = ("/static/", "/media/")
_lock = threading.Lock()


def expire_due_orders_committed(now=None) -> list[str]:
    """Expire what is due in one transaction; the numbers of the orders expired."""
    try:
        numbers = services.expire_due_orders(now)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    if numbers:
        logger.info("Expired %d unpaid card orders: %s", len(numbers), ", ".join(numbers))
    return numbers


def _due(app) -> bool:
    """True at most once per interval per process (per app); the first interval starts
    with the first request, so a burst of new processes does not all expire at once."""
    interval = app.config.get("ORDER_EXPIRY_INTERVAL", 60)
    if interval is None or interval < 0:
        return False
    now = monotonic()
    with _lock:
        state = app.extensions.setdefault("order_expiry", {"next_run": now + interval})
        if now < state["next_run"]:
            return False
        state["next_run"] = now + interval
        return True


def expire_due_orders_now_and_then() -> None:
    """before_app_request hook: run the expiry when its interval has passed."""
    if request.endpoint == "static" or request.path.startswith(SKIPPED_PREFIXES):
        return
    app = current_app._get_current_object()
    if not _due(app):
        return
    try:
        with app.app_context():  # a session of its own, removed when the context ends
            expire_due_orders_committed()
    except Exception:  # noqa: BLE001 - a visitor's request must never fail because of housekeeping
        logger.warning("Expiring unpaid card orders failed; trying again later", exc_info=True)
