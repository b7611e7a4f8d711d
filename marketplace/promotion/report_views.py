"""Commitment-four report pages: agency staff at /agency/reports/promotion (everything), a
cooperative's managers at /workspace/<coop_slug>/reports/promotion (its own participation).

The page, its CSV and XLSX exports and the print page all render one Report object
(promotion.reports.promotion_report), so their numbers are the same; every number links to
the records behind it (/records?figure=...&group=...), listed from the same report.
Also: an activity's tracking link (create it, its poster with the QR code).
"""

from __future__ import annotations

import csv
import io
import logging
from datetime import date

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from marketplace.accounts.models import Agency, Role
from marketplace.cooperatives.access import managed_cooperative
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.core.access import roles_required
from marketplace.core.routing import MAX_ID
from marketplace.core.spreadsheet import append_xlsx_row, safe_cell, xlsx_download
from marketplace.core.transaction import attempt
from marketplace.extensions import db
from marketplace.promotion import charts, reports, tracking
from marketplace.promotion.models import ActivityType, PromotionActivity
from marketplace.promotion.reports import (
    FIGURES,
    GROUPINGS,
    BadQuery,
    Report,
    ReportQuery,
)

bp = Blueprint("promotion_reports", __name__)
logger = logging.getLogger(__name__)
AGENCY_URL = "/agency/reports/promotion"
WORKSPACE_URL = "/workspace/<coop_slug>/reports/promotion"
TOTAL_KEY, COMPARISON_KEY = "total", "previous_period"  # the exports' machine keys of those rows
PERIOD_KINDS = ("program", "year", "quarter", "month", "custom")
# Figures whose records are the activities themselves (their column summed).
ACTIVITY_FIGURES = {
    "activities": None,
    "visitors": "visitors",
    "business_contacts": "business_contacts",
    "contracts_count": "contracts_count",
    "contracts_value_vnd": "contracts_value_vnd",
    "sales_reported_vnd": "sales_vnd",
    "budget_vnd": "budget_vnd",
    "media_items": "media_items",
}


@bp.errorhandler(BadQuery)
def bad_query(error: BadQuery):
    return render_template("promotion/reports/bad_query.html", message=str(error)), 400


@bp.app_template_global()
def promotion_measured(activity: PromotionActivity) -> dict:
    """An activity's measured figures beside the reported ones (for its detail page)."""
    return reports.activity_measured(activity)


# --- reading the query ---------------------------------------------------------------------------


def _int(name: str) -> int | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise BadQuery(_("%(name)s must be a whole number.", name=name)) from None
    if abs(number) > MAX_ID:  # an id or a code: an INTEGER column holds no more
        raise BadQuery(_("%(name)s must be a whole number.", name=name))
    return number


def _period() -> tuple[date, date]:
    """period=program|2024|2024-Q2|2024-05|custom (with from= and to=); the programme by default."""
    period = request.args.get("period", "").strip() or "program"
    if period == "custom":
        try:
            start, end = (
                date.fromisoformat(request.args.get("from", "")),
                date.fromisoformat(request.args.get("to", "")),
            )
        except ValueError:
            raise BadQuery(_("Give the first and last day of the period (YYYY-MM-DD).")) from None
        return reports.parse_period(f"{start.isoformat()}..{end.isoformat()}")
    return reports.parse_period(period)


def read_query(cooperative: Cooperative | None = None) -> ReportQuery:
    """The ReportQuery that the request's arguments ask for; BadQuery (400) when they make no sense."""
    date_from, date_to = _period()
    youth = request.args.get("youth", "").strip().lower()
    if youth not in ("", "yes", "no", "1", "0", "true", "false"):
        raise BadQuery(_("youth must be yes or no."))
    return ReportQuery(
        date_from=date_from,
        date_to=date_to,
        group_by=request.args.get("group_by", "").strip() or None,
        agency_id=_int("agency") if cooperative is None else None,
        activity_type=request.args.get("type", "").strip() or None,
        cooperative_id=_int("cooperative") if cooperative is None else None,
        province_code=_int("province"),
        ward_code=_int("ward"),
        youth=None if youth == "" else youth in ("yes", "1", "true"),
        cooperative_scope=cooperative.id if cooperative is not None else None,
    )


