"""Forms of the customer side: checkout and the guest's order lookup.

The checkout form only checks what a browser could get wrong on its own (missing or
oversized values); the rules of an order (a Vietnamese mobile number, a ward of the
province, a payment method on offer) are services.place_order's, whose Refused names
the field, which these forms share names with.
"""

from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Email, InputRequired, Length, Optional

from marketplace.core.forms import optional_int, place_choices, strip
from marketplace.orders import services
from marketplace.orders.payment_methods import PaymentMethodType


class CheckoutForm(FlaskForm):
    name = StringField(
        _l("Full name"),
        filters=[strip],
        validators=[InputRequired(_l("Enter your full name.")), Length(max=120, message=_l("The name is too long."))],
        render_kw={"autocomplete": "name", "maxlength": 120},
    )
    phone = StringField(
        _l("Mobile phone"),
        filters=[strip],
        validators=[InputRequired(_l("Enter a Vietnamese mobile number, such as 0912 345 678.")), Length(max=30)],
        render_kw={"autocomplete": "tel", "type": "tel", "inputmode": "tel"},
    )
    # Optional: the phone is the contact. Checked only when given, by email-validator (its
    # length too), without asking DNS: nothing here calls the internet.
    email = StringField(
        _l("Email (optional)"),
        filters=[strip],
        validators=[Optional(), Email(_l("Enter a valid email address."), check_deliverability=False)],
        render_kw={"autocomplete": "email", "type": "email", "maxlength": 254},
    )
    province_code = SelectField(
        _l("Province or city"),
        coerce=optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose a province."))],
    )
    ward_code = SelectField(
        _l("Ward or commune"),
        coerce=optional_int,
        validate_choice=False,
        validators=[InputRequired(_l("Choose a ward or commune of that province."))],
    )
    street = StringField(
        _l("Street address"),
        filters=[strip],
        validators=[
            InputRequired(_l("Enter the street address.")),
            Length(max=200, message=_l("The street address is too long.")),
        ],
        render_kw={"autocomplete": "street-address", "maxlength": 200},
    )
    payment_method = RadioField(
        _l("Payment method"),
        validate_choice=False,
        validators=[InputRequired(_l("Choose a payment method."))],
    )
    note = TextAreaField(
        _l("Note for the cooperatives (optional)"),
        filters=[strip],
        validators=[Length(max=1000, message=_l("The note is too long."))],
        render_kw={"rows": 3, "maxlength": 1000},
    )
    # A new random key each time the page is shown: the same form sent twice (a double click,
    # back and send) places one order (views.checkout, orders.idempotency).
    idempotency_key = HiddenField(default=lambda: secrets.token_urlsafe(24))

    def __init__(self, *args, payment_methods: list[PaymentMethodType] = (), **kwargs):
        super().__init__(*args, **kwargs)
        place_choices(self)
        self.payment_method.choices = [(method.code, method.label) for method in payment_methods]
        if not self.payment_method.data and payment_methods:
            self.payment_method.data = payment_methods[0].code

    def checkout(self, delivery: dict[int, str]) -> services.Checkout:
        return services.Checkout(
            name=self.name.data or "",
            phone=self.phone.data or "",
            email=self.email.data or "",
            province_code=self.province_code.data,
            ward_code=self.ward_code.data,
            street=self.street.data or "",
            payment_method=self.payment_method.data or "",
            delivery=delivery,
            note=self.note.data or "",
        )


class LookupForm(FlaskForm):
    number = StringField(
        _l("Order number"),
        filters=[strip],
        validators=[InputRequired(_l("Enter the order number.")), Length(max=40)],
        render_kw={"placeholder": "DH-2026-000123", "autocomplete": "off"},
    )
    contact = StringField(
        _l("Phone or email used for the order"),
        filters=[strip],
        validators=[InputRequired(_l("Enter the phone number or email of the order.")), Length(max=254)],
    )
