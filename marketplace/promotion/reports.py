"""Commitment-four reports: what the approved promotion activities of a period did and achieved.

One function computes every number (`promotion_report`); the report page, its CSV and XLSX
exports, the print page, the JSON API and the programme dashboard all show what it returns,
so they cannot differ. The drill-downs (`drill_*`) list the records behind a number from the
same loaded data and the same query pieces, so their counts agree with the report's.

Rules (every amount whole đồng):
- Only APPROVED activities count.
- An activity counts in the period in which it STARTS: start_date within [date_from, date_to],
  both ends inclusive. So an activity is never counted twice by consecutive periods (months add
  up to their quarter and year), and month/year groups add up to the total.
- Filters: agency (an organising agency), activity type, province, ward; cooperative and youth
  keep the activities in which such a cooperative took part AND limit the cooperative-dependent
  figures (cooperatives reached, products introduced, measured and platform sales) to those
  cooperatives. A cooperative's own view (`cooperative_scope`) works the same way: its
  activities, its products, its measured and platform sales; the reported results shown are
  those of the activities it took part in.
- cooperatives_reached: distinct cooperatives (a cooperative in two activities counts once).
  products_introduced: distinct products.
- Reported figures (visitors, business contacts, contracts, sales reported, budget, media items)
  are the activities' own, summed.
- sales_measured_vnd: for an activity linked to a fair, that fair's attributed online revenue
  plus its on-site sales (the definitions of marketplace.fairs.results: parts not cancelled,
  items only; sales not voided nor in conflict) — a fair linked by several activities counts once in any total;
  for an activity's own tracking link, the items total (parts not cancelled) of orders whose
  source_activity_id is the activity. Measured results are the activity's whole results, not
  cut to the period.
- platform_sales_vnd: the items total of order parts (not cancelled) of the participating
  cooperatives placed within the period (days in Asia/Ho_Chi_Minh); in a month or year group,
  within that month or year of the period.
- Comparison (comparison_period): a period of a year or less with the same period a year earlier;
  a longer one with the period of the same length just before it, when that lies inside the
  programme; the whole programme with none (it would count its own years on both sides).
- Speed: a report and its comparison take 7 SQL statements (8 grouped by agency) whatever
  the grouping; order parts are summed in SQL (platform sales in one pass for both periods), the
  activities' rows (a few thousand at most) are combined in Python so that distinct cooperatives and
  products stay right in every group. See bench/reports.py.
- Groups by agency, cooperative and youth can overlap (an activity with two agencies is in both
  groups; GROUPINGS marks them `overlaps`), so those groups need not add up to the total; type,
  province, ward, year and month groups partition the activities.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import aliased

from marketplace.accounts.models import Agency
from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.extensions import db
from marketplace.fairs.models import Booth, OnSiteSale
from marketplace.fairs.onsite import counted as counted_onsite
from marketplace.orders.models import Order, OrderPart, PartStatus
from marketplace.promotion.models import (
    ActivityStatus,
    ActivityType,
    PromotionActivity,
    promotion_agencies,
    promotion_cooperatives,
    promotion_products,
)

PROGRAM_START = date(2023, 1, 1)
PROGRAM_END = date(2025, 12, 31)
UTC_OFFSET = timedelta(hours=7)  # Asia/Ho_Chi_Minh, no daylight saving
PLATFORM_IN_LIMIT = 100

# The figures in the order the page, the exports and the API show them: (field, label).
FIGURES = (
    ("activities", _l("Activities")),
    ("cooperatives_reached", _l("Cooperatives reached")),
    ("products_introduced", _l("Products introduced")),
    ("visitors", _l("Visitors")),
    ("business_contacts", _l("Business contacts")),
    ("contracts_count", _l("Contracts or MoUs")),
    ("contracts_value_vnd", _l("Contracts value (VND)")),
    ("sales_reported_vnd", _l("Sales reported (VND)")),
    ("sales_measured_vnd", _l("Sales measured (VND)")),
    ("platform_sales_vnd", _l("Platform sales of participating cooperatives (VND)")),
    ("budget_vnd", _l("Budget (VND)")),
    ("media_items", _l("Media items")),
)
FIGURE_NAMES = tuple(name for name, _label in FIGURES)
# Reported figures: the activity's own columns, summed.
_SUMMED = {
    "visitors": "visitors",
    "business_contacts": "business_contacts",
    "contracts_count": "contracts_count",
    "contracts_value_vnd": "contracts_value_vnd",
    "sales_reported_vnd": "sales_vnd",
    "budget_vnd": "budget_vnd",
    "media_items": "media_items",
}


@dataclass
class Figures:
    activities: int = 0
    cooperatives_reached: int = 0
    products_introduced: int = 0
    visitors: int = 0
    business_contacts: int = 0
    contracts_count: int = 0
    contracts_value_vnd: int = 0
    sales_reported_vnd: int = 0
    sales_measured_vnd: int = 0
    platform_sales_vnd: int = 0
    budget_vnd: int = 0
    media_items: int = 0

    def as_dict(self) -> dict[str, int]:
        return {f.name: int(getattr(self, f.name)) for f in fields(self)}


@dataclass
class Group:
    key: object  # type value, agency/cooperative id, province/ward code (None: no place), year, "YYYY-MM", youth/other
    label: str
    figures: Figures

    @property
    def param(self) -> str:
        """The key as it goes in a drill-down URL."""
        return "none" if self.key is None else str(self.key)


class BadQuery(ValueError):
    """A report query that cannot be answered (unknown group, dates the wrong way round)."""


@dataclass
class ReportQuery:
    date_from: date
    date_to: date  # inclusive
    group_by: str | None = None
    agency_id: int | None = None
    activity_type: str | None = None
    cooperative_id: int | None = None
    province_code: int | None = None
    ward_code: int | None = None
    youth: bool | None = None
    cooperative_scope: int | None = None  # a cooperative's own view

    def __post_init__(self):
        if self.group_by == "":
            self.group_by = None
        if self.group_by is not None and self.group_by not in GROUPINGS:
            raise BadQuery(_("Unknown grouping: %(name)s.", name=self.group_by))
        if self.date_to < self.date_from:
            raise BadQuery(_("The end of the period is before its start."))
        if self.activity_type == "":
            self.activity_type = None
        if self.activity_type is not None and self.activity_type not in {t.value for t in ActivityType}:
            raise BadQuery(_("Unknown activity type: %(name)s.", name=self.activity_type))

    def shifted(self, period: tuple[date, date]) -> ReportQuery:
        """The same filters over another period, no groups."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(date_from=period[0], date_to=period[1], group_by=None)
        return ReportQuery(**values)

    def comparison(self) -> ReportQuery | None:
        """The query the report compares with (see comparison_period), or None."""
        period = comparison_period(self.date_from, self.date_to)
        return None if period is None else self.shifted(period)

    def coop_ok(self, cooperative_id: int, is_youth: bool) -> bool:
        """Whether the cooperative-dependent figures count this cooperative."""
        return (
            (self.cooperative_id is None or cooperative_id == self.cooperative_id)
            and (self.cooperative_scope is None or cooperative_id == self.cooperative_scope)
            and (self.youth is None or bool(is_youth) == self.youth)
        )

    @property
    def limits_cooperatives(self) -> bool:
        return self.cooperative_id is not None or self.cooperative_scope is not None or self.youth is not None


