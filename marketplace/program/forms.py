"""Forms of the programme pages. They parse what people typed; the rules live in services/targets."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from marketplace.accounts.models import Agency
from marketplace.cooperatives.forms import DayField
from marketplace.cooperatives.models import Cooperative
from marketplace.core.forms import WholeNumberField, optional_int, place_choices, strip
from marketplace.extensions import db
from marketplace.program import services, targets
from marketplace.program.models import PROGRAM_YEARS, TargetMetric


def _place_choices(form) -> None:
    place_choices(form, _l("— No single place —"))
    form.agency_id.choices = [("", _l("— None —"))] + [
        (a.id, a.name) for a in db.session.scalars(select(Agency).order_by(Agency.name))
    ]


class TrainingForm(FlaskForm):
    held_on = DayField(
        _l("Date held"),
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        validators=[InputRequired(_l("Enter the day the class was held."))],
    )
    title = StringField(
        _l("Title"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the class's title.")), Length(max=services.MAX_TEXT)],
    )
    agency_id = SelectField(_l("Agency"), coerce=optional_int, validate_choice=False)
    organiser = StringField(_l("Organiser"), filters=[strip], validators=[Optional(), Length(max=services.MAX_TEXT)])
    participants = WholeNumberField(_l("Participants"), validators=[Optional()])
    province_code = SelectField(_l("Province or city"), coerce=optional_int, validate_choice=False)
    ward_code = SelectField(_l("Ward or commune"), coerce=optional_int, validate_choice=False)
    street = StringField(_l("Venue or street"), filters=[strip], validators=[Optional(), Length(max=services.MAX_TEXT)])
    notes = TextAreaField(_l("Notes"), filters=[strip], validators=[Optional(), Length(max=services.MAX_NOTES)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _place_choices(self)


class SupportedForm(FlaskForm):
    name = StringField(
        _l("Cooperative name"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the cooperative's name.")), Length(max=services.MAX_TEXT)],
    )
    founded_on = DayField(
        _l("Date founded"),
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        validators=[InputRequired(_l("Enter the day it was founded."))],
    )
    is_youth = BooleanField(_l("Youth cooperative"), default=True)
    cooperative_id = SelectField(_l("On this platform as"), coerce=optional_int, validate_choice=False)
    agency_id = SelectField(_l("Supporting agency"), coerce=optional_int, validate_choice=False)
    province_code = SelectField(_l("Province or city"), coerce=optional_int, validate_choice=False)
    ward_code = SelectField(_l("Ward or commune"), coerce=optional_int, validate_choice=False)
    street = StringField(
        _l("Street or village"), filters=[strip], validators=[Optional(), Length(max=services.MAX_TEXT)]
    )
    notes = TextAreaField(_l("Notes"), filters=[strip], validators=[Optional(), Length(max=services.MAX_NOTES)])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _place_choices(self)
        self.cooperative_id.choices = [("", _l("— Not on the platform —"))] + [
            (c.id, c.name) for c in db.session.scalars(select(Cooperative).order_by(Cooperative.name))
        ]


class TargetForm(FlaskForm):
    value = WholeNumberField(_l("Target value"), validators=[InputRequired(_l("Enter the target value."))])
    description = TextAreaField(
        _l("Description"), filters=[strip], validators=[Optional(), Length(max=targets.MAX_DESCRIPTION)]
    )


class NewTargetForm(TargetForm):
    metric = SelectField(
        _l("What it counts"), validate_choice=False, validators=[InputRequired(_l("Choose what the target counts."))]
    )
    year = SelectField(_l("Year"), coerce=optional_int, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.metric.choices = [("", _l("— Choose —"))] + [(m.value, targets.METRIC_LABELS[m]) for m in TargetMetric]
        self.year.choices = [("", _l("The whole programme"))] + [(y, str(y)) for y in PROGRAM_YEARS]


class OwnerForm(FlaskForm):
    """An admin gives a programme record to another recording agency."""

    owner_agency_id = SelectField(_l("Recording agency"), coerce=optional_int, validate_choice=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.owner_agency_id.choices = [("", _l("No agency (only admins may change it)"))] + [
            (a.id, a.name) for a in db.session.scalars(select(Agency).order_by(Agency.name))
        ]


class ConfirmForm(FlaskForm):
    """Only the CSRF token: a delete button."""
