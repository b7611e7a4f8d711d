"""What people read for an order's statuses, payment and delivery.

Lazy strings, shown in the reader's language. Templates (pages and emails) use them as
filters, registered once by init_app: `part.status|status_label`,
`order.payment_status|payment_status_label`, `order.payment_method|payment_method_label`,
`part|delivery_label`.
"""

from __future__ import annotations

from flask import Flask
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.orders import payment_methods
from marketplace.orders.models import DeliveryMethod, OrderPart, PartStatus, PaymentStatus

STATUS_LABELS = {
    PartStatus.PLACED: _l("Placed"),
    PartStatus.CONFIRMED: _l("Confirmed"),
    PartStatus.SHIPPED: _l("Shipped"),
    PartStatus.DELIVERED: _l("Delivered"),
    PartStatus.COMPLETED: _l("Completed"),
    PartStatus.CANCELLED: _l("Cancelled"),
}
PAYMENT_STATUS_LABELS = {
    PaymentStatus.UNPAID: _l("Unpaid"),
    PaymentStatus.PAID: _l("Paid"),
    PaymentStatus.PARTIALLY_REFUNDED: _l("Partially refunded"),
    PaymentStatus.REFUNDED: _l("Refunded"),
}
DELIVERY_LABELS = {
    DeliveryMethod.HOME: _l("Home delivery"),
    DeliveryMethod.PICKUP: _l("Pickup at the cooperative"),
    DeliveryMethod.FAIR_BOOTH: _l("Pickup at the fair booth"),
}


def status_label(status: PartStatus):
    return STATUS_LABELS[status]


def payment_status_label(status: PaymentStatus):
    return PAYMENT_STATUS_LABELS[status]


def payment_method_label(code: str):
    """The label of a payment method (orders.payment_methods), by its code."""
    return payment_methods.label(code)


def booth_pickup_label(booth) -> str:
    """ "Pickup at booth A12, <fair name>": the delivery option of a booth (fair loaded)."""
    return _("Pickup at booth %(number)s, %(fair)s", number=booth.number or "", fair=booth.fair.name)


def delivery_label(part: OrderPart) -> str:
    """How a part is delivered, naming the booth and fair of a booth pickup."""
    if part.delivery_method == DeliveryMethod.FAIR_BOOTH and part.booth is not None:
        return booth_pickup_label(part.booth)
    return str(DELIVERY_LABELS[part.delivery_method])


def init_app(app: Flask) -> None:
    for function in (status_label, payment_status_label, payment_method_label, delivery_label):
        app.add_template_filter(function)
