"""Agency staff run fairs: create, edit, open applications, publish, close; decide on booths.

Agency staff and admins only (roles_required): anyone else gets 403 and nothing changes.
Each action is one transaction; a booth decision is emailed to the cooperative after it
committed. The rules are in fairs.services.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Agency, Role
from marketplace.core.access import roles_required
from marketplace.core.errors import Refused
from marketplace.core.images import ImageRejected
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.fairs import services
from marketplace.fairs.forms import (
    KIND_LABELS,
    ApproveBoothForm,
    FairForm,
    RejectBoothForm,
)
from marketplace.fairs.models import Booth, BoothProduct, BoothStatus, Fair, FairStatus

bp = Blueprint("fair_agency", __name__, url_prefix="/agency/fairs")
logger = logging.getLogger(__name__)

PER_PAGE = 30


def fair_or_404(slug: str) -> Fair:
    return db.first_or_404(sa.select(Fair).where(Fair.slug == slug))


def agencies() -> list[Agency]:
    return list(db.session.scalars(sa.select(Agency).order_by(Agency.name)))


def pending_counts(fair_ids) -> dict[int, int]:
    if not fair_ids:
        return {}
    rows = db.session.execute(
        sa.select(Booth.fair_id, sa.func.count(Booth.id))
        .where(Booth.fair_id.in_(fair_ids), Booth.status == BoothStatus.PENDING)
        .group_by(Booth.fair_id)
    )
    return dict(rows.all())


@bp.get("/")
@roles_required(Role.AGENCY_STAFF)
def index():
    status_name = request.args.get("status", "all")
    if status_name not in {s.value for s in FairStatus} | {"all"}:
        abort(400)
    query = sa.select(Fair).order_by(Fair.starts_at.desc(), Fair.id.desc())
    if status_name != "all":
        query = query.where(Fair.status == FairStatus(status_name))
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    rows = db.session.execute(sa.select(Fair.status, sa.func.count(Fair.id)).group_by(Fair.status)).all()
    counts = {status: 0 for status in FairStatus}
    counts.update({FairStatus(status): count for status, count in rows})
    return render_template(
        "fairs/agency/index.html",
        page=page,
        status=status_name,
        counts=counts,
        total=sum(counts.values()),
        pending=pending_counts([fair.id for fair in page.items]),
        kinds=KIND_LABELS,
        labels=services.STATUS_LABELS,
    )


def form_page(form: FairForm, fair: Fair | None, status: int = 200):
    return render_template("fairs/agency/form.html", form=form, fair=fair), status


def _save(form: FairForm, fair: Fair | None):
    """Create or update from a validated form, with its banner. None when refused (the
    reason is on the form and nothing is kept)."""
    written = None
    with attempt(form) as outcome:
        if fair is None:
            fair = services.create_fair(form.fair_data(), current_user)
        else:
            services.update_fair(fair, form.fair_data(), current_user)
        upload = form.banner.data
        if upload is not None and getattr(upload, "filename", ""):
            try:
                written = services.save_banner(fair, upload.stream)
            except ImageRejected as error:  # not a picture we take: said under the banner field
                raise Refused(error.message, field="banner") from None
        elif form.remove_banner.data and fair.banner_stem:
            services.remove_banner(fair)
    if not outcome.done:
        services.discard_banner(written)
        return None
    return fair


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def create():
    form = FairForm(agencies=agencies())
    if request.method == "GET" and current_user.agency_id:
        form.organiser_ids.data = [current_user.agency_id]
    if form.validate_on_submit():
        fair = _save(form, None)
        if fair is not None:
            flash(_("The fair %(name)s is saved as a draft: only agency staff see it.", name=fair.name), "success")
            return redirect(url_for("fair_agency.show", slug=fair.slug))
    return form_page(form, None, 422 if request.method == "POST" else 200)


@bp.get("/<slug>")
@roles_required(Role.AGENCY_STAFF)
def show(slug: str):
    fair = fair_or_404(slug)
    counts = dict.fromkeys(BoothStatus, 0)
    counts.update(
        {
            BoothStatus(status): count
            for status, count in db.session.execute(
                sa.select(Booth.status, sa.func.count(Booth.id)).where(Booth.fair_id == fair.id).group_by(Booth.status)
            )
        }
    )
    return render_template(
        "fairs/agency/show.html",
        fair=fair,
        counts=counts,
        moves=services.allowed_moves(fair),
        kinds=KIND_LABELS,
        labels=services.STATUS_LABELS,
        deadline=services.application_deadline(fair),
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def edit(slug: str):
    fair = fair_or_404(slug)
    if fair.status == FairStatus.CLOSED:
        flash(_("This fair is closed: it can no longer be changed."), "error")
        return redirect(url_for("fair_agency.show", slug=fair.slug))
    if request.method == "GET":
        form = FairForm(formdata=None, obj=fair, agencies=agencies())
        form.kind.data = fair.kind.value
        form.organiser_ids.data = [a.id for a in fair.organisers]
        form.starts_at.data = services.utc_to_vietnam(fair.starts_at)
        form.ends_at.data = services.utc_to_vietnam(fair.ends_at)
        form.applications_close_at.data = services.utc_to_vietnam(fair.applications_close_at)
        return form_page(form, fair)
    form = FairForm(agencies=agencies())
    if form.validate_on_submit():
        saved = _save(form, fair)
        if saved is not None:
            flash(_("The fair is saved."), "success")
            return redirect(url_for("fair_agency.show", slug=fair.slug))
        fair = db.session.get(Fair, fair.id)
    return form_page(form, fair, 422)


@bp.post("/<slug>/status")
@roles_required(Role.AGENCY_STAFF)
def change_status(slug: str):
    fair = fair_or_404(slug)
    with attempt() as outcome:
        services.change_fair_status(fair, request.form.get("status", ""), current_user)
    if outcome.done:
        messages = {
            FairStatus.ACCEPTING: _("Cooperatives can now apply for a booth."),
            FairStatus.PUBLISHED: _("The fair is published with its booth directory."),
            FairStatus.CLOSED: _("The fair is closed: fair prices and on-site sales have stopped."),
        }
        flash(messages[fair.status], "success")
    return redirect(url_for("fair_agency.show", slug=fair.slug))


# --- applications -----------------------------------------------------------------------------


def booth_or_404(fair: Fair, booth_id: int) -> Booth:
    booth = db.session.get(Booth, booth_id)
    if booth is None or booth.fair_id != fair.id:
        abort(404)
    return booth


def applications_page(fair: Fair, errors: dict | None = None, values: dict | None = None, status: int = 200):
    status_name = request.args.get("status", "all")
    if status_name not in {s.value for s in BoothStatus} | {"all"}:
        abort(400)
    query = (
        sa.select(Booth)
        .where(Booth.fair_id == fair.id)
        .options(
            selectinload(Booth.cooperative),
            selectinload(Booth.products).selectinload(BoothProduct.product),
            selectinload(Booth.decided_by),
        )
        .order_by(Booth.applied_at, Booth.id)
    )
    if status_name != "all":
        query = query.where(Booth.status == BoothStatus(status_name))
    booths = db.session.scalars(query).all()
    counts = dict.fromkeys(BoothStatus, 0)
    counts.update(
        {
            BoothStatus(s): c
            for s, c in db.session.execute(
                sa.select(Booth.status, sa.func.count(Booth.id)).where(Booth.fair_id == fair.id).group_by(Booth.status)
            )
        }
    )
    return (
        render_template(
            "fairs/agency/booths.html",
            fair=fair,
            booths=booths,
            status=status_name,
            counts=counts,
            errors=errors or {},
            values=values or {},
            can_decide=fair.status != FairStatus.CLOSED,
        ),
        status,
    )


@bp.get("/<slug>/booths")
@roles_required(Role.AGENCY_STAFF)
def booths(slug: str):
    return applications_page(fair_or_404(slug))


def _refused_decision(fair: Fair, booth_id: int, refused: Refused, field: str, typed: str):
    """A refused decision: next to the booth's box when about what was typed, else flashed."""
    if refused.field == field:
        return applications_page(fair, {booth_id: {field: refused.message}}, {booth_id: {field: typed}}, 422)
    flash(refused.message, "error")
    return redirect(url_for("fair_agency.booths", slug=fair.slug))


