"""A cooperative applies for booths and keeps its booth's showcased products and fair prices.

Every route sits under /workspace/<coop_slug>/fairs and starts with the workspace's access
check (managed_cooperative): another cooperative's workspace is 403 and changes nothing.
Deciding on a booth is not here at all: only agency staff do that (fairs.agency_views).
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from marketplace.catalog.models import Product, ProductStatus
from marketplace.cooperatives.access import managed_cooperative
from marketplace.cooperatives.models import Cooperative
from marketplace.cooperatives.services import can_edit
from marketplace.core.models import utcnow
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.fairs import services
from marketplace.fairs.forms import KIND_LABELS, BoothForm
from marketplace.fairs.models import Booth, BoothProduct, BoothStatus, Fair, FairStatus

bp = Blueprint("fair_workspace", __name__, url_prefix="/workspace/<coop_slug>/fairs")
logger = logging.getLogger(__name__)


def active_products(cooperative: Cooperative) -> list[Product]:
    return list(
        db.session.scalars(
            sa.select(Product)
            .where(Product.cooperative_id == cooperative.id, Product.status == ProductStatus.ACTIVE)
            .order_by(Product.name, Product.id)
        )
    )


def fair_or_404(slug: str, *, public_only: bool = True) -> Fair:
    fair = db.first_or_404(sa.select(Fair).where(Fair.slug == slug))
    if public_only and not fair.is_public:
        abort(404)  # a draft is the agency's own business
    return fair


def own_booth(cooperative: Cooperative, fair: Fair) -> Booth:
    booth = services.booth_of(fair, cooperative)
    if booth is None:
        abort(404)
    return booth


@bp.get("/")
@login_required
def index(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    now = utcnow()
    booths = db.session.scalars(
        sa.select(Booth)
        .where(Booth.cooperative_id == cooperative.id)
        .join(Fair, Fair.id == Booth.fair_id)
        .options(selectinload(Booth.fair), selectinload(Booth.products))
        .order_by(Fair.starts_at.desc(), Booth.id.desc())
    ).all()
    applied = {booth.fair_id: booth for booth in booths}
    open_fairs = db.session.scalars(
        sa.select(Fair)
        .where(Fair.status == FairStatus.ACCEPTING)
        .where(sa.func.coalesce(Fair.applications_close_at, Fair.starts_at) > now)
        .order_by(Fair.starts_at, Fair.id)
    ).all()
    return render_template(
        "fairs/workspace/index.html",
        cooperative=cooperative,
        booths=booths,
        open_fairs=open_fairs,
        applied=applied,
        deadline=services.application_deadline,
        can_edit=can_edit(current_user, cooperative),
        kinds=KIND_LABELS,
        now=now,
    )


def booth_form_page(cooperative, fair, form, booth=None, status=200):
    return (
        render_template(
            "fairs/workspace/apply.html",
            cooperative=cooperative,
            fair=fair,
            form=form,
            booth=booth,
            deadline=services.application_deadline(fair),
            kinds=KIND_LABELS,
        ),
        status,
    )


@bp.route("/<fair_slug>/apply", methods=["GET", "POST"])
@login_required
def apply(coop_slug: str, fair_slug: str):
    cooperative = managed_cooperative(coop_slug, edit=request.method == "POST")
    fair = fair_or_404(fair_slug)
    existing = services.booth_of(fair, cooperative)
    if existing is not None and existing.status != BoothStatus.WITHDRAWN:
        return redirect(url_for("fair_workspace.booth", coop_slug=cooperative.slug, fair_slug=fair.slug))
    form = BoothForm(products=active_products(cooperative))
    if request.method == "GET":
        if not services.accepts_applications(fair):
            flash(_("This fair does not accept applications now."), "error")
            return redirect(url_for("fair_workspace.index", coop_slug=cooperative.slug))
        return booth_form_page(cooperative, fair, form)
    if form.validate_on_submit():
        try:
            with attempt(show=False) as outcome:  # the form places the refusal on its product rows
                services.apply_for_booth(fair, cooperative, form.chosen, form.message.data, current_user)
        except IntegrityError:  # rolled back by attempt
            # Two managers applied at the same moment: the first one counts.
            flash(_("Your cooperative has already applied for a booth at this fair."), "error")
            return redirect(url_for("fair_workspace.booth", coop_slug=cooperative.slug, fair_slug=fair.slug))
        if outcome.done:
            flash(_("Your application is sent. The organisers will decide and you will be told by email."), "success")
            return redirect(url_for("fair_workspace.booth", coop_slug=cooperative.slug, fair_slug=fair.slug))
        if not form.attach(outcome.refused):
            flash(outcome.refused.message, "error")
    return booth_form_page(cooperative, fair, form, status=422)


@bp.route("/<fair_slug>/booth", methods=["GET", "POST"])
@login_required
def booth(coop_slug: str, fair_slug: str):
    cooperative = managed_cooperative(coop_slug, edit=request.method == "POST")
    fair = fair_or_404(fair_slug)
    booth = own_booth(cooperative, fair)
    editable = services.can_change_booth(booth) and can_edit(current_user, cooperative)
    status = 200
    if request.method == "POST":
        form = BoothForm(products=active_products(cooperative))
        if form.validate_on_submit():
            with attempt(show=False) as outcome:  # the form places the refusal on its product rows
                services.update_booth(booth, form.chosen, form.message.data, current_user)
            if outcome.done:
                flash(_("The booth's products and fair prices are saved."), "success")
                return redirect(url_for("fair_workspace.booth", coop_slug=cooperative.slug, fair_slug=fair.slug))
            if not form.attach(outcome.refused):
                flash(outcome.refused.message, "error")
                return redirect(url_for("fair_workspace.booth", coop_slug=cooperative.slug, fair_slug=fair.slug))
        status = 422
    else:
        form = BoothForm(formdata=None, products=active_products(cooperative), booth=booth)
        form.message.data = booth.message
    showcased = db.session.scalars(
        sa.select(BoothProduct)
        .where(BoothProduct.booth_id == booth.id)
        .options(selectinload(BoothProduct.product))
        .order_by(BoothProduct.id)
    ).all()
    return (
        render_template(
            "fairs/workspace/booth.html",
            cooperative=cooperative,
            fair=fair,
            booth=booth,
            form=form,
            showcased=showcased,
            editable=editable,
            can_withdraw=services.can_withdraw(booth) and can_edit(current_user, cooperative),
            kinds=KIND_LABELS,
        ),
        status,
    )


@bp.post("/<fair_slug>/booth/withdraw")
@login_required
def withdraw(coop_slug: str, fair_slug: str):
    cooperative = managed_cooperative(coop_slug, edit=True)
    fair = fair_or_404(fair_slug)
    booth = own_booth(cooperative, fair)
    with attempt() as outcome:
        services.withdraw_booth(booth, current_user)
    if outcome.done:
        flash(_("Your application for %(fair)s is withdrawn.", fair=fair.name), "success")
    return redirect(url_for("fair_workspace.booth", coop_slug=cooperative.slug, fair_slug=fair.slug))
