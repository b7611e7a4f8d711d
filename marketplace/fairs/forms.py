"""Forms for running fairs (agency staff) and applying for booths (cooperatives).

The forms check what a field alone can tell (filled in, a real date, a whole number);
the rules between fields and against the database live in fairs.services, whose
refusals name the field they belong to (attach_error shows them there).
"""

from __future__ import annotations

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.core.forms import (
    MultiCheckboxField,
    NotAWholeNumber,
    database_id,
    optional_int,
    parse_whole_number,
    place_choices,
    strip,
)
from marketplace.fairs.models import FairKind

KIND_LABELS = {
    FairKind.TRADE_FAIR: _l("Trade fair"),
    FairKind.EXHIBITION: _l("Exhibition"),
    FairKind.CONFERENCE: _l("Trade-promotion conference"),
    FairKind.ONLINE: _l("Online fair"),
}

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


class MomentField(DateTimeLocalField):
    """A Vietnam wall-clock time from <input type=datetime-local>, with a clear message."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, format=[DATETIME_FORMAT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"], **kwargs)

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a real date and time, e.g. 2026-12-05 08:00.")) from None

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.strftime(DATETIME_FORMAT) if self.data else ""


class FairForm(FlaskForm):
    name = StringField(
        _l("Name of the fair"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the fair's name.")), Length(max=200)],
    )
    kind = SelectField(_l("Kind of event"), choices=[(k.value, label) for k, label in KIND_LABELS.items()])
    organiser_ids = MultiCheckboxField(_l("Organising agencies"), coerce=database_id, validate_choice=False)
    venue = StringField(_l("Venue"), filters=[strip], validators=[Optional(), Length(max=200)])
    province_code = SelectField(_l("Province or city"), coerce=optional_int, validate_choice=False)
    ward_code = SelectField(_l("Ward or commune"), coerce=optional_int, validate_choice=False)
    street = StringField(_l("Street address"), filters=[strip], validators=[Optional(), Length(max=200)])
    starts_at = MomentField(_l("Starts (Vietnam time)"), validators=[InputRequired(_l("Enter when the fair starts."))])
    ends_at = MomentField(_l("Ends (Vietnam time)"), validators=[InputRequired(_l("Enter when the fair ends."))])
    applications_close_at = MomentField(_l("Applications close (Vietnam time)"), validators=[Optional()])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=20_000)])
    banner = FileField(_l("Banner image (JPEG, PNG, WebP or GIF)"))
    remove_banner = BooleanField(_l("Remove the banner"))

    def __init__(self, *args, agencies=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organiser_ids.choices = [(a.id, a.name) for a in agencies]
        place_choices(self)

    def fair_data(self) -> dict:
        from marketplace.fairs.services import FAIR_FIELDS

        return {name: getattr(self, name).data for name in FAIR_FIELDS}


class ApproveBoothForm(FlaskForm):
    number = StringField(_l("Booth number"), filters=[strip], validators=[Optional(), Length(max=20)])


class RejectBoothForm(FlaskForm):
    reason = TextAreaField(_l("Reason for the rejection"), filters=[strip], validators=[Optional(), Length(max=2000)])


class BoothForm(FlaskForm):
    """The products a cooperative showcases, each with an optional fair price.

    One row per active product: a checkbox `product` (value = product id) and a text box
    `fair_price_<id>`. After validate(), `chosen` holds {product id: fair price or None}
    and `line_errors` {product id: message}.
    """

    message = TextAreaField(
        _l("Message to the organisers (optional)"), filters=[strip], validators=[Optional(), Length(max=2000)]
    )

    def __init__(self, *args, products=(), booth=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = list(products)
        self.line_errors: dict[int, str] = {}
        self.products_error: str | None = None
        self.chosen: dict[int, int | None] = {}
        self.price_text: dict[int, str] = {}
        if booth is not None:
            for row in booth.products:
                self.chosen[row.product_id] = row.fair_price_vnd
                self.price_text[row.product_id] = str(row.fair_price_vnd) if row.fair_price_vnd else ""

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        known = {p.id for p in self.products}
        self.chosen, self.price_text = {}, {}
        for value in request.form.getlist("product"):
            try:
                product_id = int(value)
            except ValueError:
                continue
            if product_id not in known:
                self.products_error = str(_l("Choose products of your own cooperative."))
                valid = False
                continue
            text = request.form.get(f"fair_price_{product_id}", "").strip()
            self.price_text[product_id] = text
            price = None
            if text:
                try:
                    price = parse_whole_number(text)
                except NotAWholeNumber as error:
                    self.line_errors[product_id] = str(error.args[0])
                    valid = False
            self.chosen[product_id] = price
        # Prices typed for products left unticked are kept on screen, not saved.
        for product in self.products:
            text = request.form.get(f"fair_price_{product.id}", "").strip()
            if product.id not in self.chosen and text:
                self.price_text[product.id] = text
        if not self.chosen and not self.products_error:
            self.products_error = str(_l("Choose at least one product to showcase."))
            valid = False
        return valid

    def attach(self, error) -> bool:
        """Show a service refusal next to its product row; False when it is not about one."""
        if error.field == "products":
            self.products_error = error.message
            return True
        if error.field and error.field.startswith("fair_price_"):
            try:
                self.line_errors[int(error.field.removeprefix("fair_price_"))] = error.message
            except ValueError:
                return False
            return True
        if error.field == "message":
            self.message.errors = [*self.message.errors, error.message]
            return True
        return False
