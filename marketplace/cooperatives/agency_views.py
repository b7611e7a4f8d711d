"""The agency workspace: review registered cooperatives: approve, suspend, refuse, ask for
more documents, reopen a refused application.

Agency staff and admins only (roles_required); everyone else gets 403. Views call the
services and answer; the request commits after them (core.transaction), and the managers'
email, queued in that transaction, is sent after the commit.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from marketplace.accounts.models import Role
from marketplace.cooperatives import catalogue, services
from marketplace.cooperatives.access import send_document
from marketplace.cooperatives.forms import ApproveForm, RefuseForm, ReopenForm, RequestDocumentsForm, SuspendForm
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core.access import roles_required
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt
from marketplace.extensions import db

bp = Blueprint("agency", __name__, url_prefix="/agency")


def cooperative_or_404(slug: str) -> Cooperative:
    return db.first_or_404(select(Cooperative).where(Cooperative.slug == slug))


@bp.get("/")
@roles_required(Role.AGENCY_STAFF)
def index():
    rows = db.session.execute(select(Cooperative.status, func.count(Cooperative.id)).group_by(Cooperative.status)).all()
    counts = {status.value: 0 for status in CooperativeStatus}
    for status, count in rows:
        counts[CooperativeStatus(status).value] = count
    pending = db.session.scalars(
        select(Cooperative)
        .where(Cooperative.status == CooperativeStatus.PENDING)
        .order_by(Cooperative.created_at)
        .limit(10)
    ).all()
    return render_template(
        "agency/index.html",
        counts=counts,
        pending=pending,
        active_products=catalogue.figures().active_products(),
        category_count=catalogue.figures().category_count(),
    )


@bp.get("/cooperatives")
@roles_required(Role.AGENCY_STAFF)
def cooperatives():
    status_name = request.args.get("status", "pending")
    if status_name not in {s.value for s in CooperativeStatus} | {"all"}:
        abort(400)
    query = select(Cooperative).order_by(Cooperative.created_at.desc(), Cooperative.id.desc())
    if status_name != "all":
        query = query.where(Cooperative.status == CooperativeStatus(status_name))
    page = db.paginate(query, page=requested_page(), per_page=50, error_out=False)
    return render_template("agency/cooperatives.html", page=page, status=status_name)


@bp.get("/cooperatives/<slug>")
@roles_required(Role.AGENCY_STAFF)
def cooperative(slug: str):
    cooperative = cooperative_or_404(slug)
    return _detail(cooperative)


DECISION_FORMS = {
    "approve_form": ApproveForm,
    "suspend_form": SuspendForm,
    "refuse_form": RefuseForm,
    "request_form": RequestDocumentsForm,
    "reopen_form": ReopenForm,
}


def _detail(cooperative, **submitted):
    """The detail page with every decision form: empty ones, and the submitted one with its errors."""
    forms = {name: submitted.get(name) or form_class(formdata=None) for name, form_class in DECISION_FORMS.items()}
    product_count = catalogue.figures().product_count(cooperative)
    return render_template(
        "agency/cooperative.html",
        cooperative=cooperative,
        product_count=product_count,
        **forms,
    )


def _decide(slug: str, form_class, form_name: str, field: str, decide, done_message: str):
    """One staff decision on a cooperative: check the form (shown again on the page when
    wrong), apply `decide(cooperative, staff, the form's text field)` and queue the managers' email in the same
    transaction (sent after the commit), then back to the cooperative's page."""
    cooperative = cooperative_or_404(slug)
    form = form_class()
    if not form.validate():
        return _detail(cooperative, **{form_name: form})
    with attempt() as outcome:
        decide(cooperative, current_user, getattr(form, field).data or "")
        services.notify_managers_of_status(cooperative)
    if outcome.done:
        flash(done_message % {"name": cooperative.name}, "success")
    return redirect(url_for("agency.cooperative", slug=slug))


@bp.get("/cooperatives/<slug>/documents/<int:document_id>")
@roles_required(Role.AGENCY_STAFF)
def document(slug: str, document_id: int):
    """A file the managers sent with an answer to a request for documents."""
    return send_document(cooperative_or_404(slug), document_id)


@bp.post("/cooperatives/<slug>/approve")
@roles_required(Role.AGENCY_STAFF)
def approve(slug: str):
    return _decide(
        slug,
        ApproveForm,
        "approve_form",
        "note",
        services.approve_cooperative,
        _("%(name)s is approved; its managers were told by email."),
    )


@bp.post("/cooperatives/<slug>/suspend")
@roles_required(Role.AGENCY_STAFF)
def suspend(slug: str):
    return _decide(
        slug,
        SuspendForm,
        "suspend_form",
        "reason",
        services.suspend_cooperative,
        _("%(name)s is suspended; its managers were told by email."),
    )


@bp.post("/cooperatives/<slug>/refuse")
@roles_required(Role.AGENCY_STAFF)
def refuse(slug: str):
    return _decide(
        slug,
        RefuseForm,
        "refuse_form",
        "refusal",
        services.refuse_cooperative,
        _("The application of %(name)s is refused; its managers were told by email."),
    )


@bp.post("/cooperatives/<slug>/request-documents")
@roles_required(Role.AGENCY_STAFF)
def request_documents(slug: str):
    return _decide(
        slug,
        RequestDocumentsForm,
        "request_form",
        "documents_request",
        services.request_documents,
        _("%(name)s is asked for more documents; its managers were told by email."),
    )


@bp.post("/cooperatives/<slug>/reopen")
@roles_required(Role.AGENCY_STAFF)
def reopen(slug: str):
    return _decide(
        slug,
        ReopenForm,
        "reopen_form",
        "reopen_reason",
        services.reopen_cooperative,
        _("The application of %(name)s is reopened; its managers were told by email."),
    )
