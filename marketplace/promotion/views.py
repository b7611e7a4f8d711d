"""Agency pages for promotion activities (commitment four) at /agency/promotion.

Agency staff and admins only (roles_required); everyone else gets 403. Every view:
load, check, call the service, respond; the request commits after it when the answer is a
success, and a refusal is rolled back (core.transaction).
"""

from __future__ import annotations

import logging
from datetime import date

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import extract, select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Agency, Role
from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core.access import roles_required
from marketplace.core.errors import Refused
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.fairs.models import Fair
from marketplace.promotion import evidence as evidence_files
from marketplace.promotion import services
from marketplace.promotion.forms import ActivityForm, EvidenceForm, ReturnForm
from marketplace.promotion.models import (
    RESULT_FIELDS,
    ActivityEvidence,
    ActivityStatus,
    ActivityType,
    PromotionActivity,
    promotion_agencies,
)

bp = Blueprint("promotion", __name__, url_prefix="/agency/promotion")
logger = logging.getLogger(__name__)

FORM_NUMBERS = ("budget_vnd", *RESULT_FIELDS)


@bp.context_processor
def labels():
    return {
        "type_labels": services.TYPE_LABELS,
        "status_labels": services.STATUS_LABELS,
        "field_labels": services.FIELD_LABELS,
        "result_fields": RESULT_FIELDS,
    }


def activity_or_404(activity_id: int) -> PromotionActivity:
    return db.get_or_404(PromotionActivity, activity_id)


@bp.get("/")
@roles_required(Role.AGENCY_STAFF)
def index():
    status = request.args.get("status", "")
    kind = request.args.get("type", "")
    year = request.args.get("year", "")
    agency = request.args.get("agency", "")
    query = select(PromotionActivity).options(selectinload(PromotionActivity.agencies))
    if status:
        if status not in {s.value for s in ActivityStatus}:
            abort(400)
        query = query.where(PromotionActivity.status == ActivityStatus(status))
    if kind:
        if kind not in {t.value for t in ActivityType}:
            abort(400)
        query = query.where(PromotionActivity.type == ActivityType(kind))
    if year:
        if not year.isdigit() or not 2000 <= int(year) <= 2100:
            abort(400)
        query = query.where(
            PromotionActivity.start_date >= date(int(year), 1, 1),
            PromotionActivity.start_date <= date(int(year), 12, 31),
        )
    if agency:
        if not agency.isdigit():
            abort(400)
        query = query.where(
            PromotionActivity.id.in_(
                select(promotion_agencies.c.activity_id).where(promotion_agencies.c.agency_id == int(agency))
            )
        )
    query = query.order_by(PromotionActivity.start_date.desc(), PromotionActivity.id.desc())
    page = db.paginate(query, page=requested_page(), per_page=50, error_out=False)
    years = sorted(
        {int(y) for y in db.session.scalars(select(extract("year", PromotionActivity.start_date)).distinct()) if y},
        reverse=True,
    )
    return render_template(
        "promotion/index.html",
        page=page,
        filters={"status": status, "type": kind, "year": year, "agency": agency},
        years=years,
        agencies=db.session.scalars(select(Agency).order_by(Agency.name)).all(),
    )


def _input(form: ActivityForm) -> services.ActivityInput:
    """The form's values with ids turned into rows; an id that names nothing is refused."""
    agencies = _rows(Agency, form.agencies.data, "agencies")
    cooperatives = _rows(Cooperative, form.cooperatives.data, "cooperatives")
    products = _rows(Product, form.products.data, "products")
    fair = None
    if form.fair_id.data is not None:
        fair = db.session.get(Fair, form.fair_id.data)
        if fair is None:
            raise Refused(_("Choose a fair from the list."), field="fair_id")
    return services.ActivityInput(
        type=form.type.data,
        title=form.title.data or "",
        start_date=form.start_date.data,
        end_date=form.end_date.data,
        province_code=form.province_code.data,
        ward_code=form.ward_code.data,
        agencies=agencies,
        organising_unit=form.organising_unit.data or "",
        fair=fair,
        cooperatives=cooperatives,
        products=products,
        notes=form.notes.data or "",
        **{name: getattr(form, name).data or 0 for name in FORM_NUMBERS},
    )


def _rows(model, ids, field_name: str) -> list:
    ids = list(dict.fromkeys(ids or []))
    if not ids:
        return []
    rows = db.session.scalars(select(model).where(model.id.in_(ids))).all()
    if len(rows) != len(ids):
        raise Refused(_("Choose from the list."), field=field_name)
    return rows


def _form_data(activity: PromotionActivity) -> dict:
    return {
        "type": activity.type.value,
        "title": activity.title,
        "start_date": activity.start_date,
        "end_date": activity.end_date,
        "province_code": activity.province_code,
        "ward_code": activity.ward_code,
        "agencies": [a.id for a in activity.agencies],
        "organising_unit": activity.organising_unit,
        "fair_id": activity.fair_id,
        "cooperatives": [c.id for c in activity.cooperatives],
        "products": [p.id for p in activity.products],
        "notes": activity.notes,
        **{name: getattr(activity, name) for name in FORM_NUMBERS},
    }


def _save(form: ActivityForm, activity: PromotionActivity | None):
    """Validate and save; returns the activity, or None (errors are on the form)."""
    if not form.validate():
        return None
    with attempt(form) as outcome:
        data = _input(form)
        if activity is None:
            activity = services.create_activity(data, current_user)
        else:
            services.update_activity(activity, data, current_user)
    return activity if outcome.done else None


