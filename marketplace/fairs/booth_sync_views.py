"""The booth app's data: the booth's state (products, fair prices, stock) and the offline queue's batch sync.

GET /booth/<id>/state.json and POST /booth/<id>/sync, as docs/booth-app-protocol.md says:
a manager of the booth's cooperative or one of its booth helpers (fairs.booth_access); JSON
in and out, never cached; the sync needs the X-CSRFToken header (Flask-WTF, like every form
of the site) with the token from state.json. Rules are in fairs.booth_sync; the request
commits once, after the view (core.transaction).
"""

from __future__ import annotations

from flask import Blueprint, jsonify, request
from flask_wtf.csrf import CSRFError

from marketplace.core.transaction import roll_back
from marketplace.fairs import booth_sync
from marketplace.fairs.booth_access import booth_actor

bp = Blueprint("booth_sync", __name__)


@bp.after_request
def _no_store(response):
    # Stock, prices, a CSRF token, refusals: never from a cache (the app caches what it needs itself).
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(CSRFError)
def csrf_refused(error: CSRFError):
    # The app fetches state.json again (a new token) and retries.
    return jsonify(error="csrf", message=error.description), 400


@bp.get("/booth/<int:booth_id>/state.json")
def state(booth_id: int):
    actor = booth_actor(booth_id, json=True)
    return jsonify(booth_sync.booth_state(actor))


@bp.post("/booth/<int:booth_id>/sync")
def sync(booth_id: int):
    actor = booth_actor(booth_id, json=True)
    payload = request.get_json(silent=True)
    try:
        results = booth_sync.sync_sales(actor, payload)
    except booth_sync.BadBatch as bad:
        roll_back()
        return jsonify(error=bad.message), 400
    return jsonify(results=results, state=booth_sync.booth_state(actor))
