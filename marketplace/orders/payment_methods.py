"""The payment methods a checkout offers, each declared once, in a module of its own.

A method is an instance of a `PaymentMethodType` subclass, registered with the app by the
package that owns it, from its `init_app` (called by create_app): cash on delivery by
`init_app` below (orders.cash_on_delivery), bank transfer and card by `payments.init_app`.
The checkout lists them in the order they were registered, the first one chosen.

Whatever differs between methods is declared on the method, and the rest of the code asks
it instead of naming a method: place_order (is it offered to these cooperatives, the
payment status an order starts with, does it expire unpaid), the status changes (what
cancelling a part does, does delivery collect the money, may the cooperative record the
payment by hand), the checkout (what to do once placed), the API and its OpenAPI document
(the codes, what each adds to an order's payment) and the templates (the partials it adds
to the order page, the checkout, the confirmation email and the packing slip).

An order stores its method's code (Order.payment_method). An order whose method is no
longer registered still shows, under its code, and is handled by the defaults below.
"""

from __future__ import annotations

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from marketplace.core.errors import Refused
from marketplace.orders.models import PaymentStatus

EXTENSION = "payment_methods"


class PaymentUnavailable(Refused):
    """The method's provider could not be reached, or refused: nothing was changed, and
    the same request may succeed later (the API answers 503)."""


class PaymentMethodType:
    """A payment method. Subclasses set what differs from these defaults (cash on delivery
    is the plainest: see orders.cash_on_delivery)."""

    code: str = ""  # stored in Order.payment_method; at most 32 ASCII characters
    label = ""  # what people read (a lazy_gettext string)
    # For the OpenAPI document, in English: when the method is offered ("cod always").
    api_availability: str = ""
    # JSON schemas of the fields the method adds to an order's payment in the API (see
    # api_fields and start), and of the components those refer to.
    api_properties: dict = {}
    api_schemas: dict = {}

    status_on_placing = PaymentStatus.UNPAID
    # Paid when ordering (card): the cooperatives confirm only once it is paid, and an order
    # still unpaid after ORDER_PAYMENT_TIMEOUT_MINUTES expires, giving its stock back.
    paid_in_advance = False
    awaiting_payment = _l("This order is waiting for its payment.")
    # The money is collected on delivery: marking a part delivered records its payment.
    paid_on_delivery = False
    # The cooperative records each part's payment when it arrives (cash, a transfer), and the
    # order is paid once every live part is. False: the payment records itself (card: Stripe),
    # and recording it by hand is refused with `not_recorded_by_hand`.
    recorded_by_hand = True
    not_recorded_by_hand = _l("This payment is recorded automatically, not by hand.")
    mark_received = _l("Mark payment received")  # the cooperative's button
    # Partials the method adds, by slot; each is included with the page's context, plus
    # `payment` (what details() returned) and `payment_method` (this method):
    #   order_head, order_summary, order_part   the customer's order page: in <head>, above
    #                                           the order's details, under each part
    #   checkout_option                         the method's choice on the checkout (`option`)
    #   confirmation_part                       under each part of the confirmation email
    #                                           (the name without .html/.txt: both are used)
    #   packing_slip                            what to collect, on the cooperative's slip
    templates: dict[str, str] = {}

    def available(self, cooperatives) -> bool:
        """Offered for an order from these cooperatives (all of them, at once)."""
        return True

    def start(self, order) -> dict:
        """Right after the checkout (or the API) placed the order, in its transaction: begin
        the payment (card: a Stripe PaymentIntent). Returns what the API's answer adds to the
        order's payment. Raises PaymentUnavailable (nothing is placed then)."""
        return {}

    def next_url(self, order) -> str | None:
        """Where the web checkout sends the customer once the order is placed (None: the order
        page, thanking them)."""
        return None

    def details(self, order) -> dict:
        """What the method's partials show for this order, computed once per page or email."""
        return {}

    def api_fields(self, order) -> dict:
        """What the API adds to the order's payment whenever it shows the order."""
        return {}

    def part_cancelled(self, part) -> None:
        """A part was cancelled (stock already given back): card refunds what was paid for it.
        May raise Refused, which keeps the part as it was."""

    def may_expire(self, order) -> bool:
        """An unpaid paid_in_advance order's time is up: True to expire it now (card: once its
        PaymentIntent is cancelled); False leaves it for a later run."""
        return True

    def cancellation_note(self, part) -> str | None:
        """A sentence for the customer's email about a cancelled part (card: the refund)."""
        return None


class UnknownMethod(PaymentMethodType):
    """An order's method that is no longer registered: shown by its code, offered to nobody."""

    def __init__(self, code: str):
        self.code = self.label = code

    def available(self, cooperatives) -> bool:
        return False


# --- the app's registry ---------------------------------------------------------------------------


def init_app(app: Flask) -> None:
    """This app's registry, holding cash on delivery, the method every order can use; the
    packages above orders register theirs after it (payments.init_app)."""
    from marketplace.orders.cash_on_delivery import CashOnDelivery

    app.extensions[EXTENSION] = {}
    register(app, CashOnDelivery())


def register(app: Flask, method: PaymentMethodType) -> None:
    methods = app.extensions[EXTENSION]
    if not method.code or len(method.code) > 32 or not method.code.isascii():
        raise ValueError(f"Payment method code {method.code!r}: 1 to 32 ASCII characters")
    if method.code in methods:
        raise ValueError(f"Payment method {method.code!r} is registered twice")
    methods[method.code] = method


def registered() -> list[PaymentMethodType]:
    """Every method of this app, in the checkout's order."""
    return list(current_app.extensions[EXTENSION].values())


def get(code: str | None) -> PaymentMethodType | None:
    """The registered method with this code, or None."""
    return current_app.extensions[EXTENSION].get(code) if isinstance(code, str) else None


def of(order) -> PaymentMethodType:
    """The order's method (an UnknownMethod when it is no longer registered)."""
    return get(order.payment_method) or UnknownMethod(order.payment_method)


def label(code: str) -> str:
    """The label of the method with this code (the code itself when it is not registered)."""
    method = get(code)
    return method.label if method is not None else code


def offered_for(cooperatives) -> list[PaymentMethodType]:
    """The methods an order from these cooperatives may be paid with, in the checkout's order."""
    cooperatives = list(cooperatives)
    return [method for method in registered() if method.available(cooperatives)]


def codes(where=None) -> list[str]:
    """The registered codes (of the methods for which `where(method)` is true, if given)."""
    return [method.code for method in registered() if where is None or where(method)]