def _args_without(*names: str) -> dict:
    return {k: v for k, v in request.args.items() if k not in names and v != ""}


# --- building the page ---------------------------------------------------------------------------


def _filter_text(query: ReportQuery) -> list[str]:
    """The filters in words, for the page heading and the exports."""
    from marketplace.promotion.services import TYPE_LABELS

    words = []
    if query.agency_id is not None:
        agency = db.session.get(Agency, query.agency_id)
        words.append(_("Agency: %(name)s", name=agency.name if agency else query.agency_id))
    if query.activity_type:
        words.append(_("Type: %(name)s", name=TYPE_LABELS[ActivityType(query.activity_type)]))
    if query.cooperative_id is not None:
        cooperative = db.session.get(Cooperative, query.cooperative_id)
        words.append(_("Cooperative: %(name)s", name=cooperative.name if cooperative else query.cooperative_id))
    if query.province_code is not None:
        words.append(_("Province: %(name)s", name=geo.province_name(query.province_code)))
    if query.ward_code is not None:
        words.append(_("Ward: %(name)s", name=geo.ward_name(query.ward_code)))
    if query.youth is not None:
        words.append(_("Youth cooperatives only") if query.youth else _("Other cooperatives only"))
    return words


def _charts(report: Report) -> dict:
    """Bars over time (months for a period up to 18 months, else years) and shares by type,
    from the report's own loaded activities (no extra query)."""
    from marketplace.promotion.services import TYPE_LABELS

    query = report.query
    months = (query.date_to.year - query.date_from.year) * 12 + query.date_to.month - query.date_from.month + 1
    rows = report.data.rows.values()
    if months <= 18:
        keys = reports._months(query.date_from, query.date_to)
        labels = [f"{k[5:]}/{k[2:4]}" for k in keys]
        key_of = lambda row: f"{row.start_date:%Y-%m}"
        unit = _("month")
    else:
        keys = [str(y) for y in range(query.date_from.year, query.date_to.year + 1)]
        labels = keys
        key_of = lambda row: str(row.start_date.year)
        unit = _("year")
    activities = dict.fromkeys(keys, 0)
    sales = dict.fromkeys(keys, 0)
    for row in rows:
        activities[key_of(row)] += 1
        sales[key_of(row)] += int(row.sales_vnd or 0)
    by_type = {kind: 0 for kind in ActivityType}
    for row in rows:
        by_type[row.type] += 1
    shares = [(str(TYPE_LABELS[kind]), n) for kind, n in by_type.items() if n]
    over_time = list(zip(labels, activities.values(), sales.values(), strict=True))
    result = {
        "over_time": over_time,
        "shares": shares,
        "activities_svg": charts.bar_chart(
            "chart-activities",
            _("Activities by %(unit)s", unit=unit),
            _(
                "Approved activities started in each %(unit)s of the period; the table below gives the numbers.",
                unit=unit,
            ),
            [(label, n) for label, n, _s in over_time],
        ),
        "sales_svg": charts.bar_chart(
            "chart-sales",
            _("Sales reported by %(unit)s (VND)", unit=unit),
            _(
                "Direct sales reported by the activities started in each %(unit)s; the table below gives the numbers.",
                unit=unit,
            ),
            [(label, s) for label, _n, s in over_time],
        ),
        "shares_svg": charts.share_chart(
            "chart-types",
            _("Activities by type"),
            _("Each activity type's share of the period's activities; the table below gives the numbers."),
            shares,
        ),
    }
    # Each chart with its visible title (the page's <figcaption>; the SVG's <title> is for screen readers).
    result["figures"] = [
        {"id": "chart-activities", "title": _("Activities by %(unit)s", unit=unit), "svg": result["activities_svg"]},
        {"id": "chart-sales", "title": _("Sales reported by %(unit)s (VND)", unit=unit), "svg": result["sales_svg"]},
        {"id": "chart-types", "title": _("Activities by type"), "svg": result["shares_svg"]},
    ]
    return result


