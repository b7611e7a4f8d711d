"""Helpers shared by every feature's forms."""

from __future__ import annotations

import re

from flask import flash
from flask_babel import lazy_gettext as _l
from wtforms import Field, SelectMultipleField, widgets
from wtforms.validators import StopValidation, ValidationError

from marketplace.core import geo
from marketplace.core.errors import Refused


def attach_error(form, error: Refused) -> None:
    """Show a refused action next to its field, or above the form when it names none."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")


def place_choices(form, province_placeholder=_l("— Choose a province —")) -> None:
    """Fill a form's `province_code` list, and its `ward_code` list with the wards of the chosen
    province (none until one is chosen: the page's script fetches them when it changes)."""
    form.province_code.choices = [("", province_placeholder), *geo.provinces()]
    province = form.province_code.data
    wards = geo.wards(province) if geo.is_valid_province(province) else []
    form.ward_code.choices = [("", _l("— Choose a ward or commune —")), *wards]


def check_place_field(form, field, *, required: bool = False, messages=geo.PLACE_MESSAGES) -> None:
    """The body of a form's `validate_province_code` and `validate_ward_code`: `geo.check_place`
    on the form's two fields, its message raised when it is about `field`."""
    try:
        geo.check_place(form.province_code.data, form.ward_code.data, required=required, messages=messages)
    except Refused as error:
        if error.field == field.name:
            raise ValidationError(error.message) from None


# "150000", "150.000", "150 000" or "150,000": people type prices with thousands separators.
_GROUPED = re.compile(r"^\d{1,3}(?:([.,\s\u00a0])\d{3})(?:\1\d{3})*$")
_PLAIN = re.compile(r"^\d+$")


def strip(value):
    return value.strip() if isinstance(value, str) else value


class NotAWholeNumber(ValueError):
    pass


def parse_whole_number(text: str) -> int:
    """A non-negative integer as Vietnamese people type it; raises NotAWholeNumber with the reason.

    '.' and ',' are thousands separators only when every group has three digits, so
    "12,5" and "12.5" are refused as decimals rather than read as 125.
    """
    value = (text or "").strip().replace("₫", "").replace("đ", "").replace("VND", "").strip()
    if not value:
        raise NotAWholeNumber(_l("Enter a number."))
    if value.startswith("-"):
        raise NotAWholeNumber(_l("The number cannot be negative."))
    if _PLAIN.match(value):
        return int(value)
    if _GROUPED.match(value):
        return int(re.sub(r"\D", "", value))
    if re.match(r"^\d+[.,]\d{1,2}$", value) or re.match(r"^\d+[.,]\d+$", value):
        raise NotAWholeNumber(_l("Enter a whole number, without decimals."))
    raise NotAWholeNumber(_l("Enter a whole number, e.g. 150000 or 150.000."))


class WholeNumberField(Field):
    """An integer ≥ 0 typed by a person: "150.000" and "150000" both mean 150000."""

    widget = widgets.TextInput()

    def __init__(self, label=None, validators=None, **kwargs):
        render_kw = {"inputmode": "numeric", "autocomplete": "off", **kwargs.pop("render_kw", {})}
        super().__init__(label, validators, render_kw=render_kw, **kwargs)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.data = None
        if not valuelist[0].strip():
            self.raw_data = [""]  # left blank: InputRequired or Optional has the say
            return
        try:
            self.data = parse_whole_number(valuelist[0])
        except NotAWholeNumber as error:
            raise ValueError(str(error.args[0])) from None

    def pre_validate(self, form):
        # Not a number: that one message says it all (NumberRange would add "too high" for no value).
        if self.process_errors:
            raise StopValidation()


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def database_id(value) -> int:
    """A chosen id (a checkbox's value) as a number; ValueError for text or a number no
    INTEGER column holds, which WTForms shows as an invalid choice."""
    number = int(value)
    if not 0 < number < 2**31:
        raise ValueError(value)
    return number


def optional_int(value):
    """Select values arrive as text; the empty choice means "nothing chosen".

    Anything else that is not a number raises ValueError, which WTForms shows as an invalid choice.
    """
    if value in (None, "", "None"):
        return None
    number = int(value)
    if not -(2**31) <= number < 2**31:  # no INTEGER column (an id, a code) holds it
        raise ValueError(value)
    return number
