"""Money, dates and times as Vietnamese and English readers expect them."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from flask_babel import force_locale

from marketplace.core.formatting import format_day, format_moment, format_vnd


@pytest.fixture
def request_context(app):
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize(
    ("locale", "amount", "expected"),
    [
        ("vi", 150_000, "150.000\xa0₫"),
        ("vi", 0, "0\xa0₫"),
        ("vi", 1_250_000_000, "1.250.000.000\xa0₫"),
        ("en", 150_000, "₫150,000"),
    ],
)
def test_prices_are_whole_dong(request_context, locale, amount, expected):
    with force_locale(locale):
        assert format_vnd(amount) == expected


def test_dates_read_day_month_year_in_vietnamese(request_context):
    with force_locale("vi"):
        assert format_day(date(2025, 3, 9)) == "09/03/2025"


def test_times_are_shown_in_vietnam_time(request_context):
    # 17:30 UTC on 31 December is 00:30 on 1 January in Hà Nội (UTC+7).
    stored = datetime(2025, 12, 31, 17, 30)
    with force_locale("vi"):
        assert format_moment(stored) == "01/01/2026 00:30"
        assert format_day(stored) == "01/01/2026"


def test_english_dates_use_the_english_form(request_context):
    with force_locale("en"):
        assert format_day(date(2025, 3, 9)) == "Mar 9, 2025"


def test_empty_values_show_nothing(request_context):
    assert format_vnd(None) == "" and format_day(None) == "" and format_moment(None) == ""
