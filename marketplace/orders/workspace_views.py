"""A cooperative's orders in its workspace: list, part detail, status actions, packing slips.

Every route sits under /workspace/<coop_slug>/orders and starts with the workspace's
access check (managed_cooperative): another cooperative's workspace is 403, and a part
of another cooperative's order is simply not found (404) here. Each action is one
transaction; the customer's email goes out only after it committed.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import selectinload

from marketplace.cooperatives.access import managed_cooperative
from marketplace.cooperatives.models import Cooperative
from marketplace.cooperatives.services import can_edit
from marketplace.core.paging import requested_page
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.orders import expiry, payment_methods, services
from marketplace.orders.labels import STATUS_LABELS
from marketplace.orders.models import OrderPart, PartStatus
from marketplace.orders.status_emails import notify_customer_of_status

bp = Blueprint("order_workspace", __name__, url_prefix="/workspace/<coop_slug>/orders")
bp.before_app_request(expiry.expire_due_orders_now_and_then)
logger = logging.getLogger(__name__)

PER_PAGE = 25
# What each status button says; services.allowed_next decides which a part offers.
ACTIONS = {
    PartStatus.CONFIRMED: _l("Confirm"),
    PartStatus.SHIPPED: _l("Mark as shipped"),
    PartStatus.DELIVERED: _l("Mark as delivered"),
    PartStatus.COMPLETED: _l("Mark as completed"),
    PartStatus.CANCELLED: _l("Cancel the order"),
}


def own_part(cooperative: Cooperative, part_id: int) -> OrderPart:
    """A part of this cooperative; another cooperative's part is not found here."""
    part = db.session.get(OrderPart, part_id)
    if part is None or part.cooperative_id != cooperative.id:
        abort(404)
    return part


def status_counts(cooperative: Cooperative) -> dict[PartStatus, int]:
    rows = db.session.execute(
        sa.select(OrderPart.status, sa.func.count(OrderPart.id))
        .where(OrderPart.cooperative_id == cooperative.id)
        .group_by(OrderPart.status)
    ).all()
    counts = {status: 0 for status in PartStatus}
    counts.update({status: count for status, count in rows})
    return counts


def can_record_payment(part: OrderPart) -> bool:
    return (
        payment_methods.of(part.order).recorded_by_hand
        and part.status != PartStatus.CANCELLED
        and part.payment_received_at is None
    )


@bp.get("/")
@login_required
def index(coop_slug: str):
    cooperative = managed_cooperative(coop_slug)
    status_name = request.args.get("status", "")
    if status_name and status_name not in {s.value for s in PartStatus}:
        abort(400)
    status = PartStatus(status_name) if status_name else None
    query = services.parts_of_cooperative(cooperative, status).options(
        selectinload(OrderPart.order), selectinload(OrderPart.items)
    )
    page = db.paginate(query, page=requested_page(), per_page=PER_PAGE, error_out=False)
    counts = status_counts(cooperative)
    return render_template(
        "order_workspace/index.html",
        cooperative=cooperative,
        page=page,
        status=status_name,
        counts=counts,
        total=sum(counts.values()),
    )


def detail_page(cooperative: Cooperative, part: OrderPart, reason_error: str | None = None, reason: str = ""):
    return render_template(
        "order_workspace/part.html",
        cooperative=cooperative,
        part=part,
        order=part.order,
        actions=[(target, ACTIONS[target]) for target in services.allowed_next(part, "cooperative")]
        if can_edit(current_user, cooperative)
        else [],
        can_record_payment=can_record_payment(part) and can_edit(current_user, cooperative),
        reason_error=reason_error,
        reason=reason,
        payment_method=payment_methods.of(part.order),
    )


@bp.get("/<int:part_id>")
@login_required
def part(coop_slug: str, part_id: int):
    cooperative = managed_cooperative(coop_slug)
    return detail_page(cooperative, own_part(cooperative, part_id))


@bp.post("/<int:part_id>/status")
@login_required
def change_status(coop_slug: str, part_id: int):
    return _move(coop_slug, part_id, request.form.get("status", ""))


@bp.post("/<int:part_id>/cancel")
@login_required
def cancel(coop_slug: str, part_id: int):
    return _move(coop_slug, part_id, PartStatus.CANCELLED)


def _move(coop_slug: str, part_id: int, target):
    cooperative = managed_cooperative(coop_slug, edit=True)
    part = own_part(cooperative, part_id)
    reason = request.form.get("reason", "")
    with attempt(show=False) as outcome:
        change = services.change_part_status(part, target, by=current_user, actor="cooperative", reason=reason)
        notify_customer_of_status(part, change)  # queued in this transaction, sent after the commit
    if outcome.refused and outcome.refused.field == "reason":
        # The reason box keeps what was typed, with the message next to it.
        return detail_page(cooperative, part, reason_error=outcome.refused.message, reason=reason[:1000]), 422
    if outcome.refused:
        flash(outcome.refused.message, "error")
    else:
        flash(
            _(
                "Order %(number)s is now %(status)s. The customer was told by email.",
                number=part.order.number,
                status=STATUS_LABELS[part.status].lower(),
            ),
            "success",
        )
    return redirect(url_for("order_workspace.part", coop_slug=cooperative.slug, part_id=part.id))


@bp.post("/<int:part_id>/payment-received")
@login_required
def payment_received(coop_slug: str, part_id: int):
    cooperative = managed_cooperative(coop_slug, edit=True)
    part = own_part(cooperative, part_id)
    with attempt() as outcome:
        services.mark_payment_received(part, by=current_user)
    if outcome.done:
        logger.info("Payment for order %s part %s recorded by user %s", part.order.number, part.id, current_user.id)
        flash(_("The payment for order %(number)s is recorded.", number=part.order.number), "success")
    return redirect(url_for("order_workspace.part", coop_slug=cooperative.slug, part_id=part.id))


@bp.get("/<int:part_id>/packing-slip")
@login_required
def packing_slip(coop_slug: str, part_id: int):
    cooperative = managed_cooperative(coop_slug)
    part = own_part(cooperative, part_id)
    return render_template(
        "order_workspace/packing_slip.html",
        cooperative=cooperative,
        part=part,
        order=part.order,
        payment_method=payment_methods.of(part.order),
    )
