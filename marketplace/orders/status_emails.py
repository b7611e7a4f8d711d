"""Telling the customer, by email, that a cooperative moved their order along.

Called after the change is committed. A failing mail server is logged, never shown
to the cooperative as an error: the change itself has happened.
"""
from __future__ import annotations

import logging

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.routing import BuildError

from marketplace.core.mail import send_email
from marketplace.orders.models import OrderPart, OrderStatusChange, PartStatus, PaymentMethod
from marketplace.orders.services import STATUS_LABELS

logger = logging.getLogger(__name__)


def order_link(order) -> str | None:
    """The customer's own page of the order (works for guests too: it carries the token)."""
    try:
        return url_for("orders.order_page", number=order.number, token=order.tracking_token, _external=True)
    except BuildError:
        logger.warning("No order page to link to from the status email of %s", order.number)
        return None


def notify_customer_of_status(part: OrderPart, change: OrderStatusChange) -> None:
    """After commit: email the order's contact about one status change of one part."""
    order = part.order
    # Cancelling a card-paid part refunded it (services.change_part_status -> refund_part).
    refunded = change.to_status == PartStatus.CANCELLED and order.payment_method == PaymentMethod.CARD and part.refunded_vnd > 0
    try:
        with force_locale("vi"):
            subject = _("Order %(number)s: %(status)s", number=order.number, status=str(STATUS_LABELS[change.to_status]).lower())
            send_email(
                order.contact_email, subject, "order_status_changed",
                order=order, part=part, change=change, status=change.to_status.value,
                status_label=STATUS_LABELS[change.to_status], link=order_link(order), refunded=refunded,
            )
    except Exception:  # noqa: BLE001 - the change is committed; a mail failure must not undo or hide it
        logger.exception("Could not email %s about order %s", order.contact_email, order.number)