def _choices(cooperative: Cooperative | None) -> dict:
    from marketplace.promotion.services import TYPE_LABELS

    choices = {
        "types": [(kind.value, str(TYPE_LABELS[kind])) for kind in ActivityType],
        "group_bys": [
            (key, str(grouping.label))
            for key, grouping in GROUPINGS.items()
            if cooperative is None or grouping.for_cooperative
        ],
        "provinces": geo.provinces(),
        "years": reports.offered_years(),
    }
    if cooperative is None:
        choices["agencies"] = db.session.execute(sa.select(Agency.id, Agency.name).order_by(Agency.name)).all()
        choices["cooperatives"] = db.session.execute(
            sa.select(Cooperative.id, Cooperative.name).order_by(Cooperative.name)
        ).all()
    return choices


def _endpoints(cooperative: Cooperative | None) -> dict:
    if cooperative is None:
        return {
            "page": url_for(".agency_page"),
            "csv": url_for(".agency_csv", **request.args),
            "xlsx": url_for(".agency_xlsx", **request.args),
            "print": url_for(".agency_print", **request.args),
            "records": ".agency_records",
            "kwargs": {},
        }
    slug = cooperative.slug
    return {
        "page": url_for(".workspace_page", coop_slug=slug),
        "csv": url_for(".workspace_csv", coop_slug=slug, **request.args),
        "xlsx": url_for(".workspace_xlsx", coop_slug=slug, **request.args),
        "print": url_for(".workspace_print", coop_slug=slug, **request.args),
        "records": ".workspace_records",
        "kwargs": {"coop_slug": slug},
    }


def _render(cooperative: Cooperative | None, *, printable: bool = False):
    query = read_query(cooperative)
    report = reports.promotion_report(query)
    grouping = GROUPINGS.get(query.group_by)  # None: no groups
    endpoints = _endpoints(cooperative)

    def record_url(figure: str, group=None) -> str:
        args = _args_without("figure", "group")
        if group is not None:
            args["group"] = group.param
        return url_for(endpoints["records"], figure=figure, **endpoints["kwargs"], **args)

    def previous_url(figure: str) -> str:
        """The records behind a figure of the comparison period."""
        earlier = report.comparison
        args = _args_without("figure", "group", "period", "from", "to", "group_by")
        return url_for(
            endpoints["records"],
            figure=figure,
            period="custom",
            **{"from": earlier.date_from.isoformat()},
            to=earlier.date_to.isoformat(),
            **endpoints["kwargs"],
            **args,
        )

    return render_template(
        "promotion/reports/report.html",
        report=report,
        query=query,
        cooperative=cooperative,
        figures=FIGURES,
        filters=_filter_text(query),
        charts=_charts(report),
        outside=reports.outside_period(query),
        years_url=url_for(
            ".agency_page" if cooperative is None else ".workspace_page",
            **endpoints["kwargs"],
            **_args_without("group_by"),
            group_by="year",
        ),
        choices=_choices(cooperative),
        endpoints=endpoints,
        record_url=record_url,
        previous_url=previous_url,
        args=request.args,
        printable=printable,
        grouping=grouping,
        group_label=grouping.label if grouping else "",
    )


# --- exports -------------------------------------------------------------------------------------


def comparison_row_label(report: Report) -> str:
    if report.compares_year_earlier:
        return _("Same period a year earlier (%(period)s)", period=report.comparison_label)
    return _("Previous period (%(period)s)", period=report.comparison_label)


