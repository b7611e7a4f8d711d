"""The cooperative workspace: registration, the managed cooperatives, dashboard and profile.

Every view: load, check access, act, respond; the request commits after it when the answer
is a success (core.transaction). `managed_cooperative()` (cooperatives.access) is the access
check; a manager reaches only their own cooperatives, anything else is 403.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from marketplace.cooperatives import services
from marketplace.cooperatives.access import SuspendedCooperative, managed_cooperative, send_document
from marketplace.cooperatives.forms import AnswerForm, CooperativeForm, ProfileForm
from marketplace.cooperatives.logos import check_may_add_logo, save_cooperative_logo
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core.errors import Refused
from marketplace.core.images import ImageRejected
from marketplace.core.text import normalize_name
from marketplace.core.transaction import attempt, roll_back
from marketplace.extensions import db

bp = Blueprint("workspace", __name__, url_prefix="/workspace")


@bp.app_errorhandler(SuspendedCooperative)
def refuse_suspended(error: SuspendedCooperative):
    roll_back()  # a refusal, although answered with a redirect (which would commit)
    if error.cooperative.status == CooperativeStatus.REFUSED:
        message = _("This cooperative's application is refused: you can look at its records but not change them.")
    else:
        message = _(
            "This cooperative is suspended: you can look at its records but not change them. Contact the agency."
        )
    flash(message, "error")
    return redirect(url_for("workspace.dashboard", slug=error.cooperative.slug))


@bp.get("/")
@login_required
def index():
    search = request.args.get("q", "").strip()[:100]
    if current_user.is_admin:
        cooperatives = db.session.scalars(select(Cooperative).order_by(Cooperative.name)).all()
        if search:
            # Filtered here: names are compared without accents ("ga doi" finds "Gà đồi"),
            # which SQLite cannot do, and there are hundreds of cooperatives, not millions.
            wanted = normalize_name(search)
            cooperatives = [
                c
                for c in cooperatives
                if wanted in normalize_name(c.name)
                or wanted in c.slug
                or wanted in normalize_name(c.registration_code or "")
            ]
    else:
        cooperatives = current_user.cooperatives
    return render_template("workspace/index.html", cooperatives=cooperatives, search=search)


@bp.route("/register", methods=["GET", "POST"])
@login_required
def register():
    form = CooperativeForm()
    if form.validate_on_submit():
        with attempt() as outcome:
            cooperative = services.register_cooperative(current_user, form.profile_data())
            services.notify_agency_of_registration(cooperative)  # queued, sent after the commit
        if outcome.done:
            flash(
                _(
                    "%(name)s is registered. An agency will review it; until then it is not shown in the shop.",
                    name=cooperative.name,
                ),
                "success",
            )
            return redirect(url_for("workspace.dashboard", slug=cooperative.slug))
    return render_template("workspace/register.html", form=form)


@bp.get("/<slug>/")
@login_required
def dashboard(slug: str):
    cooperative = managed_cooperative(slug)
    return _dashboard(cooperative, AnswerForm(formdata=None))


def _dashboard(cooperative, answer_form):
    summary = services.dashboard(cooperative)
    return render_template(
        "workspace/dashboard.html",
        cooperative=cooperative,
        summary=summary,
        can_edit=services.can_edit(current_user, cooperative),
        statuses=CooperativeStatus,
        documents_request=services.pending_request(cooperative),
        answer_form=answer_form,
    )


@bp.post("/<slug>/answer")
@login_required
def answer(slug: str):
    """A manager answers the agency's request for documents: the cooperative is pending again."""
    cooperative = managed_cooperative(slug)
    form = AnswerForm()
    if form.validate():
        uploads = [(f.stream, f.filename) for f in form.documents.data or [] if getattr(f, "filename", "")]
        stored = []
        try:
            with attempt(form) as outcome:  # a refused file is shown at the form and nothing changes
                documents = services.check_documents(uploads)
                stored = services.answer_request(cooperative, current_user, form.answer.data, documents)
                services.notify_agency_of_answer(cooperative)  # queued in this transaction, sent after the commit
        except Exception:  # rolled back by attempt: the written files go too
            services.discard_documents(stored)
            raise
        if outcome.done:
            flash(_("Your answer is sent; the agency will review the cooperative again."), "success")
            return redirect(url_for("workspace.dashboard", slug=cooperative.slug))
    return _dashboard(cooperative, form), 400


@bp.get("/<slug>/documents/<int:document_id>")
@login_required
def document(slug: str, document_id: int):
    """A file the managers sent with an answer to the agency (its managers and admins)."""
    cooperative = managed_cooperative(slug)
    return send_document(cooperative, document_id)


@bp.route("/<slug>/profile", methods=["GET", "POST"])
@login_required
def profile(slug: str):
    cooperative = managed_cooperative(slug, edit=request.method == "POST")
    form = ProfileForm(obj=cooperative, cooperative=cooperative)
    if form.validate_on_submit():
        with attempt(form) as outcome:
            services.update_cooperative(cooperative, form.profile_data())
            services.update_payment_settings(cooperative, form.settings_data())
            if getattr(form.logo.data, "filename", ""):
                check_may_add_logo(cooperative, current_user)
                try:
                    save_cooperative_logo(cooperative, form.logo.data.stream)
                except ImageRejected as error:
                    raise Refused(error.message, field="logo") from None
        if outcome.done:
            flash(_("The profile is saved."), "success")
            return redirect(url_for("workspace.profile", slug=cooperative.slug))
    return render_template(
        "workspace/profile.html",
        form=form,
        cooperative=cooperative,
        can_edit=services.can_edit(current_user, cooperative),
    )