@bp.post("/<slug>/booths/<int:booth_id>/approve")
@roles_required(Role.AGENCY_STAFF)
def approve(slug: str, booth_id: int):
    fair = fair_or_404(slug)
    booth = booth_or_404(fair, booth_id)
    form = ApproveBoothForm()
    number = form.number.data or ""
    if not form.validate():
        return applications_page(
            fair,
            {booth.id: {"number": "; ".join(map(str, form.number.errors))}},
            {booth.id: {"number": number[:20]}},
            422,
        )
    try:
        with attempt(show=False) as outcome:
            services.approve_booth(booth, number, current_user)
            services.notify_booth_decision(booth)  # queued in this transaction, sent after the commit
    except IntegrityError:  # rolled back by attempt
        # Another member of staff gave the same number at the same moment.
        message = _("Booth number %(number)s is already given at this fair.", number=number.strip().upper())
        return applications_page(fair, {booth_id: {"number": message}}, {booth_id: {"number": number}}, 422)
    if outcome.refused:
        return _refused_decision(fair, booth_id, outcome.refused, "number", number)
    flash(
        _(
            "%(cooperative)s has booth %(number)s; the cooperative was told by email.",
            cooperative=booth.cooperative.name,
            number=booth.number,
        ),
        "success",
    )
    return redirect(url_for("fair_agency.booths", slug=slug))


@bp.post("/<slug>/booths/<int:booth_id>/reject")
@roles_required(Role.AGENCY_STAFF)
def reject(slug: str, booth_id: int):
    fair = fair_or_404(slug)
    booth = booth_or_404(fair, booth_id)
    form = RejectBoothForm()
    reason = form.reason.data or ""
    if not form.validate():
        return applications_page(
            fair,
            {booth.id: {"reason": "; ".join(map(str, form.reason.errors))}},
            {booth.id: {"reason": reason[:2000]}},
            422,
        )
    with attempt(show=False) as outcome:
        services.reject_booth(booth, reason, current_user)
        services.notify_booth_decision(booth)  # queued in this transaction, sent after the commit
    if outcome.refused:
        return _refused_decision(fair, booth_id, outcome.refused, "reason", reason)
    flash(
        _(
            "The application of %(cooperative)s is rejected; the cooperative was told by email.",
            cooperative=booth.cooperative.name,
        ),
        "success",
    )
    return redirect(url_for("fair_agency.booths", slug=slug))
