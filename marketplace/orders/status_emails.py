"""Telling the customer, by email, that a cooperative moved their order along.

Queued in the change's own transaction and sent after the commit (marketplace.mail.queue).
A failing mail server is retried by the queue, never shown to the cooperative as an
error: the change itself has happened.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from marketplace.core.mail import send_email
from marketplace.extensions import db
from marketplace.mail.queue import Gone, queue_email, register
from marketplace.orders import payment_methods
from marketplace.orders.labels import STATUS_LABELS
from marketplace.orders.models import OrderPart, OrderStatusChange, PartStatus

logger = logging.getLogger(__name__)


def order_link(order) -> str:
    """The customer's own page of the order (works for guests too: it carries the token)."""
    return url_for("orders.order_page", number=order.number, token=order.tracking_token, _external=True)


def notify_customer_of_status(part: OrderPart, change: OrderStatusChange) -> None:
    """In the change's transaction: queue the email telling the order's contact of one status
    change of one part (sent after the commit; see marketplace.mail.queue). An order placed
    without an email (the phone is its contact) gets none."""
    if not part.order.contact_email:
        return
    if change.id is None:
        db.session.flush()
    queue_email(STATUS_CHANGED, change.id)


def send_status_email(change_id: int) -> None:
    """Queue handler: the email about one recorded status change (its own status, even if
    the part has moved on since)."""
    change = db.session.get(OrderStatusChange, change_id)
    if change is None:
        raise Gone(f"order status change {change_id} no longer exists")
    part = change.part
    order = part.order
    if not order.contact_email:
        return
    # What cancelling did with the payment (card: refunded it; services.change_part_status).
    note = payment_methods.of(order).cancellation_note(part) if change.to_status == PartStatus.CANCELLED else None
    with force_locale("vi"):
        subject = _(
            "Order %(number)s: %(status)s", number=order.number, status=str(STATUS_LABELS[change.to_status]).lower()
        )
        send_email(
            order.contact_email,
            subject,
            "order_status_changed",
            order=order,
            part=part,
            change=change,
            status=change.to_status.value,
            status_label=STATUS_LABELS[change.to_status],
            link=order_link(order),
            cancellation_note=note,
        )


def preload_changes(change_ids: list[int]) -> list:
    """A batch of status emails: the changes with their parts, orders, cooperatives and items."""
    return db.session.scalars(
        sa.select(OrderStatusChange)
        .where(OrderStatusChange.id.in_(change_ids))
        .options(
            joinedload(OrderStatusChange.part).options(
                joinedload(OrderPart.order),
                joinedload(OrderPart.cooperative),
                selectinload(OrderPart.items),
            )
        )
    ).all()


STATUS_CHANGED = "order_status_changed"
register(STATUS_CHANGED, send_status_email, preload_changes)
