"""Admin page for the programme's targets at /admin/targets: value and description of each
target per commitment, metric and year; add one for a year or the whole programme. Admins only.
The request commits after the view when the answer is a success (core.transaction)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from marketplace.core.access import roles_required
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.program import targets
from marketplace.program.forms import NewTargetForm, TargetForm
from marketplace.program.models import ProgramTarget

bp = Blueprint("program_admin", __name__, url_prefix="/admin/targets")


@bp.before_request
@roles_required("admin")
def require_admin():
    """Anonymous -> sign in, anyone but an admin -> 403."""
    return


@bp.context_processor
def labels():
    return {
        "metric_labels": targets.METRIC_LABELS,
        "commitment_labels": targets.COMMITMENT_LABELS,
        "target_description": targets.description_text,
    }


@bp.get("/")
def index():
    targets.ensure_default_targets()  # committed with the page
    return render_template("admin/targets.html", targets=targets.all_targets())


@bp.route("/<int:target_id>/edit", methods=["GET", "POST"])
def edit(target_id: int):
    target = db.get_or_404(ProgramTarget, target_id)
    if request.method == "GET":
        form = TargetForm(
            formdata=None, data={"value": target.value, "description": targets.description_text(target.description)}
        )
        return render_template("admin/targets_form.html", form=form, target=target)
    form = TargetForm()
    if form.validate():
        with attempt(form) as outcome:
            targets.update_target(target, form.value.data, form.description.data, current_user)
        if outcome.done:
            flash(_("The target is saved."), "success")
            return redirect(url_for("program_admin.index"))
    return render_template("admin/targets_form.html", form=form, target=target), 400


@bp.route("/new", methods=["GET", "POST"])
def new():
    if request.method == "GET":
        return render_template("admin/targets_form.html", form=NewTargetForm(formdata=None), target=None)
    form = NewTargetForm()
    if form.validate():
        with attempt(form) as outcome:
            targets.create_target(
                form.metric.data, form.year.data, form.value.data, form.description.data, current_user
            )
        if outcome.done:
            flash(_("The target is saved."), "success")
            return redirect(url_for("program_admin.index"))
    return render_template("admin/targets_form.html", form=form, target=None), 400
