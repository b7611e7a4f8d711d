"""Public fair pages: upcoming, ongoing and past fairs, a fair's booth directory, a booth.

Drafts and unknown fairs are 404s; the rules are in fairs.queries. The home page shows
the fairs on now through the `fairs_on_now()` template global (templates/fairs/_home_banner.html),
so the catalogue's home view does not need to know about fairs.
"""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_babel import lazy_gettext as _l

from marketplace.core.models import utcnow
from marketplace.fairs import queries
from marketplace.fairs.forms import KIND_LABELS
from marketplace.fairs.models import FairKind

bp = Blueprint("fairs", __name__, url_prefix="/fairs")

OVERVIEW_SIZE = 6  # fairs per section on /fairs/ before "see all"

PHASE_LABELS = {
    "ongoing": _l("On now"),
    "upcoming": _l("Upcoming"),
    "past": _l("Past"),
}


@bp.app_template_global()
def fair_kind_label(kind: FairKind) -> str:
    return str(KIND_LABELS.get(kind, kind))


@bp.app_template_global()
def fairs_on_now():
    """The fairs on right now, for the home page banner (queried only where it is shown)."""
    return queries.ongoing_fairs(utcnow())


@bp.get("/")
def index():
    now = utcnow()
    filters = queries.read_fair_filters(request.args, per_page=current_app.config["PER_PAGE"])
    counts = queries.phase_counts(now)
    if filters.phase:
        pagination = queries.paginate_fairs(filters.phase, filters.page, filters.per_page, now)
        sections = [(filters.phase, pagination.items)]
    else:
        pagination = None
        sections = [
            (phase, queries.fairs_in_phase(phase, now, limit=OVERVIEW_SIZE))
            for phase in ("ongoing", "upcoming", "past")
        ]
    booths = queries.booth_counts(fair.id for _phase, fairs in sections for fair in fairs)
    return render_template(
        "fairs/index.html",
        phase=filters.phase,
        sections=sections,
        pagination=pagination,
        counts=counts,
        booths=booths,
        phase_labels=PHASE_LABELS,
        now=now,
    )


@bp.get("/<slug>")
def fair(slug: str):
    page = queries.fair_page(slug, utcnow())
    return render_template("fairs/fair.html", page=page, fair=page.fair, phase_labels=PHASE_LABELS, now=page.at)


@bp.get("/<slug>/booths/<number>")
def booth(slug: str, number: str):
    page, entry = queries.booth_page(slug, number, utcnow())
    return render_template(
        "fairs/booth.html", page=page, fair=page.fair, entry=entry, phase_labels=PHASE_LABELS, now=page.at
    )
