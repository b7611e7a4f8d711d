"""A cooperative's managers see, read-only, the approved promotion activities their
cooperative took part in: /workspace/<coop_slug>/promotion. No evidence files here
(those are for agency staff), no other cooperative's figures."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from marketplace.cooperatives.access import managed_cooperative
from marketplace.extensions import db
from marketplace.promotion import services
from marketplace.promotion.models import (
    RESULT_FIELDS,
    ActivityStatus,
    PromotionActivity,
    promotion_cooperatives,
)

bp = Blueprint("promotion_workspace", __name__, url_prefix="/workspace/<coop_slug>/promotion")


@bp.context_processor
def labels():
    return {
        "type_labels": services.TYPE_LABELS,
        "status_labels": services.STATUS_LABELS,
        "field_labels": services.FIELD_LABELS,
        "result_fields": RESULT_FIELDS,
    }


def _activities_of(cooperative):
    return select(PromotionActivity).where(
        PromotionActivity.status == ActivityStatus.APPROVED,
        PromotionActivity.id.in_(
            select(promotion_cooperatives.c.activity_id).where(
                promotion_cooperatives.c.cooperative_id == cooperative.id
            )
        ),
    )


@bp.get("/")
@login_required
def index(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    activities = db.session.scalars(
        _activities_of(cooperative)
        .options(selectinload(PromotionActivity.agencies), selectinload(PromotionActivity.products))
        .order_by(PromotionActivity.start_date.desc(), PromotionActivity.id.desc())
    ).all()
    return render_template("promotion/workspace_index.html", cooperative=cooperative, activities=activities)


@bp.get("/<int:activity_id>")
@login_required
def detail(coop_slug: str, activity_id: int):
    cooperative = managed_cooperative(coop_slug)
    activity = db.session.scalar(_activities_of(cooperative).where(PromotionActivity.id == activity_id))
    if activity is None:
        abort(404)
    own_products = [p for p in activity.products if p.cooperative_id == cooperative.id]
    return render_template(
        "promotion/workspace_detail.html", cooperative=cooperative, activity=activity, own_products=own_products
    )
