"""The emails of a new order: a confirmation to the customer, a notice to each cooperative.

`order_placed` queues them in the order's own transaction (marketplace.mail.queue); they
are rendered and sent after the commit, by whoever MAIL_QUEUE names. A failing mail
server is retried by the queue, never turned into an error page: the order stands.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from marketplace.cooperatives.models import Cooperative
from marketplace.core.mail import send_email
from marketplace.extensions import db
from marketplace.mail.queue import Gone, queue_email, register
from marketplace.orders import payment_methods
from marketplace.orders.models import Order, OrderPart

logger = logging.getLogger(__name__)


def cooperative_recipients(cooperative) -> list[str]:
    """The cooperative's own email, else its managers'."""
    if cooperative.email:
        return [cooperative.email]
    return sorted({m.email for m in cooperative.managers if m.email})


def order_placed(order: Order) -> None:
    """In the order's transaction: queue the customer's confirmation (when they gave an email:
    it is optional, the phone is the contact) and each cooperative's notice (the mail goes out
    after the commit; see marketplace.mail.queue)."""
    if order.id is None or any(part.id is None for part in order.parts):
        db.session.flush()
    if order.contact_email:
        queue_email(CONFIRMATION, order.id)
    for part in order.parts:
        queue_email(NEW_PART, part.id)


def send_confirmation(order_id: int) -> None:
    """Queue handler: the confirmation of an order to its contact."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise Gone(f"order {order_id} no longer exists")
    if not order.contact_email:  # placed without an email: nobody to send it to
        return
    link = url_for("orders.order_page", number=order.number, token=order.tracking_token, _external=True)
    method = payment_methods.of(order)
    with force_locale("vi"):
        send_email(
            order.contact_email,
            _("Your order %(number)s", number=order.number),
            "order_confirmation",
            order=order,
            link=link,
            payment_method=method,
            payment=method.details(order),
        )


def send_new_part(part_id: int) -> None:
    """Queue handler: tell a cooperative (its own address, else its managers) of its part of a new order."""
    part = db.session.get(OrderPart, part_id)
    if part is None:
        raise Gone(f"order part {part_id} no longer exists")
    order = part.order
    workspace = url_for("order_workspace.part", coop_slug=part.cooperative.slug, part_id=part.id, _external=True)
    with force_locale("vi"):
        for address in cooperative_recipients(part.cooperative):
            send_email(
                address,
                _("New order %(number)s", number=order.number),
                "order_new_part",
                order=order,
                part=part,
                link=workspace,
            )


def preload_orders(order_ids: list[int]) -> list:
    """A batch of confirmations: the orders with their parts, cooperatives and items, in three queries."""
    return db.session.scalars(
        sa.select(Order)
        .where(Order.id.in_(order_ids))
        .options(selectinload(Order.parts).options(joinedload(OrderPart.cooperative), selectinload(OrderPart.items)))
    ).all()


def preload_parts(part_ids: list[int]) -> list:
    """A batch of cooperative notices: the parts with their orders, cooperatives (and managers) and items."""
    return db.session.scalars(
        sa.select(OrderPart)
        .where(OrderPart.id.in_(part_ids))
        .options(
            joinedload(OrderPart.order),
            selectinload(OrderPart.items),
            joinedload(OrderPart.cooperative).selectinload(Cooperative.managers),
        )
    ).all()


CONFIRMATION = "order_confirmation"
NEW_PART = "order_new_part"
register(CONFIRMATION, send_confirmation, preload_orders)
register(NEW_PART, send_new_part, preload_parts)