@dataclass
class Members:
    """What a total or a group counts: its activities, the cooperatives it may count, its time slice."""

    activity_ids: list[int]
    coop_ids: set[int] | None  # None: any cooperative (measured sales are the whole fair's)
    months: set[str] | None = None  # the "YYYY-MM" key of a month group, the "YYYY" key of a year group


@dataclass
class Report:
    query: ReportQuery
    totals: Figures
    groups: list[Group] = field(default_factory=list)
    # The figures of the comparison period (comparison_period), None when there is none. Named
    # previous_year for the JSON API, whose key it is; for a period of a year or less it is one.
    previous_year: Figures | None = None
    comparison: ReportQuery | None = None
    members: dict = field(default_factory=dict, repr=False)  # param ("" for the totals) -> Members
    data: object = field(default=None, repr=False)  # what was loaded, for the drill-downs

    @property
    def period_label(self) -> str:
        return period_label(self.query.date_from, self.query.date_to)

    @property
    def comparison_label(self) -> str:
        return "" if self.comparison is None else period_label(self.comparison.date_from, self.comparison.date_to)

    @property
    def compares_year_earlier(self) -> bool:
        """Whether the comparison is the same period a year earlier (else: the period just before)."""
        return self.comparison is not None and self.comparison.date_from == _year_earlier(self.query.date_from)

    def change(self, name: str) -> int | None:
        """The year-over-year change of a figure in whole percent, or None without a base."""
        if self.previous_year is None:
            return None
        before = getattr(self.previous_year, name)
        if not before:
            return None
        return round((getattr(self.totals, name) - before) * 100 / before)


# --- periods -------------------------------------------------------------------------------------

_QUARTER = re.compile(r"^(\d{4})-?Q([1-4])$", re.IGNORECASE)
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_YEAR = re.compile(r"^(\d{4})$")
_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\s*(?:\.\.|/|to)\s*(\d{4}-\d{2}-\d{2})$")


def _year_earlier(day: date) -> date:
    if day.month == 2 and day.day == 29:
        return date(day.year - 1, 2, 28)
    return day.replace(year=day.year - 1)


