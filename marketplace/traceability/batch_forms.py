"""Forms of the workspace's batch pages: a batch, its photos, a product's GTIN, a CSV import."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from marketplace.cooperatives.forms import DayField
from marketplace.core.forms import (
    MultiCheckboxField,
    WholeNumberField,
    check_place_field,
    database_id,
    optional_int,
    place_choices,
    strip,
)


class BatchForm(FlaskForm):
    product_id = SelectField(_l("Product"), coerce=optional_int, validate_choice=False)
    code = StringField(
        _l("Lot code (as printed on the pack)"),
        filters=[strip],
        validators=[InputRequired(_l("Enter the lot code printed on the pack.")), Length(max=20)],
    )
    produced_on = DayField(
        _l("Production or harvest date"), validators=[InputRequired(_l("Enter the production or harvest date."))]
    )
    best_before = DayField(_l("Best before (optional)"), validators=[Optional()])
    quantity = WholeNumberField(_l("Quantity in the lot"), validators=[InputRequired(_l("Enter the quantity."))])
    # Optional: a new batch starts with its whole quantity on sale.
    stock = WholeNumberField(_l("Units still in stock (on sale)"), validators=[Optional()])
    province_code = SelectField(_l("Province or city"), coerce=optional_int, validate_choice=False)
    ward_code = SelectField(_l("Ward or commune"), coerce=optional_int, validate_choice=False)
    place_name = StringField(
        _l("Plot or farm name (optional)"), filters=[strip], validators=[Optional(), Length(max=200)]
    )
    notes = TextAreaField(
        _l("Inputs and process (optional)"), filters=[strip], validators=[Optional(), Length(max=5000)]
    )
    certificate_ids = MultiCheckboxField(_l("Certificates that apply"), coerce=database_id, validate_choice=False)

    def __init__(self, *args, products=(), certificates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.product_id.choices = [("", _l("— Choose a product —")), *((p.id, p.name) for p in products)]
        self.certificate_ids.choices = list(certificates)  # (id, label) pairs
        place_choices(self)

    def validate_province_code(self, field):
        check_place_field(self, field)

    def validate_ward_code(self, field):
        check_place_field(self, field)

    def batch_data(self) -> dict:
        from marketplace.traceability.batches import BATCH_FIELDS

        return {name: getattr(self, name).data for name in BATCH_FIELDS}


class GtinForm(FlaskForm):
    gtin = StringField(
        _l("GTIN (the barcode number: 8, 12, 13 or 14 digits; empty if none)"),
        filters=[strip],
        validators=[Optional(), Length(max=20)],
    )
