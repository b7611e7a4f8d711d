"""Cash on delivery: offered for every order; each cooperative collects its part's money when
it delivers (marking the part delivered records the payment), or records it by hand."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from marketplace.orders.payment_methods import PaymentMethodType


class CashOnDelivery(PaymentMethodType):
    code = "cod"
    label = _l("Cash on delivery")
    api_availability = "cod always"
    paid_on_delivery = True
    mark_received = _l("Mark cash received")
    templates = {"packing_slip": "orders/cash_on_delivery/packing_slip.html"}
