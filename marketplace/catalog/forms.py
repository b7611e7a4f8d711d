"""Forms for the cooperative's listings, their photos and CSV files, and for categories."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import (
    Field,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from marketplace.catalog.models import CERTIFICATIONS, OCOP_STARS, UNITS, ProductStatus

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


def optional_int(value):
    """Select values arrive as text; the empty choice means "nothing chosen".

    Anything else that is not a number raises ValueError, which WTForms shows as an invalid choice.
    """
    if value in (None, "", "None"):
        return None
    return int(value)


SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


# Shared by the full form and the quick stock/price form: beyond these the database refuses the number.
PRICE_RANGE = NumberRange(max=10_000_000_000, message=_l("The price is too high."))
STOCK_RANGE = NumberRange(max=10_000_000, message=_l("The stock is too high."))


class ProductForm(FlaskForm):
    name = StringField(
        _l("Product name"), filters=[strip], validators=[DataRequired(_l("Enter the product name.")), Length(max=200)]
    )
    category_id = SelectField(
        _l("Category"), coerce=optional_int, validators=[InputRequired(_l("Choose a category."))]
    )
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=10_000)])
    unit = SelectField(_l("Selling unit"), choices=[(u, u) for u in UNITS])
    price_vnd = WholeNumberField(_l("Price (VND)"), validators=[InputRequired(_l("Enter the price.")), PRICE_RANGE])
    stock = WholeNumberField(_l("Stock"), validators=[InputRequired(_l("Enter the stock.")), STOCK_RANGE])
    sku = StringField(
        _l("SKU (your product code)"),
        filters=[strip],
        validators=[
            DataRequired(_l("Enter a product code (SKU).")),
            Length(max=64),
            Regexp(SKU_PATTERN, message=_l("Use letters, digits, dots, dashes and underscores only.")),
        ],
    )
    ocop_stars = SelectField(
        _l("OCOP rating"),
        coerce=optional_int,
        choices=[("", _l("No OCOP rating"))] + [(s, _l("%(stars)s stars", stars=s)) for s in OCOP_STARS],
        validators=[Optional()],
    )
    certifications = MultiCheckboxField(_l("Certifications"), choices=list(CERTIFICATIONS.items()))
    origin = StringField(_l("Origin"), filters=[strip], validators=[Optional(), Length(max=200)])
    status = SelectField(
        _l("Status"),
        choices=[
            (ProductStatus.DRAFT.value, _l("Draft (not shown in the shop)")),
            (ProductStatus.ACTIVE.value, _l("Active (on sale)")),
        ],
    )

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = [("", _l("— Choose a category —"))] + list(categories)


def category_choices(categories) -> list[tuple[int, str]]:
    """Top categories followed by their sub-categories, shown as "Top › Sub"."""
    choices = []
    for top in categories:
        choices.append((top.id, top.name))
        for child in top.children:
            choices.append((child.id, f"{top.name} › {child.name}"))
    return choices


class QuickUpdateForm(FlaskForm):
    """Stock and price from the product list, without opening the full form."""

    stock = WholeNumberField(_l("Stock"), validators=[InputRequired(_l("Enter the stock.")), STOCK_RANGE])
    price_vnd = WholeNumberField(_l("Price (VND)"), validators=[InputRequired(_l("Enter the price.")), PRICE_RANGE])


class ImageUploadForm(FlaskForm):
    photos = MultipleFileField(_l("Photos (JPEG, PNG, WebP or GIF)"))
    alt_text = StringField(
        _l("Description of the photo (for people who cannot see it)"),
        filters=[strip],
        validators=[DataRequired(_l("Describe the photo.")), Length(max=200)],
    )

    def validate_photos(self, field):
        if not [f for f in field.data or [] if getattr(f, "filename", "")]:
            raise ValidationError(_l("Choose at least one photo."))


class ImageMoveForm(FlaskForm):
    direction = SelectField(choices=[("up", _l("Up")), ("down", _l("Down"))])


class CsvImportForm(FlaskForm):
    file = FileField(_l("CSV file"))

    def validate_file(self, field):
        if not getattr(field.data, "filename", ""):
            raise ValidationError(_l("Choose a CSV file."))


class CategoryForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(_l("Enter a name.")), Length(max=100)])
    # Choices are checked by the service, so a sub-category given as parent gets the two-level message.
    parent_id = SelectField(_l("Parent category"), coerce=optional_int, validate_choice=False)
    position = WholeNumberField(
        _l("Position in lists"), default=0, validators=[Optional(), NumberRange(max=10_000)]
    )

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = [("", _l("None (top category)"))] + [(c.id, c.name) for c in parents]

    def validate_parent_id(self, field):
        from marketplace.catalog.models import Category
        from marketplace.extensions import db

        if field.data is not None and db.session.get(Category, field.data) is None:
            raise ValidationError(_l("Choose a parent category from the list."))
