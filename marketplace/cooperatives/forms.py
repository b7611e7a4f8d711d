"""Forms for registering and editing a cooperative, and for the agency's decisions."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, MultipleFileField
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    StopValidation,
    ValidationError,
)

from marketplace.cooperatives.services import PLACE_MESSAGES
from marketplace.core import banks
from marketplace.core.forms import WholeNumberField, check_place_field, optional_int, place_choices, strip


class DayField(DateField):
    """A date from <input type=date> (YYYY-MM-DD), with a message people understand."""

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(_l("Enter a real date, e.g. 2023-05-01.")) from None


class CooperativeForm(FlaskForm):
    name = StringField(
        _l("Cooperative name"),
        filters=[strip],
        validators=[DataRequired(_l("Enter the cooperative's name.")), Length(max=200)],
    )
    registration_code = StringField(
        _l("Registration / tax code"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=20),
            Regexp(r"^[0-9A-Za-z-]+$", message=_l("Use digits, letters and dashes only.")),
        ],
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
        validators=[InputRequired(_l("Choose a ward or commune."))],
    )
    street = StringField(_l("Street address"), filters=[strip], validators=[Optional(), Length(max=200)])
    founded_on = DayField(
        _l("Founded on"),
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
    )
    is_youth = BooleanField(_l("Youth cooperative"), default=True)
    member_count = WholeNumberField(
        _l("Members"),
        validators=[InputRequired(_l("Enter the number of members.")), NumberRange(max=1_000_000)],
    )
    youth_member_count = WholeNumberField(
        _l("Youth members (aged 16–35)"),
        validators=[InputRequired(_l("Enter the number of youth members.")), NumberRange(max=1_000_000)],
    )
    representative = StringField(_l("Legal representative"), filters=[strip], validators=[Optional(), Length(max=120)])
    phone = StringField(
        _l("Phone"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=20),
            Regexp(r"^\+?[0-9 .()-]{8,20}$", message=_l("Enter a phone number, e.g. 0912 345 678.")),
        ],
        render_kw={"type": "tel", "autocomplete": "tel"},
    )
    email = StringField(
        _l("Email"),
        filters=[strip],
        validators=[Optional(), Length(max=254), Email(_l("Enter a valid email address."))],
        render_kw={"type": "email", "autocomplete": "email"},
    )
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=5000)])

    def __init__(self, *args, cooperative=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.cooperative = cooperative
        place_choices(self)

    def validate_province_code(self, field):
        check_place_field(self, field, required=True, messages=PLACE_MESSAGES)

    def validate_ward_code(self, field):
        check_place_field(self, field, required=True, messages=PLACE_MESSAGES)

    def validate_founded_on(self, field):
        if field.data and field.data > date.today():
            raise ValidationError(_l("The founding date cannot be in the future."))
        if field.data and field.data.year < 1900:
            raise ValidationError(_l("Enter a founding date after 1900."))

    def validate_youth_member_count(self, field):
        members = self.member_count.data
        if field.data is not None and members is not None and field.data > members:
            raise ValidationError(_l("Youth members cannot be more than all members."))

    def validate_registration_code(self, field):
        from marketplace.cooperatives.services import registration_code_taken

        if registration_code_taken(field.data, self.cooperative.id if self.cooperative else None):
            raise ValidationError(_l("Another cooperative already uses this registration code."))

    def profile_data(self) -> dict:
        from marketplace.cooperatives.services import PROFILE_FIELDS

        return {name: getattr(self, name).data for name in PROFILE_FIELDS}


class KeepWhenNotSent:
    """A field missing from the posted form (not merely blank) keeps the saved value.

    Browsers always send text inputs and selects, so this only spares older clients that
    post the profile without the delivery and bank fields; a blank field is still checked.
    """

    def __call__(self, form, field):
        if field.raw_data == []:
            field.errors[:] = []
            raise StopValidation()


def digits_only(value):
    """'0123 456 789' -> '0123456789': people copy account numbers with spaces or dots."""
    return re.sub(r"[\s.]", "", value) if isinstance(value, str) else value


def account_holder(value):
    return banks.normalise_account_name(value) if isinstance(value, str) else value


BANK_FIELDS = ("bank_bin", "bank_account_number", "bank_account_name")
SETTINGS_FIELDS = ("delivery_fee_vnd", "free_delivery_from_vnd", "offers_pickup", *BANK_FIELDS)


class ProfileForm(CooperativeForm):
    logo = FileField(_l("Logo (JPEG, PNG, WebP or GIF)"))
    delivery_fee_vnd = WholeNumberField(
        _l("Delivery fee (₫)"),
        validators=[
            KeepWhenNotSent(),
            InputRequired(_l("Enter the delivery fee, 0 if delivery is free.")),
            NumberRange(max=10_000_000, message=_l("Enter a delivery fee of at most 10.000.000 ₫.")),
        ],
    )
    free_delivery_from_vnd = WholeNumberField(
        _l("Free delivery from (₫)"),
        validators=[
            Optional(),
            NumberRange(max=1_000_000_000, message=_l("Enter an amount of at most 1.000.000.000 ₫.")),
        ],
    )
    offers_pickup = BooleanField(_l("Customers may pick up orders at the cooperative"))
    bank_bin = SelectField(_l("Bank"), validators=[KeepWhenNotSent()], validate_choice=False)
    bank_account_number = StringField(
        _l("Account number"),
        filters=[strip, digits_only],
        validators=[
            KeepWhenNotSent(),
            Optional(),
            Regexp(r"^[0-9]{6,19}$", message=_l("Enter the account number: 6 to 19 digits, no letters.")),
        ],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    bank_account_name = StringField(
        _l("Account holder"),
        filters=[strip, account_holder],
        validators=[
            KeepWhenNotSent(),
            Optional(),
            Length(max=100),
            Regexp(
                r"^[A-Z0-9 .,&()'/-]+$",
                message=_l("Write the name as the bank prints it, in Latin letters, e.g. HTX THANH NIEN LUC NGAN."),
            ),
        ],
        render_kw={"autocomplete": "off"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.bank_bin.choices = [("", _l("— No bank transfers —"))] + banks.banks()

    def validate_bank_bin(self, field):
        if field.data and not banks.is_known_bank(field.data):
            raise ValidationError(_l("Choose a bank from the list."))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        given = {name: bool(getattr(self, name).data) for name in BANK_FIELDS}
        if any(given.values()) and not all(given.values()):
            missing = {
                "bank_bin": _l("Choose the bank, or clear the other bank fields."),
                "bank_account_number": _l("Enter the account number, or clear the other bank fields."),
                "bank_account_name": _l("Enter the account holder, or clear the other bank fields."),
            }
            for name, present in given.items():
                field = getattr(self, name)
                if not present and not field.errors:
                    field.errors = [*field.errors, missing[name]]
            valid = False
        return valid

    def settings_data(self) -> dict:
        """Delivery and bank settings, blanks as None."""
        return {name: getattr(self, name).data if getattr(self, name).data != "" else None for name in SETTINGS_FIELDS}


class ApproveForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), filters=[strip], validators=[Optional(), Length(max=2000)])


class SuspendForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for the suspension"),
        filters=[strip],
        validators=[DataRequired(_l("Give a reason for the suspension.")), Length(max=2000)],
    )


class RefuseForm(FlaskForm):
    refusal = TextAreaField(
        _l("Reason for the refusal"),
        filters=[strip],
        validators=[DataRequired(_l("Give the reason for the refusal.")), Length(max=2000)],
    )


class RequestDocumentsForm(FlaskForm):
    documents_request = TextAreaField(
        _l("Documents or information needed"),
        filters=[strip],
        validators=[DataRequired(_l("Say which documents or information are missing.")), Length(max=2000)],
    )


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        _l("Your answer"),
        filters=[strip],
        validators=[DataRequired(_l("Write your answer to the agency's request.")), Length(max=4000)],
    )
    # Checked by content by the service (core.files), not by the browser's "accept" hint.
    documents = MultipleFileField(
        _l("Documents (photos or PDF, optional)"),
        render_kw={"accept": "image/jpeg,image/png,image/webp,application/pdf"},
    )


class ReopenForm(FlaskForm):
    reopen_reason = TextAreaField(
        _l("Reason for reopening"),
        filters=[strip],
        validators=[DataRequired(_l("Give the reason for reopening the application.")), Length(max=2000)],
    )
