"""Programme pages: the dashboard and its records at /agency/program (agency staff and admins),
and the public summary at /program (counts only, no personal data).

Every view: load, check, call the service, respond; the request commits after it when the
answer is a success (core.transaction).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.accounts.models import Agency, Role
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core.access import roles_required
from marketplace.core.errors import Refused
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.program import documents, progress, services
from marketplace.program.forms import ConfirmForm, OwnerForm, SupportedForm, TrainingForm
from marketplace.program.models import (
    PROGRAM_YEARS,
    ProgramRecordChange,
    RecordKind,
    SupportedCooperative,
    TargetMetric,
    TrainingClass,
)
from marketplace.program.targets import ensure_default_targets

bp = Blueprint("program", __name__, url_prefix="/agency/program")
public_bp = Blueprint("program_public", __name__, url_prefix="/program")

PER_PAGE = 50
HISTORY_PER_PAGE = 100

STATUS_LABELS = {
    progress.MET: _l("Met"),
    progress.ON_TRACK: _l("On track"),
    progress.NOT_MET: _l("Not met"),
    progress.BEHIND: _l("Behind"),
    progress.NOT_YET_DUE: _l("Not yet due"),
    progress.NO_TARGET: _l("No target"),
}


@bp.context_processor
@public_bp.context_processor
def labels():
    return {"progress_labels": STATUS_LABELS, "program_years": PROGRAM_YEARS, "Metric": TargetMetric}


@bp.context_processor
def record_rights():
    return {"can_change": services.can_change, "field_labels": services.FIELD_LABELS}


def _may_change(record) -> None:
    """403 unless the signed-in person may edit or delete `record` (its agency's staff, admins)."""
    if not services.can_change(current_user, record):
        abort(403)


def _load_dashboard() -> progress.Dashboard:
    """The dashboard; the default targets are added first if any is missing (committed with the page)."""
    ensure_default_targets()
    return progress.dashboard()


def drill_link(metric: TargetMetric, year: int | None) -> str:
    """The records a dashboard number counts (year None: the whole programme)."""
    if metric == TargetMetric.TRAINING_CLASSES:
        return url_for("program.training_list", year=year or "programme")
    if metric == TargetMetric.NEW_YOUTH_COOPERATIVES:
        return url_for("program.supported_list", year=year or "programme", youth=1)
    # The activity list filters by one year; for the whole programme it lists every approved one.
    return url_for("promotion.index", year=year, status="approved")


def ready_drafts(board: progress.Dashboard) -> list[tuple[str, str]]:
    """(label, link) of the drafts most asked for, joint: the last closed year's annual review
    and the whole programme's final review."""
    closed = [year for year in PROGRAM_YEARS if date(year, 12, 31) < board.today]
    drafts = []
    if closed:
        drafts.append(
            (
                _("Annual review %(year)s, joint (.docx)", year=closed[-1]),
                url_for("program.report_document", year=closed[-1], issuer=documents.JOINT),
            )
        )
    drafts.append(
        (
            _("Final review 2023–2025, joint (.docx)"),
            url_for("program.report_document", year=documents.WHOLE, issuer=documents.JOINT),
        )
    )
    return drafts


@bp.get("/")
@roles_required(Role.AGENCY_STAFF)
def index():
    board = _load_dashboard()
    return render_template(
        "program/dashboard.html",
        board=board,
        drafts=ready_drafts(board),
        drill_link=drill_link,
        issuer_labels=ISSUER_LABELS,
        default_issuer=_default_issuer(),
        default_place=documents.default_place(
            documents.agency_of_kind(documents.YOUTH_UNION) or documents.agency_of_kind(documents.ALLIANCE)
        ),
    )


ISSUER_LABELS = {
    documents.YOUTH_UNION: _l("The Youth Union"),
    documents.ALLIANCE: _l("The Cooperative Alliance"),
    documents.JOINT: _l("Both agencies (joint report, two signatures)"),
}


def _default_issuer() -> str:
    kind = current_user.agency.kind.value if getattr(current_user, "agency", None) is not None else ""
    return kind if kind in documents.ISSUERS else documents.YOUTH_UNION


@bp.get("/report.docx")
@roles_required(Role.AGENCY_STAFF)
def report_document():
    """A year's review (sơ kết) or the whole programme's (tổng kết) drafted as an official document."""
    try:
        year = documents.parse_year(request.args.get("year", ""))
        issuer = request.args.get("issuer", "") or _default_issuer()
        data = documents.load(year, issuer, request.args.get("place", ""), board=_load_dashboard())
    except documents.BadChoice:
        abort(400)
    name = documents.ascii_filename(data)
    display = quote(documents.display_filename(data))
    return Response(
        documents.docx_bytes(data),
        mimetype=documents.MIMETYPE,
        headers={
            "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{display}",
            "Cache-Control": "no-store",
        },
    )


@public_bp.get("/")
def summary():
    board = _load_dashboard()
    linked = db.session.scalars(
        select(Cooperative)
        .join(SupportedCooperative, SupportedCooperative.cooperative_id == Cooperative.id)
        .where(
            Cooperative.status == CooperativeStatus.APPROVED,
            SupportedCooperative.is_youth.is_(True),
            SupportedCooperative.founded_on.between(progress.PROGRAM_START, progress.PROGRAM_END),
        )
        .order_by(Cooperative.name)
    ).all()
    return render_template("program/public.html", board=board, linked=linked)


def _year_filter() -> int | str | None:
    """?year=2024, or ?year=programme (2023-2025, what the whole-programme figures count)."""
    year = request.args.get("year", "")
    if not year:
        return None
    if year == "programme":
        return year
    if not (year.isascii() and year.isdigit()) or len(year) != 4 or not 2000 <= int(year) <= 2100:
        abort(400)
    return int(year)


def _period(year: int | str) -> tuple[date, date]:
    if year == "programme":
        return progress.PROGRAM_START, progress.PROGRAM_END
    return date(year, 1, 1), date(year, 12, 31)


def _agency(agency_id: int | None) -> Agency | None:
    if agency_id is None:
        return None
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise Refused(_("Choose from the list."), field="agency_id")
    return agency


# --- training classes ----------------------------------------------------------------------


@bp.get("/training")
@roles_required(Role.AGENCY_STAFF)
def training_list():
    year = _year_filter()
    query = select(TrainingClass).options(selectinload(TrainingClass.agency), selectinload(TrainingClass.owner_agency))
    if year is not None:
        query = query.where(TrainingClass.held_on.between(*_period(year)))
    query = query.order_by(TrainingClass.held_on.desc(), TrainingClass.id.desc())
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    return render_template("program/training_list.html", page=page, year=year, confirm=ConfirmForm())


def _training_input(form: TrainingForm) -> services.TrainingInput:
    return services.TrainingInput(
        held_on=form.held_on.data,
        title=form.title.data or "",
        organiser=form.organiser.data or "",
        agency=_agency(form.agency_id.data),
        participants=form.participants.data or 0,
        province_code=form.province_code.data,
        ward_code=form.ward_code.data,
        street=form.street.data or "",
        notes=form.notes.data or "",
    )


def _training_form_data(training: TrainingClass) -> dict:
    return {
        name: getattr(training, name)
        for name in (
            "held_on",
            "title",
            "agency_id",
            "organiser",
            "participants",
            "province_code",
            "ward_code",
            "street",
            "notes",
        )
    }


def _saved(form, save) -> bool:
    """Validate `form` and run `save`: True, or False with the refusal (rolled back) shown at its field."""
    if not form.validate():
        return False
    with attempt(form) as outcome:
        save()
    return outcome.done


@bp.route("/training/new", methods=["GET", "POST"])
@bp.route("/training/<int:training_id>/edit", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def training_form(training_id: int | None = None):
    training = db.get_or_404(TrainingClass, training_id) if training_id is not None else None
    if training is not None:
        _may_change(training)
    if request.method == "GET":
        data = _training_form_data(training) if training else {"agency_id": current_user.agency_id}
        form = TrainingForm(formdata=None, data=data)
        return render_template("program/training_form.html", form=form, training=training)
    form = TrainingForm()

    def save():
        data = _training_input(form)
        if training is None:
            services.create_training(data, current_user)
        else:
            services.update_training(training, data, current_user)

    if _saved(form, save):
        flash(_("The training class is saved."), "success")
        return redirect(url_for("program.training_list"))
    return render_template("program/training_form.html", form=form, training=training), 400


@bp.route("/training/<int:training_id>/delete", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def training_delete(training_id: int):
    training = db.get_or_404(TrainingClass, training_id)
    _may_change(training)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        title = training.title
        services.delete_training(training, current_user)
        flash(_("%(name)s is deleted.", name=title), "success")
        return redirect(url_for("program.training_list"))
    return render_template(
        "program/confirm_delete.html",
        form=form,
        name=training.title,
        action=url_for("program.training_delete", training_id=training.id),
        back=url_for("program.training_list"),
        heading=_("Delete this training class?"),
    )


# --- supported new cooperatives -----------------------------------------------------------


@bp.get("/cooperatives")
@roles_required(Role.AGENCY_STAFF)
def supported_list():
    year = _year_filter()
    youth = request.args.get("youth", "")
    if youth not in ("", "1", "0"):
        abort(400)
    query = select(SupportedCooperative).options(
        selectinload(SupportedCooperative.cooperative),
        selectinload(SupportedCooperative.agency),
        selectinload(SupportedCooperative.owner_agency),
    )
    if year is not None:
        query = query.where(SupportedCooperative.founded_on.between(*_period(year)))
    if youth:
        query = query.where(SupportedCooperative.is_youth.is_(youth == "1"))
    query = query.order_by(SupportedCooperative.founded_on.desc(), SupportedCooperative.id.desc())
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    return render_template("program/supported_list.html", page=page, year=year, youth=youth, confirm=ConfirmForm())


def _supported_input(form: SupportedForm) -> services.SupportedInput:
    cooperative = None
    if form.cooperative_id.data is not None:
        cooperative = db.session.get(Cooperative, form.cooperative_id.data)
        if cooperative is None:
            raise Refused(_("Choose from the list."), field="cooperative_id")
    return services.SupportedInput(
        name=form.name.data or "",
        founded_on=form.founded_on.data,
        is_youth=bool(form.is_youth.data),
        cooperative=cooperative,
        agency=_agency(form.agency_id.data),
        province_code=form.province_code.data,
        ward_code=form.ward_code.data,
        street=form.street.data or "",
        notes=form.notes.data or "",
    )


def _supported_form_data(supported: SupportedCooperative) -> dict:
    return {
        name: getattr(supported, name)
        for name in (
            "name",
            "founded_on",
            "is_youth",
            "cooperative_id",
            "agency_id",
            "province_code",
            "ward_code",
            "street",
            "notes",
        )
    }


@bp.route("/cooperatives/new", methods=["GET", "POST"])
@bp.route("/cooperatives/<int:supported_id>/edit", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def supported_form(supported_id: int | None = None):
    supported = db.get_or_404(SupportedCooperative, supported_id) if supported_id is not None else None
    if supported is not None:
        _may_change(supported)
    if request.method == "GET":
        data = _supported_form_data(supported) if supported else {"agency_id": current_user.agency_id, "is_youth": True}
        form = SupportedForm(formdata=None, data=data)
        return render_template("program/supported_form.html", form=form, supported=supported)
    form = SupportedForm()

    def save():
        data = _supported_input(form)
        if supported is None:
            services.create_supported(data, current_user)
        else:
            services.update_supported(supported, data, current_user)

    if _saved(form, save):
        flash(_("The cooperative is saved."), "success")
        return redirect(url_for("program.supported_list"))
    return render_template("program/supported_form.html", form=form, supported=supported), 400


@bp.route("/cooperatives/<int:supported_id>/delete", methods=["GET", "POST"])
@roles_required(Role.AGENCY_STAFF)
def supported_delete(supported_id: int):
    supported = db.get_or_404(SupportedCooperative, supported_id)
    _may_change(supported)
    form = ConfirmForm()
    if request.method == "POST" and form.validate():
        name = supported.name
        services.delete_supported(supported, current_user)
        flash(_("%(name)s is deleted.", name=name), "success")
        return redirect(url_for("program.supported_list"))
    return render_template(
        "program/confirm_delete.html",
        form=form,
        name=supported.name,
        action=url_for("program.supported_delete", supported_id=supported.id),
        back=url_for("program.supported_list"),
        heading=_("Delete this supported cooperative?"),
    )


# --- one record: its fields, who owns it, its history ---------------------------------------


def _record_page(record, kind: RecordKind, edit: str, delete: str, back: str, owner_form=None, status: int = 200):
    if kind == RecordKind.TRAINING:
        owner_action = url_for("program.training_owner", training_id=record.id)
    else:
        owner_action = url_for("program.supported_owner", supported_id=record.id)
    changes = db.session.scalars(
        select(ProgramRecordChange)
        .options(selectinload(ProgramRecordChange.changed_by), selectinload(ProgramRecordChange.owner_agency))
        .where(ProgramRecordChange.record_kind == kind, ProgramRecordChange.record_id == record.id)
        .order_by(ProgramRecordChange.changed_at.desc(), ProgramRecordChange.id)
        .limit(HISTORY_PER_PAGE)
    ).all()
    return render_template(
        "program/record.html",
        record=record,
        kind=kind.value,
        name=services.record_name(record),
        fields=services.snapshot(record),
        changes=changes,
        edit=edit,
        delete=delete,
        back=back,
        owner_form=owner_form or OwnerForm(formdata=None, data={"owner_agency_id": record.owner_agency_id}),
        owner_action=owner_action,
    ), status


def _training_page(training: TrainingClass, **kwargs):
    return _record_page(
        training,
        RecordKind.TRAINING,
        url_for("program.training_form", training_id=training.id),
        url_for("program.training_delete", training_id=training.id),
        url_for("program.training_list"),
        **kwargs,
    )


def _supported_page(supported: SupportedCooperative, **kwargs):
    return _record_page(
        supported,
        RecordKind.SUPPORTED,
        url_for("program.supported_form", supported_id=supported.id),
        url_for("program.supported_delete", supported_id=supported.id),
        url_for("program.supported_list"),
        **kwargs,
    )


@bp.get("/training/<int:training_id>")
@roles_required(Role.AGENCY_STAFF)
def training_detail(training_id: int):
    return _training_page(db.get_or_404(TrainingClass, training_id))


@bp.get("/cooperatives/<int:supported_id>")
@roles_required(Role.AGENCY_STAFF)
def supported_detail(supported_id: int):
    return _supported_page(db.get_or_404(SupportedCooperative, supported_id))


def _reassign(record, page, detail: str):
    """An admin gives `record` to another recording agency (or none): load, check, act, respond."""
    if not current_user.is_admin:
        abort(403)
    form = OwnerForm()
    if form.validate():
        with attempt(form) as outcome:
            changed = services.reassign_owner(record, _owner_agency(form.owner_agency_id.data), current_user)
        if outcome.done:
            if changed:
                flash(_("The recording agency is changed."), "success")
            else:
                flash(_("The record already belongs there; nothing is changed."), "info")
            return redirect(detail)
    return page(record, owner_form=form, status=400)


def _owner_agency(agency_id: int | None) -> Agency | None:
    if agency_id is None:
        return None
    agency = db.session.get(Agency, agency_id)
    if agency is None:
        raise Refused(_("Choose from the list."), field="owner_agency_id")
    return agency


@bp.post("/training/<int:training_id>/owner")
@roles_required(Role.AGENCY_STAFF)
def training_owner(training_id: int):
    training = db.get_or_404(TrainingClass, training_id)
    return _reassign(training, _training_page, url_for("program.training_detail", training_id=training.id))


@bp.post("/cooperatives/<int:supported_id>/owner")
@roles_required(Role.AGENCY_STAFF)
def supported_owner(supported_id: int):
    supported = db.get_or_404(SupportedCooperative, supported_id)
    return _reassign(supported, _supported_page, url_for("program.supported_detail", supported_id=supported.id))


# --- history of both kinds of record -------------------------------------------------------


def _history_filter() -> tuple[RecordKind | None, int | None]:
    """?kind=training|supported, and &record=<id> for one record (deleted ones too)."""
    kind, record = request.args.get("kind", ""), request.args.get("record", "")
    if kind and kind not in {k.value for k in RecordKind}:
        abort(400)
    if record and (not kind or not (record.isascii() and record.isdigit()) or len(record) > 12):
        abort(400)
    return (RecordKind(kind) if kind else None), (int(record) if record else None)


@bp.get("/history")
@roles_required(Role.AGENCY_STAFF)
def history():
    """Every creation, change and deletion of training classes and supported cooperatives,
    newest first; readable by the staff of both agencies and admins."""
    kind, record_id = _history_filter()
    query = select(ProgramRecordChange).options(
        selectinload(ProgramRecordChange.changed_by), selectinload(ProgramRecordChange.owner_agency)
    )
    if kind is not None:
        query = query.where(ProgramRecordChange.record_kind == kind)
    if record_id is not None:
        query = query.where(ProgramRecordChange.record_id == record_id)
    # Newest change first; the lines of one change (same time) in field order.
    query = query.order_by(ProgramRecordChange.changed_at.desc(), ProgramRecordChange.id)
    page = db.paginate(query, page=requested_page(), per_page=HISTORY_PER_PAGE, error_out=False)
    model = {RecordKind.TRAINING: TrainingClass, RecordKind.SUPPORTED: SupportedCooperative}.get(kind)
    record = db.session.get(model, record_id) if model is not None and record_id is not None else None
    return render_template(
        "program/history.html",
        page=page,
        kind=kind.value if kind else "",
        record_id=record_id,
        record=record,
        Kind=RecordKind,
    )
