"""Forms for the cooperative's listings, their photos and CSV files, and for categories."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from marketplace.catalog.models import CERTIFICATIONS, UNITS, ProductStatus
from marketplace.core.forms import MultiCheckboxField, WholeNumberField, optional_int, strip

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


# Shared by the full form and the quick stock/price form: beyond these the database refuses the number.
PRICE_RANGE = NumberRange(max=10_000_000_000, message=_l("The price is too high."))
STOCK_RANGE = NumberRange(max=10_000_000, message=_l("The stock is too high."))


class ProductForm(FlaskForm):
    name = StringField(
        _l("Product name"), filters=[strip], validators=[DataRequired(_l("Enter the product name.")), Length(max=200)]
    )
    category_id = SelectField(_l("Category"), coerce=optional_int, validators=[InputRequired(_l("Choose a category."))])
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
    position = WholeNumberField(_l("Position in lists"), default=0, validators=[Optional(), NumberRange(max=10_000)])

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = [("", _l("None (top category)"))] + [(c.id, c.name) for c in parents]

    def validate_parent_id(self, field):
        from marketplace.catalog.models import Category
        from marketplace.extensions import db

        if field.data is not None and db.session.get(Category, field.data) is None:
            raise ValidationError(_l("Choose a parent category from the list."))
