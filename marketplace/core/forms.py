"""Helpers shared by every feature's forms."""
from __future__ import annotations

from flask import flash

from marketplace.core.errors import Refused


def attach_error(form, error: Refused) -> None:
    """Show a refused action next to its field, or above the form when it names none."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        flash(error.message, "error")
