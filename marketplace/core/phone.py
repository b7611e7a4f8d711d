"""Vietnamese mobile phone numbers, as people type them.

Accepted: `0912345678`, `0912 345 678`, `091.234.5678`, `+84 912 345 678`,
`84912345678`, `0084912345678`; always stored as the 10-digit national form
`0912345678`. Mobile numbers start with 03, 05, 07, 08 or 09 (landlines start
with 02 and are refused: order and account contacts must receive SMS/calls).
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

_SEPARATORS = re.compile(r"[\s.\-()]")
_NATIONAL_MOBILE = re.compile(r"0[35789]\d{8}")


class InvalidPhone(ValueError):
    """Not a Vietnamese mobile number."""


def normalise_vn_phone(value: str) -> str:
    """'+84 912 345 678' -> '0912345678'; raises InvalidPhone for anything else."""
    digits = _SEPARATORS.sub("", value or "")
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("0084"):
        digits = "0" + digits[4:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not _NATIONAL_MOBILE.fullmatch(digits):
        raise InvalidPhone(value)
    return digits


def format_vn_phone(value: str | None) -> str:
    """'0912345678' -> '0912 345 678', the way the number is read out; anything that is not a
    stored mobile number (a landline typed by a cooperative, say) is shown as it is."""
    value = value or ""
    if _NATIONAL_MOBILE.fullmatch(value):
        return f"{value[:4]} {value[4:7]} {value[7:]}"
    return value


class VietnameseMobile:
    """WTForms validator: accepts a Vietnamese mobile number and normalises field.data.

    Empty input is left to Optional()/DataRequired(); put this after them.
    """

    def __init__(self, message: str | None = None):
        self.message = message

    def __call__(self, form, field) -> None:
        if not field.data:
            field.data = None
            return
        try:
            field.data = normalise_vn_phone(field.data)
        except InvalidPhone:
            raise ValidationError(
                self.message or _l("Enter a Vietnamese mobile number, for example 0912 345 678 or +84 912 345 678.")
            ) from None