@bp.route("/new", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def new():
    if request.method == "GET":
        own = [current_user.agency_id] if current_user.agency_id else []
        form = ActivityForm(formdata=None, data={"agencies": own})
    else:
        form = ActivityForm()
        activity = _save(form, None)
        if activity is not None:
            flash(_("The activity is saved as a draft. Add evidence, then submit it for approval."), "success")
            return redirect(url_for("promotion.detail", activity_id=activity.id))
    return render_template("promotion/form.html", form=form, activity=None), 200 if request.method == "GET" else 400


@bp.route("/<int:activity_id>/edit", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def edit(activity_id: int):
    activity = activity_or_404(activity_id)
    if not services.can_edit(current_user, activity):
        flash(_("Only the organising agencies can change this activity, while it is a draft or returned."), "error")
        return redirect(url_for("promotion.detail", activity_id=activity.id))
    if request.method == "GET":
        form = ActivityForm(formdata=None, data=_form_data(activity))
    else:
        form = ActivityForm()
        if _save(form, activity) is not None:
            flash(_("Changes saved."), "success")
            return redirect(url_for("promotion.detail", activity_id=activity.id))
    status = 200 if request.method == "GET" else 400
    return render_template("promotion/form.html", form=form, activity=activity), status


def detail_page(activity: PromotionActivity, *, return_form=None, evidence_form=None, status: int = 200):
    return render_template(
        "promotion/detail.html",
        activity=activity,
        return_form=return_form or ReturnForm(formdata=None),
        evidence_form=evidence_form or EvidenceForm(formdata=None),
        can_edit=services.can_edit(current_user, activity),
        can_decide=services.can_decide(current_user, activity),
        approval=services.approval_rule(current_user, activity),
        approvers_note=services.approvers_note(activity),
    ), status


@bp.get("/<int:activity_id>")
@roles_required(Role.AGENCY_STAFF)
def detail(activity_id: int):
    return detail_page(activity_or_404(activity_id))


def _act(activity_id: int, action, success: str):
    activity = activity_or_404(activity_id)
    with attempt() as outcome:
        action(activity)
    if not outcome.done:
        return redirect(url_for("promotion.detail", activity_id=activity_id)), 303
    flash(success, "success")
    return redirect(url_for("promotion.detail", activity_id=activity_id))


@bp.post("/<int:activity_id>/submit")
@roles_required(Role.AGENCY_STAFF)
def submit(activity_id: int):
    return _act(
        activity_id,
        lambda a: services.submit(a, current_user),
        _("Submitted: another agency or an admin will now review it."),
    )


@bp.post("/<int:activity_id>/approve")
@roles_required(Role.AGENCY_STAFF)
def approve(activity_id: int):
    return _act(activity_id, lambda a: services.approve(a, current_user), _("The activity is approved."))


@bp.post("/<int:activity_id>/return")
@roles_required(Role.AGENCY_STAFF)
def return_(activity_id: int):
    activity = activity_or_404(activity_id)
    form = ReturnForm()
    if not form.validate():
        return detail_page(activity, return_form=form, status=400)
    with attempt(form) as outcome:  # a refused comment is shown at the form, anything else flashed
        services.return_activity(activity, current_user, form.comment.data)
    if not outcome.done:
        if outcome.refused.field == "comment":
            return detail_page(activity, return_form=form, status=400)
        return redirect(url_for("promotion.detail", activity_id=activity_id)), 303
    flash(_("The activity is returned to its organisers with your comment."), "success")
    return redirect(url_for("promotion.detail", activity_id=activity_id))


@bp.post("/<int:activity_id>/evidence")
@roles_required(Role.AGENCY_STAFF)
def upload_evidence(activity_id: int):
    activity = activity_or_404(activity_id)
    form = EvidenceForm()
    upload = form.file.data
    if not form.validate() or upload is None or not getattr(upload, "filename", ""):
        form.file.errors = [*form.file.errors, _("Choose a file to upload.")]
        return detail_page(activity, evidence_form=form, status=400)
    stored = None
    try:
        with attempt(form) as outcome:  # a refused file is shown at the form, anything else flashed
            item = evidence_files.add_evidence(activity, upload.stream, upload.filename, current_user)
            stored = item.stored_name
    except Exception:  # rolled back by attempt: the stored file goes too
        if stored:
            evidence_files.discard_file(stored)
        raise
    if not outcome.done:
        if outcome.refused.field == "file":
            return detail_page(activity_or_404(activity_id), evidence_form=form, status=400)
        return redirect(url_for("promotion.detail", activity_id=activity_id)), 303
    flash(_("%(name)s is attached.", name=item.original_filename), "success")
    return redirect(url_for("promotion.detail", activity_id=activity_id, _anchor="evidence"))


def _evidence_or_404(activity_id: int, evidence_id: int) -> ActivityEvidence:
    item = db.session.get(ActivityEvidence, evidence_id)
    if item is None or item.activity_id != activity_id:
        abort(404)
    return item


@bp.get("/<int:activity_id>/evidence/<int:evidence_id>")
@roles_required(Role.AGENCY_STAFF)
def download_evidence(activity_id: int, evidence_id: int):
    item = _evidence_or_404(activity_id, evidence_id)
    path = evidence_files.path_of(item)
    if not path.is_file():
        logger.error("Evidence file %s is missing", item.stored_name)
        abort(404)
    response = send_file(path, mimetype=item.content_type, as_attachment=True, download_name=item.original_filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/<int:activity_id>/evidence/<int:evidence_id>/delete")
@roles_required(Role.AGENCY_STAFF)
def delete_evidence(activity_id: int, evidence_id: int):
    item = _evidence_or_404(activity_id, evidence_id)
    name = item.original_filename
    return _act(
        activity_id, lambda _a: evidence_files.delete_evidence(item, current_user), _("%(name)s is removed.", name=name)
    )