def comparison_period(date_from: date, date_to: date) -> tuple[date, date] | None:
    """The period a report compares with: one of the same length that does not overlap it.

    - A period of a year or less (a month, a quarter, a year, a short range): the same period a
      year earlier, so a month is compared with the same month of the year before (no season
      in between) and the two never overlap.
    - A longer period: the period of the same length just before it (whole months when the period
      is whole months: 2024-11..2025-12 against 2023-09..2024-10), but only when that lies inside
      the programme; before the programme there is nothing recorded to compare with. So the whole
      programme 2023-2025 has no comparison (its years side by side: group by year).
    """
    earlier = (_year_earlier(date_from), _year_earlier(date_to))
    if earlier[1] < date_from:
        return earlier
    if date_from.day == 1 and date_to == month_range(date_to.year, date_to.month)[1]:
        months = (date_to.year - date_from.year) * 12 + date_to.month - date_from.month + 1
        index = date_from.year * 12 + date_from.month - 1 - months
        start = date(index // 12, index % 12 + 1, 1)
    else:
        start = date_from - (date_to - date_from) - timedelta(days=1)
    if start < PROGRAM_START:
        return None
    return start, date_from - timedelta(days=1)


def month_range(year: int, month: int) -> tuple[date, date]:
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def quarter_range(year: int, quarter: int) -> tuple[date, date]:
    first = 3 * (quarter - 1) + 1
    return date(year, first, 1), month_range(year, first + 2)[1]


def year_range(year: int) -> tuple[date, date]:
    return date(year, 1, 1), date(year, 12, 31)


def program_range() -> tuple[date, date]:
    return PROGRAM_START, PROGRAM_END


def parse_period(text: str) -> tuple[date, date]:
    """ "program", "2024", "2024-Q2", "2024-05" or "2024-01-01..2024-03-31" as (first day, last day).
    Raises BadQuery for anything else."""
    value = (text or "").strip()
    try:
        if value.lower() in ("program", "programme", "all"):
            return program_range()
        if m := _QUARTER.match(value):
            return quarter_range(int(m[1]), int(m[2]))
        if m := _MONTH.match(value):
            return month_range(int(m[1]), int(m[2]))
        if m := _YEAR.match(value):
            return year_range(int(m[1]))
        if m := _RANGE.match(value):
            start, end = date.fromisoformat(m[1]), date.fromisoformat(m[2])
            if end < start:
                raise BadQuery(_("The end of the period is before its start."))
            return start, end
    except ValueError as error:
        if isinstance(error, BadQuery):
            raise
    raise BadQuery(_("Unknown period: %(text)s.", text=value))


def period_label(date_from: date, date_to: date) -> str:
    """How a period reads on the page: 'Q2/2024', '05/2024', '2024', the programme, or a range."""
    if (date_from, date_to) == program_range():
        return _("Whole programme 2023–2025")
    if (date_from.month, date_from.day, date_to.month, date_to.day) == (
        1,
        1,
        12,
        31,
    ) and date_from.year == date_to.year:
        return str(date_from.year)
    if date_from.day == 1 and date_from.year == date_to.year:
        if date_to == month_range(date_from.year, date_from.month)[1]:
            return f"{date_from.month:02d}/{date_from.year}"
        if date_from.month % 3 == 1 and date_to == quarter_range(date_from.year, date_from.month // 3 + 1)[1]:
            return f"Q{date_from.month // 3 + 1}/{date_from.year}"
    return f"{date_from:%d/%m/%Y} – {date_to:%d/%m/%Y}"


def utc_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[start, end) in naive UTC of the local days date_from..date_to."""
    start = datetime.combine(date_from, datetime.min.time()) - UTC_OFFSET
    end = datetime.combine(date_to + timedelta(days=1), datetime.min.time()) - UTC_OFFSET
    return start, end


def _months(date_from: date, date_to: date) -> list[str]:
    keys, year, month = [], date_from.year, date_from.month
    while (year, month) <= (date_to.year, date_to.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def _month_bounds(key: str, query: ReportQuery) -> tuple[datetime, datetime]:
    """The UTC bounds of a month ("YYYY-MM") or year ("YYYY") key cut to the query's period."""
    first, last = year_range(int(key)) if len(key) == 4 else month_range(int(key[:4]), int(key[5:]))
    return utc_bounds(max(first, query.date_from), min(last, query.date_to))


# --- the shared query pieces ---------------------------------------------------------------------


def activity_ids_select(query: ReportQuery) -> sa.Select:
    """The ids of the activities a query counts (the one definition every figure starts from)."""
    return _ids_select(query, [(query.date_from, query.date_to)])


def _ids_select(query: ReportQuery, periods: list[tuple[date, date]]) -> sa.Select:
    """activity_ids_select for activities starting in any of `periods` (the period and the year before)."""
    A = PromotionActivity
    pc = promotion_cooperatives.c
    select = sa.select(A.id).where(
        A.status == ActivityStatus.APPROVED,
        sa.or_(*(sa.and_(A.start_date >= first, A.start_date <= last) for first, last in periods)),
    )
    if query.activity_type:
        select = select.where(A.type == ActivityType(query.activity_type))
    if query.province_code is not None:
        select = select.where(A.province_code == query.province_code)
    if query.ward_code is not None:
        select = select.where(A.ward_code == query.ward_code)
    if query.agency_id is not None:
        select = select.where(
            A.id.in_(
                sa.select(promotion_agencies.c.activity_id).where(promotion_agencies.c.agency_id == query.agency_id)
            )
        )
    for coop_id in (query.cooperative_id, query.cooperative_scope):
        if coop_id is not None:
            select = select.where(A.id.in_(sa.select(pc.activity_id).where(pc.cooperative_id == coop_id)))
    if query.youth is not None:
        select = select.where(
            A.id.in_(
                sa.select(pc.activity_id)
                .join(Cooperative, Cooperative.id == pc.cooperative_id)
                .where(Cooperative.is_youth == query.youth)
            )
        )
    return select


def counted_part():
    """An order part's items count as sales when the part is not cancelled (fairs.results' rule)."""
    return OrderPart.status != PartStatus.CANCELLED


def platform_parts_where(coop_ids, start: datetime, end: datetime) -> list:
    """Order parts counted in platform sales: these cooperatives', not cancelled, placed in [start, end)."""
    return [
        OrderPart.cooperative_id.in_(sorted(coop_ids)),
        counted_part(),
        OrderPart.created_at >= start,
        OrderPart.created_at < end,
    ]


def _local_bucket(column, unit: str):
    """The month or year of a naive UTC column in Asia/Ho_Chi_Minh, in SQL (see _bucket_key)."""
    if db.session.get_bind().dialect.name == "postgresql":
        local = column + sa.text("interval '7 hours'")
        # date_trunc and extract cost about half of to_char on 100k rows.
        return sa.func.date_trunc("month", local) if unit == "month" else sa.extract("year", local)
    return sa.func.strftime("%Y-%m" if unit == "month" else "%Y", column, "+7 hours")


def _bucket_key(value, unit: str) -> str:
    """'YYYY-MM' or 'YYYY' from what _local_bucket returns (a string, a timestamp or a number)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if unit == "month":
        return f"{value:%Y-%m}"
    return str(int(value))


# --- loading -------------------------------------------------------------------------------------


@dataclass
class _Data:
    rows: dict[int, sa.Row]
    coops_of: dict[int, list[int]]
    coop_info: dict[int, tuple[str, bool]]  # id -> (name, is_youth)
    agencies_of: dict[int, list[int]]
    agency_names: dict[int, str]
    products_of: dict[int, list[tuple[int, int]]]  # activity -> [(product, its cooperative)]
    fair_sales: dict[int, dict[int, int]]  # fair -> {cooperative: measured sales}
    tracked_sales: dict[int, dict[int, int]]  # activity -> {cooperative: measured sales}
    platform: dict[int, dict[str, int]]  # cooperative -> {"YYYY-MM" or "": platform sales}
    summed: dict[int, tuple[int, ...]] = field(default_factory=dict)  # activity -> its _SUMMED columns

    def __post_init__(self):
        self.summed = {i: tuple(int(getattr(r, c) or 0) for c in _SUMMED.values()) for i, r in self.rows.items()}


def _load(query: ReportQuery, *, agencies: bool, bucket: str | None, earlier: ReportQuery | None = None) -> list[_Data]:
    """What the figures of `query` (and of `earlier`, the same filters a year before) are computed
    from, in one set of queries for both periods: [data of query] or [data of query, of earlier]."""
    A = PromotionActivity
    queries = [query] if earlier is None else [query, earlier]
    ids = _ids_select(query, [(q.date_from, q.date_to) for q in queries]).scalar_subquery()
    pc = promotion_cooperatives.c
    loaded = db.session.execute(
        sa.select(
            A.id,
            A.type,
            A.start_date,
            A.province_code,
            A.ward_code,
            A.fair_id,
            A.tracking_code,
            A.budget_vnd,
            A.visitors,
            A.business_contacts,
            A.contracts_count,
            A.contracts_value_vnd,
            A.sales_vnd,
            A.media_items,
        ).where(A.id.in_(ids))
    ).all()
    rows_of = [{row.id: row for row in loaded if q.date_from <= row.start_date <= q.date_to} for q in queries]
    coop_info = {
        cid: (name, bool(youth))
        for cid, name, youth in db.session.execute(sa.select(Cooperative.id, Cooperative.name, Cooperative.is_youth))
    }
    coops_of: dict[int, list[int]] = {}
    for activity_id, coop_id in db.session.execute(
        sa.select(pc.activity_id, pc.cooperative_id).where(pc.activity_id.in_(ids))
    ):
        coops_of.setdefault(activity_id, []).append(coop_id)
    agencies_of: dict[int, list[int]] = {}
    agency_names: dict[int, str] = {}
    if agencies:
        pa = promotion_agencies.c
        for activity_id, agency_id, name in db.session.execute(
            sa.select(pa.activity_id, pa.agency_id, Agency.name)
            .join(Agency, Agency.id == pa.agency_id)
            .where(pa.activity_id.in_(_ids_select(query, [(query.date_from, query.date_to)]).scalar_subquery()))
        ):
            agencies_of.setdefault(activity_id, []).append(agency_id)
            agency_names[agency_id] = name
    pp = promotion_products.c
    products_of: dict[int, list[tuple[int, int]]] = {}
    for activity_id, product_id, coop_id in db.session.execute(
        sa.select(pp.activity_id, pp.product_id, Product.cooperative_id)
        .join(Product, Product.id == pp.product_id)
        .where(pp.activity_id.in_(ids))
    ):
        products_of.setdefault(activity_id, []).append((product_id, coop_id))

    # Measured sales: online orders credited to the linked fairs or to the activities' own links
    # (one pass over the order parts), then the fairs' on-site sales.
    fair_sales: dict[int, dict[int, int]] = {}
    tracked_sales: dict[int, dict[int, int]] = {}
    fairs = sorted({row.fair_id for row in loaded if row.fair_id is not None})
    tracked = sorted(row.id for row in loaded)  # an order names its activity only through that activity's link
    credited = []
    if fairs:
        credited.append(Order.source_fair_id.in_(fairs))
    if tracked:
        credited.append(Order.source_activity_id.in_(tracked))
    if credited:
        fair_set, tracked_set = set(fairs), set(tracked)
        for fair_id, activity_id, coop_id, total in db.session.execute(
            sa.select(
                Order.source_fair_id,
                Order.source_activity_id,
                OrderPart.cooperative_id,
                sa.func.sum(OrderPart.items_total_vnd),
            )
            .join(OrderPart, OrderPart.order_id == Order.id)
            .where(sa.or_(*credited), counted_part())
            .group_by(Order.source_fair_id, Order.source_activity_id, OrderPart.cooperative_id)
        ):
            if fair_id in fair_set:
                by_coop = fair_sales.setdefault(fair_id, {})
                by_coop[coop_id] = by_coop.get(coop_id, 0) + int(total or 0)
            if activity_id in tracked_set:
                by_coop = tracked_sales.setdefault(activity_id, {})
                by_coop[coop_id] = by_coop.get(coop_id, 0) + int(total or 0)
    if fairs:
        for fair_id, coop_id, total in db.session.execute(
            sa.select(Booth.fair_id, Booth.cooperative_id, sa.func.sum(OnSiteSale.total_vnd))
            .join(Booth, Booth.id == OnSiteSale.booth_id)
            .where(Booth.fair_id.in_(fairs), counted_onsite())
            .group_by(Booth.fair_id, Booth.cooperative_id)
        ):
            by_coop = fair_sales.setdefault(fair_id, {})
            by_coop[coop_id] = by_coop.get(coop_id, 0) + int(total or 0)

    platforms = _platform(queries, rows_of, coops_of, coop_info, bucket)
    return [
        _Data(rows, coops_of, coop_info, agencies_of, agency_names, products_of, fair_sales, tracked_sales, platform)
        for rows, platform in zip(rows_of, platforms, strict=True)
    ]


def _platform(queries, rows_of, coops_of, coop_info, bucket: str | None) -> list[dict[int, dict[str, int]]]:
    """Platform sales of each period's participating cooperatives, {cooperative: {month, year or "": amount}},
    in one pass over the order parts of all the periods (a conditional sum per period)."""
    participating = [
        {c for activity_id in rows for c in coops_of.get(activity_id, ()) if q.coop_ok(c, coop_info[c][1])}
        for q, rows in zip(queries, rows_of, strict=True)
    ]
    result: list[dict[int, dict[str, int]]] = [{} for _q in queries]
    every = set().union(*participating)
    if not every:
        return result
    bounds = [utc_bounds(q.date_from, q.date_to) for q in queries]
    coop_column = OrderPart.cooperative_id
    if db.session.get_bind().dialect.name == "sqlite":
        # SQLite would walk the (cooperative_id, status) index for the GROUP BY order and fetch
        # every row from the table by rowid, ~4x slower than a scan: "+ 0" keeps it off the index.
        coop_column = (OrderPart.cooperative_id + 0).label("cooperative_id")
    columns = [coop_column]
    if bucket:
        columns.append(_local_bucket(OrderPart.created_at, bucket))
    sums = [
        sa.func.sum(
            sa.case(
                (sa.and_(OrderPart.created_at >= start, OrderPart.created_at < end), OrderPart.items_total_vnd),
                else_=0,
            )
        )
        for start, end in bounds
    ]
    where = platform_parts_where(every, min(b[0] for b in bounds), max(b[1] for b in bounds))
    if len(every) > PLATFORM_IN_LIMIT:
        # Most cooperatives take part: one pass over the period's parts, the others dropped below,
        # is cheaper than hundreds of index probes (the same rows as the IN list selects).
        where = where[1:]
    select = sa.select(*columns, *sums).where(*where).group_by(*columns)
    for values in db.session.execute(select):
        coop_id = values[0]
        month = _bucket_key(values[1], bucket) if bucket else ""
        for index, total in enumerate(values[len(columns) :]):
            if coop_id in participating[index] and total:
                by_month_of = result[index].setdefault(coop_id, {})
                by_month_of[month] = by_month_of.get(month, 0) + int(total)
    return result


# --- computing -----------------------------------------------------------------------------------


def _figures(data: _Data, query: ReportQuery, members: Members) -> Figures:
    ok_coops = members.coop_ids
    limited = ok_coops is not None or query.limits_cooperatives
    if ok_coops is None and limited:
        ok_coops = {c for c, (_name, youth) in data.coop_info.items() if query.coop_ok(c, youth)}
    figures = Figures(activities=len(members.activity_ids))
    coops: set[int] = set()
    products: set[int] = set()
    fairs: set[int] = set()
    sums = [0] * len(_SUMMED)
    measured = 0
    for activity_id in members.activity_ids:
        for index, value in enumerate(data.summed[activity_id]):
            sums[index] += value
        fair_id = data.rows[activity_id].fair_id
        if fair_id is not None:
            fairs.add(fair_id)
        tracked = data.tracked_sales.get(activity_id)
        if limited:
            coops.update(c for c in data.coops_of.get(activity_id, ()) if c in ok_coops)
            products.update(p for p, c in data.products_of.get(activity_id, ()) if c in ok_coops)
            if tracked:
                measured += sum(v for c, v in tracked.items() if c in ok_coops)
        else:
            coops.update(data.coops_of.get(activity_id, ()))
            products.update(p for p, _c in data.products_of.get(activity_id, ()))
            if tracked:
                measured += sum(tracked.values())
    for fair_id in fairs:
        by_coop = data.fair_sales.get(fair_id, {})
        measured += sum(v for c, v in by_coop.items() if c in ok_coops) if limited else sum(by_coop.values())
    for name, value in zip(_SUMMED, sums, strict=True):
        setattr(figures, name, value)
    figures.sales_measured_vnd = measured
    figures.cooperatives_reached = len(coops)
    figures.products_introduced = len(products)
    for coop_id in coops:
        amounts = data.platform.get(coop_id, {})
        if members.months is None:
            figures.platform_sales_vnd += sum(amounts.values())
        else:
            figures.platform_sales_vnd += sum(v for k, v in amounts.items() if k in members.months)
    return figures


# --- groupings ----------------------------------------------------------------------------------
# Each grouping is a function from the loaded data to its groups, (key, label, Members) in display
# order, given the counted activities by start date; GROUPINGS below is the one list of them.


def _by_type(data: _Data, query: ReportQuery, rows: list) -> list[tuple[object, str, Members]]:
    from marketplace.promotion.services import TYPE_LABELS

    result = []
    for kind in ActivityType:
        ids = [r.id for r in rows if r.type == kind]
        if ids:
            result.append((kind.value, str(TYPE_LABELS[kind]), Members(ids, None)))
    return result


def _by_agency(data: _Data, query: ReportQuery, rows: list) -> list[tuple[object, str, Members]]:
    result = []
    for agency_id, name in sorted(data.agency_names.items(), key=lambda item: (item[1], item[0])):
        ids = [r.id for r in rows if agency_id in data.agencies_of.get(r.id, ())]
        result.append((agency_id, name, Members(ids, None)))
    return result


def _by_cooperative(data: _Data, query: ReportQuery, rows: list) -> list[tuple[object, str, Members]]:
    activities_of: dict[int, list[int]] = {}
    for r in rows:  # in start-date order
        for c in data.coops_of.get(r.id, ()):
            if query.coop_ok(c, data.coop_info[c][1]):
                activities_of.setdefault(c, []).append(r.id)
    return [
        (coop_id, data.coop_info[coop_id][0], Members(activities_of[coop_id], {coop_id}))
        for coop_id in sorted(activities_of, key=lambda c: (data.coop_info[c][0], c))
    ]


def _by_place(rows: list, column: str, name_of) -> list[tuple[object, str, Members]]:
    """Groups by a place code column, by name, activities without a place (online) last."""
    codes = {getattr(r, column) for r in rows}
    labelled = [(code, name_of(code) if code is not None else str(_("No place (online)"))) for code in codes]
    result = []
    for code, label in sorted(labelled, key=lambda item: (item[0] is None, item[1])):
        ids = [r.id for r in rows if getattr(r, column) == code]
        result.append((code, label or str(code), Members(ids, None)))
    return result


def _by_province(data: _Data, query: ReportQuery, rows: list) -> list[tuple[object, str, Members]]:
    return _by_place(rows, "province_code", geo.province_name)


def _by_ward(data: _Data, query: ReportQuery, rows: list) -> list[tuple[object, str, Members]]:
    return _by_place(rows, "ward_code", geo.ward_name)


def _by_year(data: _Data, query: ReportQuery, rows: list) -> list[tuple[object, str, Members]]:
    result = []
    for year in range(query.date_from.year, query.date_to.year + 1):
        ids = [r.id for r in rows if r.start_date.year == year]
        result.append((year, str(year), Members(ids, None, {f"{year:04d}"})))
    return result


def _by_month(data: _Data, query: ReportQuery, rows: list) -> list[tuple[object, str, Members]]:
    result = []
    for key in _months(query.date_from, query.date_to):
        ids = [r.id for r in rows if f"{r.start_date:%Y-%m}" == key]
        result.append((key, f"{key[5:]}/{key[:4]}", Members(ids, None, {key})))
    return result


def _by_youth(data: _Data, query: ReportQuery, rows: list) -> list[tuple[object, str, Members]]:
    result = []
    for key, flag, label in (("youth", True, _("Youth cooperatives")), ("other", False, _("Other cooperatives"))):
        if query.youth is not None and query.youth != flag:
            continue
        allowed = {c for c, (_name, youth) in data.coop_info.items() if youth == flag and query.coop_ok(c, youth)}
        ids = [r.id for r in rows if allowed & set(data.coops_of.get(r.id, ()))]
        if ids:
            result.append((key, str(label), Members(ids, allowed)))
    return result


@dataclass(frozen=True)
class Grouping:
    """One way of splitting a report into groups. Declared once, in GROUPINGS: the report query's
    check, the page's select, the exports' heading, the JSON API's check and the OpenAPI document
    all read it, so a grouping added there is offered everywhere it should be."""

    key: str  # the group_by value
    label: object  # lazy gettext: the page's option and the groups' column heading
    groups: Callable[[_Data, ReportQuery, list], list[tuple[object, str, Members]]]
    # What a group's key is, in the API's English (for the OpenAPI document); None: the JSON API
    # does not offer this grouping (it offers fewer than the page).
    api_key: str | None = None
    # Offered on a cooperative's own report: by agency or by cooperative says nothing there.
    for_cooperative: bool = True
    # An activity can be in several groups (two agencies, two cooperatives), so the groups need not
    # add up to the total; the page says so.
    overlaps: bool = False
    # Platform sales are loaded per local "month" or "year" for the groups' time slices.
    bucket: str | None = None
    # The activities' agencies are loaded (a statement the other groupings do without).
    agencies: bool = False


GROUPINGS = {
    grouping.key: grouping
    for grouping in (
        Grouping("type", _l("Activity type"), _by_type, api_key="the activity type value"),
        Grouping(
            "agency",
            _l("Agency"),
            _by_agency,
            api_key="the agency's id",
            for_cooperative=False,
            overlaps=True,
            agencies=True,
        ),
        Grouping(
            "cooperative",
            _l("Cooperative"),
            _by_cooperative,
            api_key="the cooperative's id",
            for_cooperative=False,
            overlaps=True,
        ),
        Grouping(
            "province", _l("Province"), _by_province, api_key="the official province code (null: online, no place)"
        ),
        Grouping("ward", _l("Ward"), _by_ward),
        Grouping("year", _l("Year"), _by_year, api_key="the year (of the activities' start dates)", bucket="year"),
        Grouping("month", _l("Month"), _by_month, bucket="month"),
        Grouping("youth", _l("Youth or other cooperatives"), _by_youth, overlaps=True),
    )
}
GROUP_BYS = tuple(GROUPINGS)  # in the order the page offers them
API_GROUP_BYS = tuple(key for key, grouping in GROUPINGS.items() if grouping.api_key is not None)


def _group_members(data: _Data, query: ReportQuery) -> list[tuple[object, str, Members]]:
    """(key, label, members) of every group of the query's grouping, in display order."""
    if query.group_by is None:
        return []
    rows = sorted(data.rows.values(), key=lambda r: (r.start_date, r.id))
    return GROUPINGS[query.group_by].groups(data, query, rows)


def promotion_report(query: ReportQuery, *, previous_year: bool = True) -> Report:
    """Totals, groups (if query.group_by) and the comparison period's totals (if asked and there
    is one: comparison_period)."""
    grouping = GROUPINGS.get(query.group_by)  # None: no groups
    earlier = query.comparison() if previous_year else None
    agencies, bucket = (grouping.agencies, grouping.bucket) if grouping else (False, None)
    loaded = _load(query, agencies=agencies, bucket=bucket, earlier=earlier)
    data = loaded[0]
    total_members = Members(sorted(data.rows, key=lambda i: (data.rows[i].start_date, i)), None)
    report = Report(query=query, totals=_figures(data, query, total_members), comparison=earlier)
    report.members[""] = total_members
    for key, label, members in _group_members(data, query):
        group = Group(key, label, _figures(data, query, members))
        report.groups.append(group)
        report.members[group.param] = members
    report.data = data
    if earlier is not None:
        before = loaded[1]
        report.previous_year = _figures(before, earlier, Members(sorted(before.rows), None))
    return report


@dataclass
class Outside:
    """What the chosen period leaves out, with the same filters: approved activities starting
    before or after it, and orders (a part not cancelled) of their cooperatives placed outside it."""

    activities_before: int = 0
    activities_after: int = 0
    orders: int = 0

    @property
    def activities(self) -> int:
        return self.activities_before + self.activities_after

    def __bool__(self) -> bool:
        return bool(self.activities or self.orders)


_EVER = (date(1900, 1, 1), date(9999, 12, 31))


def outside_period(query: ReportQuery) -> Outside:
    """Records outside query's period that its filters would otherwise count (two statements), so the
    page can say plainly that the period leaves them out (e.g. everything since 2026 when the period
    is the programme 2023-2025). Orders: of the cooperatives taking part in those activities in any
    period (limited like the report's cooperative figures), placed before or after the period."""
    A = PromotionActivity
    ids = _ids_select(query, [_EVER]).scalar_subquery()
    before, after = db.session.execute(
        sa.select(
            sa.func.count(sa.case((A.start_date < query.date_from, A.id))),
            sa.func.count(sa.case((A.start_date > query.date_to, A.id))),
        ).where(A.id.in_(ids))
    ).one()
    pc = promotion_cooperatives.c
    coops = (
        sa.select(pc.cooperative_id)
        .join(Cooperative, Cooperative.id == pc.cooperative_id)
        .where(pc.activity_id.in_(ids))
    )
    for coop_id in (query.cooperative_id, query.cooperative_scope):
        if coop_id is not None:
            coops = coops.where(pc.cooperative_id == coop_id)
    if query.youth is not None:
        coops = coops.where(Cooperative.is_youth == query.youth)
    start, end = utc_bounds(query.date_from, query.date_to)
    orders = db.session.scalar(
        sa.select(sa.func.count(sa.distinct(OrderPart.order_id))).where(
            OrderPart.cooperative_id.in_(coops.scalar_subquery()),
            counted_part(),
            sa.or_(OrderPart.created_at < start, OrderPart.created_at >= end),
        )
    )
    return Outside(int(before or 0), int(after or 0), int(orders or 0))


def today() -> date:
    """Today in Asia/Ho_Chi_Minh (tests replace it to fix the clock)."""
    return (datetime.now(UTC).replace(tzinfo=None) + UTC_OFFSET).date()


def offered_years() -> list[int]:
    """The years the period picker offers: from the programme's first to this year (at least the
    year after the programme), so records since 2026 can be reported."""
    return list(range(PROGRAM_START.year, max(PROGRAM_END.year + 1, today().year) + 1))


# --- drill-downs ---------------------------------------------------------------------------------


def _members(report: Report, group: str | None) -> Members:
    members = report.members.get(group or "")
    if members is None:
        raise BadQuery(_("Unknown group: %(name)s.", name=group))
    return members


def _coop_filter(report: Report, members: Members):
    data = report.data
    if members.coop_ids is not None:
        return lambda c: c in members.coop_ids
    return lambda c: report.query.coop_ok(c, data.coop_info.get(c, ("", False))[1])


def drill_activities(report: Report, group: str | None = None) -> list[PromotionActivity]:
    """The activities a total (group None) or a group counts, by start date."""
    from sqlalchemy.orm import selectinload

    ids = _members(report, group).activity_ids
    if not ids:
        return []
    found = {
        a.id: a
        for a in db.session.scalars(
            sa.select(PromotionActivity)
            .where(PromotionActivity.id.in_(ids))
            .options(selectinload(PromotionActivity.agencies), selectinload(PromotionActivity.cooperatives))
        )
    }
    return [found[i] for i in ids if i in found]


def drill_cooperatives(report: Report, group: str | None = None) -> list[Cooperative]:
    """The distinct cooperatives reached, by name."""
    members = _members(report, group)
    ok = _coop_filter(report, members)
    data = report.data
    ids = {c for a in members.activity_ids for c in data.coops_of.get(a, ()) if ok(c)}
    if not ids:
        return []
    return list(
        db.session.scalars(sa.select(Cooperative).where(Cooperative.id.in_(sorted(ids))).order_by(Cooperative.name))
    )


def _platform_bounds(report: Report, members: Members) -> list[tuple[datetime, datetime]]:
    if members.months is None:
        return [utc_bounds(report.query.date_from, report.query.date_to)]
    return [_month_bounds(key, report.query) for key in sorted(members.months)]


def drill_platform_parts(report: Report, group: str | None = None) -> list[OrderPart]:
    """The order parts whose items make up platform_sales_vnd: newest first."""
    members = _members(report, group)
    coops = {c.id for c in drill_cooperatives(report, group)}
    if not coops:
        return []
    from sqlalchemy.orm import joinedload

    where = sa.or_(
        *(sa.and_(*platform_parts_where(coops, start, end)) for start, end in _platform_bounds(report, members))
    )
    return list(
        db.session.scalars(
            sa.select(OrderPart)
            .where(where)
            .options(joinedload(OrderPart.order), joinedload(OrderPart.cooperative))
            .order_by(OrderPart.created_at.desc(), OrderPart.id.desc())
        )
    )


def drill_measured(report: Report, group: str | None = None) -> tuple[list[OrderPart], list[OnSiteSale]]:
    """The attributed order parts and on-site sales whose amounts make up sales_measured_vnd."""
    from sqlalchemy.orm import joinedload

    members = _members(report, group)
    data = report.data
    limited = members.coop_ids is not None or report.query.limits_cooperatives
    ok = _coop_filter(report, members)
    fairs = sorted({data.rows[a].fair_id for a in members.activity_ids if data.rows[a].fair_id is not None})
    conditions = [Order.source_activity_id.in_(members.activity_ids)] if members.activity_ids else []
    if fairs:
        conditions.append(Order.source_fair_id.in_(fairs))
    parts: list[OrderPart] = []
    if conditions:
        parts = [
            part
            for part in db.session.scalars(
                sa.select(OrderPart)
                .join(Order, Order.id == OrderPart.order_id)
                .where(sa.or_(*conditions), counted_part())
                .options(joinedload(OrderPart.order), joinedload(OrderPart.cooperative))
                .order_by(Order.created_at.desc(), OrderPart.id.desc())
            )
            if not limited or ok(part.cooperative_id)
        ]
    sales: list[OnSiteSale] = []
    if fairs:
        sales = [
            sale
            for sale in db.session.scalars(
                sa.select(OnSiteSale)
                .join(Booth, Booth.id == OnSiteSale.booth_id)
                .where(Booth.fair_id.in_(fairs), counted_onsite())
                .options(joinedload(OnSiteSale.booth))
                .order_by(OnSiteSale.id.desc())
            )
            if not limited or ok(sale.booth.cooperative_id)
        ]
    return parts, sales


def activity_measured(activity: PromotionActivity) -> dict[str, int]:
    """One activity's measured figures beside its reported ones (its detail page): the linked
    fair's attributed online orders and revenue, on-site sales and new customers
    (fairs.results.fair_results), the orders of its own tracking link, the new customers among
    those, and how many cooperatives sold through either (not cancelled parts, only counted on-site sales)."""
    result = {
        "fair_orders": 0,
        "fair_online_vnd": 0,
        "fair_onsite_vnd": 0,
        "fair_new_customers": 0,
        "tracked_orders": 0,
        "tracked_vnd": 0,
        "tracked_new_customers": 0,
    }
    sold_by: set[int] = set()
    if activity.fair is not None:
        from marketplace.fairs.results import fair_results

        total = fair_results(activity.fair).total
        result["fair_orders"] = total.orders
        result["fair_online_vnd"] = total.online_revenue_vnd
        result["fair_onsite_vnd"] = total.onsite_revenue_vnd
        result["fair_new_customers"] = total.new_customers
        sold_by.update(
            db.session.scalars(
                sa.select(OrderPart.cooperative_id)
                .join(Order, Order.id == OrderPart.order_id)
                .where(Order.source_fair_id == activity.fair_id, counted_part())
            )
        )
        sold_by.update(
            db.session.scalars(
                sa.select(Booth.cooperative_id)
                .join(OnSiteSale, OnSiteSale.booth_id == Booth.id)
                .where(Booth.fair_id == activity.fair_id, counted_onsite())
            )
        )
    tracked = sa.and_(Order.source_activity_id == activity.id, counted_part())
    orders, revenue = db.session.execute(
        sa.select(sa.func.count(sa.distinct(Order.id)), sa.func.coalesce(sa.func.sum(OrderPart.items_total_vnd), 0))
        .join(OrderPart, OrderPart.order_id == Order.id)
        .where(tracked)
    ).one()
    result["tracked_orders"], result["tracked_vnd"] = int(orders), int(revenue)
    # A new customer: the phone number had no order on the platform before (fairs.results' rule).
    earlier = aliased(Order)
    result["tracked_new_customers"] = int(
        db.session.scalar(
            sa.select(sa.func.count(sa.distinct(Order.contact_phone)))
            .join(OrderPart, OrderPart.order_id == Order.id)
            .where(
                tracked,
                ~sa.exists().where(earlier.contact_phone == Order.contact_phone, earlier.created_at < Order.created_at),
            )
        )
        or 0
    )
    sold_by.update(
        db.session.scalars(
            sa.select(OrderPart.cooperative_id).join(Order, Order.id == OrderPart.order_id).where(tracked)
        )
    )
    result["measured_vnd"] = result["fair_online_vnd"] + result["fair_onsite_vnd"] + result["tracked_vnd"]
    result["attributed_orders"] = result["fair_orders"] + result["tracked_orders"]
    result["new_customers"] = result["fair_new_customers"] + result["tracked_new_customers"]
    result["cooperatives_sold"] = len(sold_by)
    return result


def drill_products(report: Report, group: str | None = None) -> list[Product]:
    """The distinct products introduced, by name."""
    members = _members(report, group)
    ok = _coop_filter(report, members)
    data = report.data
    ids = {p for a in members.activity_ids for p, c in data.products_of.get(a, ()) if ok(c)}
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Product).where(Product.id.in_(sorted(ids))).order_by(Product.name)))