def export_rows(report: Report, cooperative: Cooperative | None) -> list[list]:
    """The exports' rows: a heading block, then the table as on the screen: each group, the total
    (last, as on the screen) and the comparison period, each row its label, every figure and, in a
    last column of its own, its machine key (a group's key, "total", "previous_period") for
    formulas and scripts. The same for CSV and XLSX."""
    query = report.query
    rows: list[list] = [
        [_("Commitment four: promotion activities report")],
        [_("Period"), report.period_label, query.date_from.isoformat(), query.date_to.isoformat()],
    ]
    if cooperative is not None:
        rows.append([_("Cooperative"), cooperative.name])
    for words in _filter_text(query):
        rows.append([_("Filter"), words])
    rows.append([_("Only approved activities count; an activity counts in the period in which it starts.")])
    rows.append([])
    grouping = GROUPINGS.get(query.group_by)  # None: no groups
    rows.append(
        [str(grouping.label) if grouping else "", *(str(label) for _n, label in FIGURES), _("Key (for machines)")]
    )
    for group in report.groups:
        rows.append([group.label, *group.figures.as_dict().values(), group.param])
    rows.append([_("Total"), *report.totals.as_dict().values(), TOTAL_KEY])
    if report.previous_year is not None:
        rows.append([comparison_row_label(report), *report.previous_year.as_dict().values(), COMPARISON_KEY])
    return rows


def _filename(report: Report, cooperative: Cooperative | None, extension: str) -> str:
    who = f"-{cooperative.slug}" if cooperative is not None else ""
    return f"promotion-report{who}-{report.query.date_from.isoformat()}-{report.query.date_to.isoformat()}.{extension}"


def _csv(cooperative: Cooperative | None) -> Response:
    report = reports.promotion_report(read_query(cooperative))
    out = io.StringIO()
    writer = csv.writer(out)
    for row in export_rows(report, cooperative):
        writer.writerow([safe_cell(v) for v in row])
    return Response(
        ("\ufeff" + out.getvalue()).encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="{_filename(report, cooperative, "csv")}"',
            "Cache-Control": "no-store",
        },
    )


def _xlsx(cooperative: Cooperative | None) -> Response:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    report = reports.promotion_report(read_query(cooperative))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Report")[:31]
    for row in export_rows(report, cooperative):
        append_xlsx_row(sheet, row)
        if row and row[-1] == TOTAL_KEY:
            for cell in sheet[sheet.max_row]:
                cell.font = Font(bold=True)
    for row in sheet.iter_rows(min_col=2):
        for cell in row:
            if isinstance(cell.value, int):
                cell.number_format = "#,##0"
    sheet.column_dimensions["A"].width = 36
    return xlsx_download(workbook, _filename(report, cooperative, "xlsx"))


# --- drill-downs ---------------------------------------------------------------------------------


def _records(cooperative: Cooperative | None):
    query = read_query(cooperative)
    figure = request.args.get("figure", "")
    if figure not in reports.FIGURE_NAMES:
        raise BadQuery(_("Unknown figure: %(name)s.", name=figure))
    group = request.args.get("group") or None
    report = reports.promotion_report(query, previous_year=False)
    endpoints = _endpoints(cooperative)
    context = {
        "report": report,
        "query": query,
        "cooperative": cooperative,
        "figure": figure,
        "figure_label": dict(FIGURES)[figure],
        "filters": _filter_text(query),
        "endpoints": endpoints,
        "back_url": url_for(
            ".agency_page" if cooperative is None else ".workspace_page",
            **endpoints["kwargs"],
            **_args_without("figure", "group"),
        ),
    }
    if group is not None:
        found = next((g for g in report.groups if g.param == group), None)
        if found is None:
            raise BadQuery(_("Unknown group: %(name)s.", name=group))
        context["group"] = found
        context["value"] = getattr(found.figures, figure)
    else:
        context["group"] = None
        context["value"] = getattr(report.totals, figure)
    if figure in ACTIVITY_FIGURES:
        context["activities"] = reports.drill_activities(report, group)
        context["column"] = ACTIVITY_FIGURES[figure]
    elif figure == "cooperatives_reached":
        context["cooperatives"] = reports.drill_cooperatives(report, group)
    elif figure == "products_introduced":
        context["products"] = reports.drill_products(report, group)
    elif figure == "platform_sales_vnd":
        context["parts"] = reports.drill_platform_parts(report, group)
    else:  # sales_measured_vnd
        context["parts"], context["onsite"] = reports.drill_measured(report, group)
    from marketplace.orders.labels import STATUS_LABELS

    return render_template("promotion/reports/records.html", status_labels=STATUS_LABELS, **context)


