"""Forms for signing up, signing in, profiles, password reset and the admin pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, Optional

from marketplace.accounts.models import AgencyKind, Role
from marketplace.accounts.services import MIN_PASSWORD_LENGTH
from marketplace.core.forms import place_choices
from marketplace.core.phone import VietnameseMobile

ROLE_LABELS = {
    Role.CUSTOMER: _l("Customer"),
    Role.COOPERATIVE_MANAGER: _l("Cooperative manager"),
    Role.AGENCY_STAFF: _l("Agency staff"),
    Role.ADMIN: _l("Administrator"),
}

AGENCY_KIND_LABELS = {
    AgencyKind.YOUTH_UNION: _l("Youth Union"),
    AgencyKind.COOPERATIVE_ALLIANCE: _l("Cooperative Alliance"),
    AgencyKind.OTHER: _l("Other"),
}

_REQUIRED = _l("This field is required.")


_PASSWORD_LENGTH = [
    Length(min=MIN_PASSWORD_LENGTH, message=_l("Password must be at least %(min)d characters long.")),
    Length(max=200),
]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _email_field():
    return EmailField(
        _l("Email"),
        filters=[_strip],
        validators=[
            DataRequired(message=_REQUIRED),
            Email(message=_l("Enter a valid email address.")),
            Length(max=254),
        ],
        render_kw={"autocomplete": "email"},
    )


def _full_name_field():
    return StringField(
        _l("Full name"),
        validators=[DataRequired(message=_REQUIRED), Length(max=120)],
        render_kw={"autocomplete": "name"},
    )


def _phone_field():
    return StringField(
        _l("Mobile phone (optional)"),
        validators=[Optional(), VietnameseMobile()],
        render_kw={"autocomplete": "tel", "type": "tel", "inputmode": "tel"},
    )


def _new_password_fields(label=None):
    password = PasswordField(
        label or _l("Password"),
        validators=[DataRequired(message=_REQUIRED), *_PASSWORD_LENGTH],
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(message=_REQUIRED), EqualTo("password", message=_l("The passwords do not match."))],
        render_kw={"autocomplete": "new-password"},
    )
    return password, confirm


class RegisterForm(FlaskForm):
    email = _email_field()
    full_name = _full_name_field()
    phone = _phone_field()
    password, confirm = _new_password_fields()


class LoginForm(FlaskForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_REQUIRED)], render_kw={"autocomplete": "current-password"}
    )
    remember = BooleanField(_l("Remember me on this device"))
    next = HiddenField()


class LogoutForm(FlaskForm):
    """No fields: carries the CSRF token of the sign-out button."""


class ProfileForm(FlaskForm):
    full_name = _full_name_field()
    phone = _phone_field()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_REQUIRED)],
        render_kw={"autocomplete": "current-password"},
    )
    password, confirm = _new_password_fields(_l("New password"))


class ResetRequestForm(FlaskForm):
    email = _email_field()


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields(_l("New password"))


class AdminUserForm(FlaskForm):
    """Edit someone's details and access. Agency and cooperative choices are filled by the view."""

    full_name = _full_name_field()
    phone = _phone_field()
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()],
        validators=[InputRequired(message=_REQUIRED)],
    )
    active = BooleanField(_l("Active (can sign in)"), default=True)
    agency = SelectField(_l("Agency"), coerce=int, validate_choice=True)
    cooperatives = SelectMultipleField(_l("Cooperatives managed"), coerce=int)

    def set_choices(self, agencies, cooperatives) -> None:
        self.agency.choices = [SelectChoice(0, _l("— None —"))] + [SelectChoice(a.id, a.name) for a in agencies]
        self.cooperatives.choices = [SelectChoice(c.id, c.name) for c in cooperatives]


class AdminNewUserForm(AdminUserForm):
    email = _email_field()
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(message=_REQUIRED), *_PASSWORD_LENGTH],
        render_kw={"autocomplete": "new-password"},
    )


class AgencyForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(message=_REQUIRED), Length(max=200)])
    kind = SelectField(
        _l("Kind"),
        choices=[SelectChoice(kind.value, label) for kind, label in AGENCY_KIND_LABELS.items()],
        validators=[InputRequired(message=_REQUIRED)],
    )


def _optional_code(value):
    """A select's value as a code; the empty choice and anything that is no number mean "none
    chosen" (the address service then names the field)."""
    if isinstance(value, int):
        return value
    value = (value or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 10 else None


class AddressForm(FlaskForm):
    """A saved delivery address (accounts.addresses checks it; its Refused names these fields)."""

    label = StringField(
        _l("Label (optional)"),
        filters=[_strip],
        validators=[Length(max=40, message=_l("The label is too long."))],
        render_kw={"maxlength": 40, "autocomplete": "off", "placeholder": _l("Home, Office…")},
    )
    recipient_name = StringField(
        _l("Recipient's name"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter the recipient's name.")),
            Length(max=120, message=_l("The name is too long.")),
        ],
        render_kw={"autocomplete": "name", "maxlength": 120},
    )
    phone = StringField(
        _l("Mobile phone"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter a Vietnamese mobile number, such as 0912 345 678.")),
            Length(max=30, message=_l("Enter a Vietnamese mobile number, such as 0912 345 678.")),
        ],
        render_kw={"autocomplete": "tel", "type": "tel", "inputmode": "tel"},
    )
    province_code = SelectField(_l("Province or city"), coerce=_optional_code, validate_choice=False)
    ward_code = SelectField(_l("Ward or commune"), coerce=_optional_code, validate_choice=False)
    street = StringField(
        _l("Street address"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Enter the street address.")),
            Length(max=200, message=_l("The street address is too long.")),
        ],
        render_kw={"autocomplete": "street-address", "maxlength": 200},
    )
    is_default = BooleanField(_l("Use as my default address"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        place_choices(self)
