"""Forms of the promotion pages. They parse what people typed; the rules live in services."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import (
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.accounts.models import Agency
from marketplace.catalog.models import Product
from marketplace.cooperatives.forms import DayField
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core.forms import WholeNumberField, database_id, optional_int, place_choices, strip
from marketplace.extensions import db
from marketplace.fairs.models import Fair
from marketplace.promotion import services
from marketplace.promotion.models import ActivityType


class _Checkboxes(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


def _number(label):
    return WholeNumberField(label, validators=[Optional()])


class ActivityForm(FlaskForm):
    type = SelectField(
        _l("Type"), validate_choice=False, validators=[InputRequired(_l("Choose the type of activity."))]
    )
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the activity's title.")), Length(max=services.MAX_TITLE)],
    )
    start_date = DayField(
        _l("Start date"),
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        validators=[InputRequired(_l("Enter the start date."))],
    )
    end_date = DayField(
        _l("End date"),
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        validators=[InputRequired(_l("Enter the end date."))],
    )
    province_code = SelectField(_l("Province or city"), coerce=optional_int, validate_choice=False)
    ward_code = SelectField(_l("Ward or commune"), coerce=optional_int, validate_choice=False)
    agencies = _Checkboxes(_l("Organising agencies"), coerce=database_id, validate_choice=False)
    organising_unit = StringField(
        _l("Organising unit"), filters=[strip], validators=[Optional(), Length(max=services.MAX_UNIT)]
    )
    fair_id = SelectField(_l("Linked fair"), coerce=optional_int, validate_choice=False)
    # One checklist: each approved cooperative with its products under it (plain checkboxes;
    # static/js/checklist.js adds a search box that hides the ones that do not match).
    cooperatives = _Checkboxes(_l("Participating cooperatives"), coerce=database_id, validate_choice=False)
    products = _Checkboxes(_l("Products introduced"), coerce=database_id, validate_choice=False)
    budget_vnd = _number(_l("Budget (VND)"))
    visitors = _number(_l("Visitors"))
    business_contacts = _number(_l("Business contacts"))
    contracts_count = _number(_l("Contracts or MoUs signed"))
    contracts_value_vnd = _number(_l("Value of contracts (VND)"))
    sales_vnd = _number(_l("Direct sales (VND)"))
    media_items = _number(_l("Media items"))
    notes = TextAreaField(_l("Notes"), filters=[strip], validators=[Optional(), Length(max=services.MAX_NOTES)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.type.choices = [("", _l("— Choose a type —"))] + [(t.value, services.TYPE_LABELS[t]) for t in ActivityType]
        place_choices(self, _l("— Online, or no single place —"))
        self.agencies.choices = [(a.id, a.name) for a in db.session.scalars(select(Agency).order_by(Agency.name))]
        fairs = db.session.scalars(select(Fair).order_by(Fair.starts_at.desc()).limit(200))
        self.fair_id.choices = [("", _l("— None —"))] + [(f.id, f.name) for f in fairs]
        cooperatives = db.session.scalars(
            select(Cooperative).where(Cooperative.status == CooperativeStatus.APPROVED).order_by(Cooperative.name)
        )
        self.cooperatives.choices = [(c.id, c.name) for c in cooperatives]
        products = db.session.scalars(
            select(Product)
            .join(Cooperative, Product.cooperative_id == Cooperative.id)
            .where(Cooperative.status == CooperativeStatus.APPROVED)
            .order_by(Product.cooperative_id, Product.name)
        ).all()
        self.products.choices = [(p.id, f"{p.name} ({p.sku})") for p in products]
        self._product_cooperative = {p.id: p.cooperative_id for p in products}

    def product_options(self, cooperative_id: int) -> list:
        """The product checkboxes of one cooperative, to show under it."""
        return [option for option in self.products if self._product_cooperative.get(option.data) == cooperative_id]


class ReturnForm(FlaskForm):
    comment = TextAreaField(
        _l("What needs correcting"),
        filters=[strip],
        validators=[DataRequired(_l("Say what needs correcting.")), Length(max=services.MAX_COMMENT)],
    )


class EvidenceForm(FlaskForm):
    file = FileField(
        _l("Photo (JPEG, PNG, WebP) or PDF"), render_kw={"accept": "image/jpeg,image/png,image/webp,application/pdf"}
    )