# --- agency --------------------------------------------------------------------------------------


@bp.get(AGENCY_URL)
@roles_required(Role.AGENCY_STAFF)
def agency_page():
    return _render(None)


@bp.get(AGENCY_URL + "/print")
@roles_required(Role.AGENCY_STAFF)
def agency_print():
    return _render(None, printable=True)


@bp.get(AGENCY_URL + ".csv")
@roles_required(Role.AGENCY_STAFF)
def agency_csv():
    return _csv(None)


@bp.get(AGENCY_URL + ".xlsx")
@roles_required(Role.AGENCY_STAFF)
def agency_xlsx():
    return _xlsx(None)


@bp.get(AGENCY_URL + "/records")
@roles_required(Role.AGENCY_STAFF)
def agency_records():
    return _records(None)


# --- a cooperative's own -------------------------------------------------------------------------


@bp.get(WORKSPACE_URL)
@login_required
def workspace_page(coop_slug: str):
    return _render(managed_cooperative(coop_slug))


@bp.get(WORKSPACE_URL + "/print")
@login_required
def workspace_print(coop_slug: str):
    return _render(managed_cooperative(coop_slug), printable=True)


@bp.get(WORKSPACE_URL + ".csv")
@login_required
def workspace_csv(coop_slug: str):
    return _csv(managed_cooperative(coop_slug))


@bp.get(WORKSPACE_URL + ".xlsx")
@login_required
def workspace_xlsx(coop_slug: str):
    return _xlsx(managed_cooperative(coop_slug))


@bp.get(WORKSPACE_URL + "/records")
@login_required
def workspace_records(coop_slug: str):
    return _records(managed_cooperative(coop_slug))


# --- an activity's tracking link -----------------------------------------------------------------


@bp.post("/agency/promotion/<int:activity_id>/tracking-link")
@roles_required(Role.AGENCY_STAFF)
def create_tracking_link(activity_id: int):
    activity = db.get_or_404(PromotionActivity, activity_id)
    with attempt() as outcome:
        tracking.create_tracking_link(activity, current_user)
    if not outcome.done:
        return redirect(url_for("promotion.detail", activity_id=activity.id)), 303
    logger.info(
        "Tracking link %s created for activity %s by user %s", activity.tracking_code, activity.id, current_user.id
    )
    flash(_("Tracking link created: print its poster or share the link."), "success")
    return redirect(url_for("promotion.detail", activity_id=activity.id) + "#tracking-link"), 303


@bp.get("/agency/promotion/<int:activity_id>/tracking-poster")
@roles_required(Role.AGENCY_STAFF)
def tracking_poster(activity_id: int):
    from marketplace.fairs import posters

    activity = db.get_or_404(PromotionActivity, activity_id)
    if not activity.tracking_code:
        abort(404)
    poster = _activity_poster(activity)
    return render_template(
        "promotion/reports/tracking_poster.html", activity=activity, poster=poster, qr=posters.qr_svg(poster)
    )


def _activity_poster(activity: PromotionActivity):
    from marketplace.core.formatting import format_day
    from marketplace.fairs import posters

    first, last = format_day(activity.start_date), format_day(activity.end_date)
    return posters.Poster(
        code=activity.tracking_code,
        url=posters.short_url(activity.tracking_code),
        fair_name=activity.title,
        dates=first if first == last else f"{first} – {last}",
        venue=activity.place,
        booth_number=None,
        cooperative_name=", ".join(c.name for c in activity.cooperatives) or None,
        call_to_action=_("Scan to see the products and order online"),
    )
