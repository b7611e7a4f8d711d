"""The installable booth app: its page, web app manifest and service worker.

The app itself is static/js/booth-app.js: it keeps the booth's state and the sales it records
in the phone's IndexedDB and talks to the server only through the two JSON endpoints of
docs/booth-app-protocol.md (fairs.booth_sync_views). These views serve what the phone installs:

- `/booth/` lists the booths the signed-in manager may open (a signed-in helper goes straight
  to their booth);
- `/booth/<id>/` the app's page (the manager or the booth's helper only);
- `/booth/<id>/manifest.webmanifest` what the phone needs to install it;
- `/booth/sw.js` the service worker, served from /booth/ so that its scope is every booth page.
  Its cache name carries a hash of the files it precaches, so a changed asset is fetched anew.

None of these go through the page cache (core.page_cache); the page and the manifest are
`no-store`, the service worker `no-cache` (the browser checks for a new one on every visit).
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.booth_access import booth_actor, signed_in_helper
from marketplace.fairs.models import Booth, BoothStatus, Fair, FairStatus
from marketplace.fairs.onsite import can_sell

bp = Blueprint("booth_app", __name__)

SOON = timedelta(days=7)  # a fair starting within a week is listed, to install the app beforehand
THEME_COLOR = "#1b6b3a"  # --green in static/css/site.css
BACKGROUND_COLOR = "#ffffff"
# What the service worker precaches besides the booth pages (static/… paths).
SHELL_ASSETS = (
    "css/site.css",
    "css/booth-app.css",
    "js/booth-app.js",
    "vendor/qrcode-generator-2.0.4.js",
    "img/favicon.svg",
    "img/booth-192.png",
    "img/booth-512.png",
    "img/booth-maskable-512.png",
)
ICONS = (
    ("img/booth-192.png", "192x192", "any"),
    ("img/booth-512.png", "512x512", "any"),
    ("img/booth-maskable-512.png", "512x512", "maskable"),
)


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/booth/")
def index():
    helper = signed_in_helper()
    if helper is not None and not current_user.is_authenticated:
        return redirect(url_for("booth_app.app", booth_id=helper.booth_id))
    if not current_user.is_authenticated:
        return _no_store(Response(render_template("fairs/booth_app/sign_in.html", next_url=request.path), 401))
    now = utcnow()
    cooperative_ids = [c.id for c in current_user.cooperatives]
    booths = db.session.scalars(
        sa.select(Booth)
        .join(Fair, Fair.id == Booth.fair_id)
        .where(
            Booth.cooperative_id.in_(cooperative_ids),
            Booth.status == BoothStatus.APPROVED,
            Fair.status == FairStatus.PUBLISHED,
            Fair.ends_at > now,
            Fair.starts_at <= now + SOON,
        )
        .order_by(Fair.starts_at, Booth.number, Booth.id)
    ).all()
    if helper is not None and all(b.id != helper.booth_id for b in booths):
        booths.insert(0, helper.booth)
    page = render_template("fairs/booth_app/index.html", booths=booths, now=now)
    return _no_store(Response(page))


@bp.get("/booth/<int:booth_id>/")
def app(booth_id: int):
    try:
        actor = booth_actor(booth_id)
    except HTTPException as refusal:
        if refusal.code != 401:
            raise
        return _no_store(Response(render_template("fairs/booth_app/sign_in.html", next_url=request.path), 401))
    booth = actor.booth
    page = render_template(
        "fairs/booth_app/app.html",
        booth=booth,
        fair=booth.fair,
        cooperative=booth.cooperative,
        actor=actor,
        selling=can_sell(booth),
        strings=app_strings(),
    )
    return _no_store(Response(page))


@bp.get("/booth/<int:booth_id>/manifest.webmanifest")
def manifest(booth_id: int):
    """Public like the booth's page on the fair site: an approved booth of a published fair."""
    booth = db.session.get(Booth, booth_id)
    if booth is None or booth.status != BoothStatus.APPROVED or not booth.fair.is_public:
        abort(404)
    name = _("Booth %(number)s · %(fair)s", number=booth.number or "", fair=booth.fair.name)
    body = {
        "name": name,
        "short_name": _("Booth %(number)s", number=booth.number or ""),
        "description": _("Record the booth's sales, online or offline, and sync them."),
        "lang": "vi",
        "id": url_for("booth_app.app", booth_id=booth.id),
        "start_url": url_for("booth_app.app", booth_id=booth.id),
        "scope": url_for("booth_app.index"),
        "display": "standalone",
        "orientation": "portrait",
        "theme_color": THEME_COLOR,
        "background_color": BACKGROUND_COLOR,
        "icons": [
            {"src": url_for("static", filename=path), "sizes": sizes, "type": "image/png", "purpose": purpose}
            for path, sizes, purpose in ICONS
        ],
    }
    response = Response(json.dumps(body, ensure_ascii=False), mimetype="application/manifest+json")
    return _no_store(response)


@bp.get("/booth/sw.js")
def service_worker():
    assets = [url_for("static", filename=path) for path in SHELL_ASSETS]
    offline = _("No connection, and this booth's page is not saved on this phone yet. Open it again when online.")
    script = render_template("fairs/booth_app/sw.js", version=assets_version(), assets=assets, offline_text=offline)
    response = Response(script, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


def assets_version() -> str:
    """A hash of the precached files: any change to one of them makes a new service worker."""
    digest = hashlib.blake2b(digest_size=8)
    static = Path(current_app.static_folder)
    for path in SHELL_ASSETS:
        digest.update(path.encode())
        digest.update((static / path).read_bytes())
    return digest.hexdigest()


def app_strings() -> dict[str, str]:
    """What booth-app.js shows, translated here (the template hands it over as JSON)."""
    return {
        "online": _("Connected"),
        "offline": _("No connection"),
        "never_synced": _("Not synced yet"),
        "synced_at": _("Synced at %(time)s", time="{time}"),
        "waiting": _("%(num)s waiting", num="{num}"),
        "syncing": _("Syncing…"),
        "sign_in_again": _("Your sign-in has ended: sign in again to sync. The sales stay on this phone."),
        "forbidden": _("This account may not use this booth."),
        "sync_failed": _("Could not sync; the sales stay on this phone and are sent later."),
        "no_state": _("Open this page once while online to load the booth's products."),
        "cannot_sell": _("Sales cannot be recorded at this booth now (the fair is not on)."),
        "choose_product": _("Choose a product."),
        "not_enough": _("Only %(num)s left on this phone's count.", num="{num}"),
        "recorded_here": _("Recorded on this phone: %(product)s × %(qty)s.", product="{product}", qty="{qty}"),
        "status_pending": _("not synced"),
        "status_recorded": _("synced"),
        "status_conflict": _("waiting for the manager"),
        "conflict_reason": _(
            "The stock was gone when this sale arrived: the manager confirms it with the stock left, or cancels it."
        ),
        "status_cancelled": _("cancelled"),
        "status_refused": _("refused"),
        "cash": _("Cash"),
        "transfer": _("Transfer"),
        "left": _("%(num)s left", num="{num}"),
        "receipt": _("Receipt"),
        "dismiss": _("Dismiss"),
        "no_sales": _("No sales on this phone today."),
        "no_products": _("No product matches."),
        "qr_label": _("VietQR code to pay %(amount)s", amount="{amount}"),
        "no_bank": _("The cooperative has no bank account for transfers."),
    }
