"""The emails of a new order: a confirmation to the customer, a notice to each cooperative.

Called after the order is committed. A failing mail server is logged, never turned into
an error page: the order stands and is shown to the customer.
"""
from __future__ import annotations

import logging

from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from marketplace.core.mail import send_email
from marketplace.orders import services
from marketplace.orders.models import Order, OrderPart, PartStatus, PaymentMethod

logger = logging.getLogger(__name__)


def transfer_for(part: OrderPart):
    """The VietQR transfer of a part (None when the VietQR module is not available)."""
    try:
        from marketplace.payments.vietqr import transfer_for_part
    except ImportError:
        return None
    try:
        return transfer_for_part(part)
    except Exception:
        logger.exception("No VietQR transfer for order %s part %s", part.order.number, part.id)
        return None


def transfers_of(order: Order) -> dict[int, object]:
    """{part id: transfer} for the parts still to be paid by bank transfer."""
    if order.payment_method != PaymentMethod.BANK_TRANSFER:
        return {}
    return {
        part.id: transfer_for(part)
        for part in order.parts
        if part.status != PartStatus.CANCELLED and part.payment_received_at is None
    }


def cooperative_recipients(cooperative) -> list[str]:
    """The cooperative's own email, else its managers'."""
    if cooperative.email:
        return [cooperative.email]
    return sorted({m.email for m in cooperative.managers if m.email})


def order_placed(order: Order) -> None:
    """After commit: confirm the order to its contact and tell each cooperative of its part."""
    link = url_for("orders.order_page", number=order.number, token=order.tracking_token, _external=True)
    with force_locale("vi"):
        _send(order.contact_email, _("Your order %(number)s", number=order.number), "order_confirmation",
              order=order, link=link, transfers=transfers_of(order), labels=services)
        for part in order.parts:
            workspace = url_for("order_workspace.part", coop_slug=part.cooperative.slug, part_id=part.id, _external=True)
            for address in cooperative_recipients(part.cooperative):
                _send(address, _("New order %(number)s", number=order.number), "order_new_part",
                      order=order, part=part, link=workspace, labels=services)


def _send(to: str, subject: str, template: str, **context) -> None:
    try:
        send_email(to, subject, template, **context)
    except Exception:
        logger.exception("Could not send %s to %s", template, to)
