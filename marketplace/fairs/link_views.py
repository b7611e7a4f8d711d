"""Short links /f/<code> printed as QR codes on fair and booth posters, and the posters.

`GET /f/<code>` (a fair's or a booth's code, any case) counts a visit, remembers the
source for this browser (fairs.attribution) and sends the visitor on to the booth or
fair page with a privacy note. Unknown codes, draft fairs and booths not approved are 404.

Posters: agency staff print any fair's or booth's; a cooperative's managers print their
own booth's from the workspace. Each as a PNG and as a printable HTML page.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import login_required

from marketplace.accounts.models import Role
from marketplace.cooperatives.access import managed_cooperative
from marketplace.core.access import roles_required
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import attribution, posters
from marketplace.fairs.models import Booth, BoothStatus, Fair

bp = Blueprint("fair_links", __name__)
logger = logging.getLogger(__name__)


def _activity_landing_url(activity) -> str:
    """An activity's link leads to its fair, or its one cooperative's page, or the catalogue."""
    if activity.fair is not None and activity.fair.is_public:
        return url_for("fairs.fair", slug=activity.fair.slug)
    if len(activity.cooperatives) == 1:
        return url_for("cooperatives.show", slug=activity.cooperatives[0].slug)
    return url_for("catalog.home")


def _landing_url(target: attribution.Target) -> str:
    if target.activity is not None:
        return _activity_landing_url(target.activity)
    if target.booth is None or target.booth.number is None:  # an approved booth has its number
        return url_for("fairs.fair", slug=target.fair.slug)
    return url_for("fairs.booth", slug=target.fair.slug, number=target.booth.number)


def _privacy_note(target: attribution.Target) -> str:
    if target.activity is not None:
        return _(
            "You came from %(place)s; orders placed in the next %(days)d days are credited to this activity; "
            "prices and who can buy do not change.",
            place=target.activity.title,
            days=attribution.attribution_days(),
        )
    if target.booth is None:
        place = target.fair.name
    else:
        place = _(
            "booth %(number)s (%(cooperative)s) at %(fair)s",
            number=target.booth.number,
            cooperative=target.booth.cooperative.name,
            fair=target.fair.name,
        )
    return _(
        "You came from %(place)s; orders placed in the next %(days)d days are credited to this fair; "
        "prices and who can buy do not change.",
        place=place,
        days=attribution.attribution_days(),
    )


@bp.route("/f/<code>", methods=["GET"])
def follow(code: str):
    target = attribution.find_code(code)
    if target is None:
        abort(404)
    destination = _landing_url(target)
    # HEAD (link checkers, some previews) and bots: no visit, no cookies, just the way on.
    if request.method == "HEAD" or attribution.is_bot(request.user_agent.string):
        return redirect(destination)
    now = utcnow()
    visitor = attribution.visitor_id(request.cookies.get(attribution.VISITOR_COOKIE))
    if target.activity is not None:  # an activity's tracking link: no fair visit to count
        source = attribution.Source(None, None, now, target.activity.id)
    else:
        attribution.record_visit(target, visitor, now)
        source = attribution.Source(target.fair.id, target.booth.id if target.booth else None, now)
    flash(_privacy_note(target), "info")
    response = redirect(destination)
    attribution.remember(response, source, visitor)
    response.headers["Cache-Control"] = "no-store"
    return response


# --- posters -------------------------------------------------------------------------------------


def _fair_or_404(slug: str) -> Fair:
    return db.first_or_404(sa.select(Fair).where(Fair.slug == slug))


def _printable_booth(fair: Fair, booth: Booth | None) -> Booth:
    if booth is None or booth.fair_id != fair.id or booth.status != BoothStatus.APPROVED:
        abort(404)
    return booth


def _png(poster: posters.Poster, name: str) -> Response:
    response = Response(posters.poster_png(poster), mimetype="image/png")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.png"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def _html(poster: posters.Poster, png_url: str, back_url: str | None):
    return render_template(
        "fairs/posters/poster.html", poster=poster, qr=posters.qr_svg(poster), png_url=png_url, back_url=back_url
    )


@bp.get("/agency/fairs/<slug>/poster.png")
@roles_required(Role.AGENCY_STAFF)
def fair_poster_png(slug: str):
    fair = _fair_or_404(slug)
    return _png(posters.fair_poster(fair), f"poster-{fair.slug}")


@bp.get("/agency/fairs/<slug>/poster")
@roles_required(Role.AGENCY_STAFF)
def fair_poster(slug: str):
    fair = _fair_or_404(slug)
    return _html(posters.fair_poster(fair), url_for(".fair_poster_png", slug=slug), None)


@bp.get("/agency/fairs/<slug>/booths/<int:booth_id>/poster.png")
@roles_required(Role.AGENCY_STAFF)
def booth_poster_png(slug: str, booth_id: int):
    fair = _fair_or_404(slug)
    booth = _printable_booth(fair, db.session.get(Booth, booth_id))
    return _png(posters.booth_poster(booth), f"poster-{fair.slug}-{booth.number}")


@bp.get("/agency/fairs/<slug>/booths/<int:booth_id>/poster")
@roles_required(Role.AGENCY_STAFF)
def booth_poster(slug: str, booth_id: int):
    fair = _fair_or_404(slug)
    booth = _printable_booth(fair, db.session.get(Booth, booth_id))
    return _html(posters.booth_poster(booth), url_for(".booth_poster_png", slug=slug, booth_id=booth_id), None)


def _own_booth(coop_slug: str, fair_slug: str) -> Booth:
    cooperative = managed_cooperative(coop_slug)  # 403 for anyone else's cooperative
    fair = _fair_or_404(fair_slug)
    booth = db.session.scalar(sa.select(Booth).where(Booth.fair_id == fair.id, Booth.cooperative_id == cooperative.id))
    return _printable_booth(fair, booth)


@bp.get("/workspace/<coop_slug>/fairs/<fair_slug>/poster.png")
@login_required
def own_booth_poster_png(coop_slug: str, fair_slug: str):
    booth = _own_booth(coop_slug, fair_slug)
    return _png(posters.booth_poster(booth), f"poster-{booth.fair.slug}-{booth.number}")


@bp.get("/workspace/<coop_slug>/fairs/<fair_slug>/poster")
@login_required
def own_booth_poster(coop_slug: str, fair_slug: str):
    booth = _own_booth(coop_slug, fair_slug)
    return _html(
        posters.booth_poster(booth),
        url_for(".own_booth_poster_png", coop_slug=coop_slug, fair_slug=fair_slug),
        None,
    )
