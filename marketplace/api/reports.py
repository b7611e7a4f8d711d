"""The promotion report through the JSON API, for agency staff and admins with a bearer token.

GET /api/v1/reports/promotion?from=YYYY-MM-DD&to=YYYY-MM-DD[&group_by=...] answers the same
figures as the agency report page (marketplace.promotion.reports.promotion_report): only
approved activities count. Authentication is `Authorization: Bearer <token>` only (tokens from
`marketplace tokens create`); a browser's session cookie is never read here, so the blueprint's
CSRF exemption protects nothing that could be forged. 401 (with WWW-Authenticate: Bearer)
without a valid token, 403 for a role that may not see reports. Error reasons in English.
"""

from __future__ import annotations

import re
from datetime import date

from flask import current_app, jsonify, request
from flask_babel import force_locale

from marketplace.accounts import api_tokens
from marketplace.api.views import bp
from marketplace.core.errors import api_error
from marketplace.core.transaction import commit_now
from marketplace.promotion import reports

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
REALM = 'Bearer realm="api"'
# Days the API accepts (as the other date fields of the site): the year before is compared too.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)


def _unauthorized(message: str, invalid: bool):
    response = api_error(401, message)
    response.headers["WWW-Authenticate"] = REALM + (', error="invalid_token"' if invalid else "")
    return response


def _date(name: str, errors: dict) -> date | None:
    value = request.args.get(name, "").strip()
    if not value:
        errors[name] = "required, a date YYYY-MM-DD"
        return None
    if not ISO_DATE.fullmatch(value):
        errors[name] = "must be a date YYYY-MM-DD"
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        errors[name] = "not a real date"
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        errors[name] = f"must be between {FIRST_DAY.isoformat()} and {LAST_DAY.isoformat()}"
        return None
    return day


def read_report_request() -> tuple[date, date, str | None, dict[str, str]]:
    """from, to, group_by and {parameter: reason} for every bad one."""
    errors: dict[str, str] = {}
    date_from = _date("from", errors)
    date_to = _date("to", errors)
    if date_from and date_to and date_from > date_to:
        errors["to"] = "must not be before from"
    group_by = request.args.get("group_by", "").strip() or None
    if group_by is not None and group_by not in reports.API_GROUP_BYS:
        errors["group_by"] = "must be one of " + ", ".join(reports.API_GROUP_BYS)
    return date_from, date_to, group_by, errors


def _key(value):
    """A group key as JSON: ids, codes and years stay numbers; enum values become their value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    return getattr(value, "value", str(value))


def comparison_json(report) -> dict | None:
    """The period `previous_year` holds the figures of (reports.comparison_period), or None."""
    if report.comparison is None:
        return None
    return {
        "from": report.comparison.date_from.isoformat(),
        "to": report.comparison.date_to.isoformat(),
        "label": str(report.comparison_label),
        "rule": "year_earlier" if report.compares_year_earlier else "just_before",
    }


def report_json(report, date_from: date, date_to: date, group_by: str | None) -> dict:
    groups = [{"key": _key(group.key), "label": str(group.label), **group.figures.as_dict()} for group in report.groups]
    previous = getattr(report, "previous_year", None)
    return {
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "group_by": group_by,
        "totals": report.totals.as_dict(),
        "previous_year": previous.as_dict() if previous is not None else None,
        "comparison_period": comparison_json(report) if previous is not None else None,
        "groups": groups,
    }


@bp.get("/reports/promotion")
def promotion_report():
    header = request.headers.get("Authorization")
    if not header:
        return _unauthorized("Authentication required: send Authorization: Bearer <token>", invalid=False)
    user = api_tokens.authenticate(header)
    if user is None:
        return _unauthorized("Invalid, revoked or unknown token", invalid=True)
    # The token's last use (if it was noted) is kept even when the answer below is a
    # refusal (403, 400), which would roll it back at the end of the request.
    commit_now()
    if not user.is_agency_staff:
        return api_error(403, "Reports are for agency staff and admins")
    date_from, date_to, group_by, errors = read_report_request()
    if errors:
        return api_error(400, "Invalid query parameters", errors)

    # Labels (activity types, provinces, "online") in the site's default language, Vietnamese,
    # whatever the caller's cookies say: the API answers everyone the same.
    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        try:
            report = reports.promotion_report(
                reports.ReportQuery(date_from=date_from, date_to=date_to, group_by=group_by)
            )
        except reports.BadQuery as error:  # checked above already; the service has the last word
            return api_error(400, "Invalid query parameters", {"query": str(error)})
        return jsonify(report_json(report, date_from, date_to, group_by))
