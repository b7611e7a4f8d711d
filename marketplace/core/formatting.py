"""Money, dates and times the way Vietnamese (and English) readers expect.

Prices are whole đồng (int); VND has no minor unit, so never a float here.
"""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_currency, format_date, format_datetime, get_locale, to_user_timezone

from marketplace.core.phone import format_vn_phone


def format_vnd(amount: int | None) -> str:
    """150000 -> '150.000 ₫' (vi) or '₫150,000' (en)."""
    if amount is None:
        return ""
    return format_currency(int(amount), "VND", format_type="standard")


def format_day(value: date | datetime | None) -> str:
    """dd/mm/yyyy in Vietnamese; the locale's medium form in English.

    A datetime is a stored UTC moment: its day is the day in Vietnam.
    """
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_user_timezone(value).date()
    return format_date(value, "dd/MM/yyyy" if str(get_locale()) == "vi" else "medium")


def format_moment(value: datetime | None) -> str:
    """A stored UTC time shown in Asia/Ho_Chi_Minh: '25/11/2026 14:05' in Vietnamese."""
    if value is None:
        return ""
    if str(get_locale()) == "vi":
        return format_datetime(value, "dd/MM/yyyy HH:mm")
    return format_datetime(value, "short")


def init_app(app) -> None:
    app.jinja_env.filters["vnd"] = format_vnd
    app.jinja_env.filters["day"] = format_day
    app.jinja_env.filters["moment"] = format_moment
    app.jinja_env.filters["phone"] = format_vn_phone
