"""Commitment-four reports on a small hand-computed dataset: totals, every group, filters,
periods, the year before, drill-downs, exports equal to the screen, who sees what.

Cooperatives A "HTX An" (youth), B "HTX Bình" (youth), C "HTX Cường" (not youth);
products a1 (A, 100.000), b1 (B, 200.000), c1 (C, 30.000). Fair F with A's booth.

Activities (approved unless said):
  X1 conference   2024-03-10 Bắc Ninh/Lục Ngạn  YU     A,B  a1,b1  budget 10M visitors 100  contacts 5
                  contracts 2 (50M) sales 20M media 1
  X2 fair         2024-05-20 Bắc Ninh           YU,CA  A,C  a1,c1  fair F  budget 30M visitors 500
                  contacts 10 contracts 1 (100M) sales 40M media 2
  X3 livestream   2024-05-25 online             CA     B    b1     tracking code  budget 5M visitors 2000
                  contacts 0 contracts 0 sales 15M media 3
  X4 conference   2023-04-01 Bắc Ninh           YU     A    -      budget 8M visitors 80 contacts 1
                  contracts 0 sales 10M media 0
  X5 submitted    2024-06-01 (not approved: never counted)       C
  X6 conference   2025-01-05                    YU     C
Orders (items total; local time = UTC+7):
  O1 A a1×2 200.000 2024-03-15            O2 B b1×1 200.000 2024-05-26 from X3's link
  O3 A a1×1 + C c1×1 2024-05-21 from fair F (A 100.000, C 30.000)
  O4 B b1×1 2024-07-01 cancelled          O5 A a1×1 100.000 2023-06-01
  O6 C c1×2 60.000 2024-12-31 20:00 local  O7 C c1×1 2025-01-01 03:00 local (2024-12-31 20:00 UTC)
On site at F: A's booth a1×1 100.000.

2024: measured = F (A 100.000 + C 30.000 online, A 100.000 on site) + X3 (B 200.000) = 430.000;
platform = A 300.000 + B 200.000 + C 90.000 = 590.000.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime, timedelta

import pytest
from flask_babel import force_locale, gettext

from marketplace.extensions import db
from marketplace.fairs import onsite
from marketplace.fairs.results import fair_results
from marketplace.orders.models import PartStatus
from marketplace.orders.services import place_order
from marketplace.promotion import reports
from marketplace.promotion.models import ActivityStatus, ActivityType, PromotionActivity
from marketplace.promotion.reports import ReportQuery, promotion_report
from tests import factories as f
from tests.cooperatives.helpers import sign_in

M = 1_000_000


def figures(**values) -> dict:
    base = dict.fromkeys(reports.FIGURE_NAMES, 0)
    base.update(values)
    return base


TOTAL_2024 = figures(
    activities=3,
    cooperatives_reached=3,
    products_introduced=3,
    visitors=2600,
    business_contacts=15,
    contracts_count=3,
    contracts_value_vnd=150 * M,
    sales_reported_vnd=75 * M,
    sales_measured_vnd=430_000,
    platform_sales_vnd=590_000,
    budget_vnd=45 * M,
    media_items=6,
)
TOTAL_2023 = figures(
    activities=1,
    cooperatives_reached=1,
    visitors=80,
    business_contacts=1,
    sales_reported_vnd=10 * M,
    platform_sales_vnd=100_000,
    budget_vnd=8 * M,
)
X1 = {
    "visitors": 100,
    "business_contacts": 5,
    "contracts_count": 2,
    "contracts_value_vnd": 50 * M,
    "sales_reported_vnd": 20 * M,
    "budget_vnd": 10 * M,
    "media_items": 1,
}
X2 = {
    "visitors": 500,
    "business_contacts": 10,
    "contracts_count": 1,
    "contracts_value_vnd": 100 * M,
    "sales_reported_vnd": 40 * M,
    "budget_vnd": 30 * M,
    "media_items": 2,
}
X3 = {"visitors": 2000, "sales_reported_vnd": 15 * M, "budget_vnd": 5 * M, "media_items": 3}


def both(*parts: dict) -> dict:
    out: dict = {}
    for part in parts:
        for key, value in part.items():
            out[key] = out.get(key, 0) + value
    return out


def utc(local: datetime) -> datetime:
    return local - timedelta(hours=7)


@pytest.fixture
def data(app):
    youth_union = f.agency("Tỉnh đoàn Bắc Ninh")
    alliance = f.agency("Liên minh HTX Bắc Ninh")
    coop_a = f.cooperative("HTX An", slug="htx-an")
    coop_b = f.cooperative("HTX Bình", slug="htx-binh")
    coop_c = f.cooperative("HTX Cường", slug="htx-cuong", is_youth=False)
    a1 = f.product(coop_a, name="a1", price_vnd=100_000, stock=50)
    b1 = f.product(coop_b, name="b1", price_vnd=200_000, stock=50)
    c1 = f.product(coop_c, name="c1", price_vnd=30_000, stock=50)
    fair = f.fair("Hội chợ F", slug="hoi-cho-f")
    booth_a = f.booth(fair, coop_a, [a1], number="A1")
    manager_a = f.manager(coop_a)
    manager_c = f.manager(coop_c)
    staff = f.staff(youth_union)
    admin = f.admin()
    customer = f.user()

    def activity(title, kind, start, agencies, coops, products=(), status=ActivityStatus.APPROVED, **values):
        item = PromotionActivity(
            title=title,
            type=kind,
            status=status,
            start_date=start,
            end_date=start + timedelta(days=2),
            province_code=values.pop("province_code", f.BAC_NINH),
            ward_code=values.pop("ward_code", None),
            **values,
        )
        item.agencies.extend(agencies)
        item.cooperatives.extend(coops)
        item.products.extend(products)
        db.session.add(item)
        db.session.flush()
        return item

    x1 = activity(
        "X1 Hội nghị",
        ActivityType.CONFERENCE,
        date(2024, 3, 10),
        [youth_union],
        [coop_a, coop_b],
        [a1, b1],
        ward_code=f.LUC_NGAN,
        budget_vnd=10 * M,
        visitors=100,
        business_contacts=5,
        contracts_count=2,
        contracts_value_vnd=50 * M,
        sales_vnd=20 * M,
        media_items=1,
    )
    x2 = activity(
        "X2 Hội chợ",
        ActivityType.FAIR,
        date(2024, 5, 20),
        [youth_union, alliance],
        [coop_a, coop_c],
        [a1, c1],
        fair_id=fair.id,
        budget_vnd=30 * M,
        visitors=500,
        business_contacts=10,
        contracts_count=1,
        contracts_value_vnd=100 * M,
        sales_vnd=40 * M,
        media_items=2,
    )
    x3 = activity(
        "X3 Livestream",
        ActivityType.LIVESTREAM,
        date(2024, 5, 25),
        [alliance],
        [coop_b],
        [b1],
        province_code=None,
        tracking_code="LIVE24X",
        budget_vnd=5 * M,
        visitors=2000,
        sales_vnd=15 * M,
        media_items=3,
    )
    x4 = activity(
        "X4 Hội nghị 2023",
        ActivityType.CONFERENCE,
        date(2023, 4, 1),
        [youth_union],
        [coop_a],
        budget_vnd=8 * M,
        visitors=80,
        business_contacts=1,
        sales_vnd=10 * M,
    )
    x5 = activity(
        "X5 Chờ duyệt",
        ActivityType.OTHER,
        date(2024, 6, 1),
        [youth_union],
        [coop_c],
        status=ActivityStatus.SUBMITTED,
        sales_vnd=999,
    )
    x6 = activity("X6 Năm 2025", ActivityType.CONFERENCE, date(2025, 1, 5), [youth_union], [coop_c], sales_vnd=7)

    def order(lines, local: datetime, **source):
        placed = place_order([(p.id, q) for p, q in lines], f.checkout(), now=utc(local))
        placed.source_fair_id = source.get("fair")
        placed.source_activity_id = source.get("activity")
        return placed

    o1 = order([(a1, 2)], datetime(2024, 3, 15, 10))
    o2 = order([(b1, 1)], datetime(2024, 5, 26, 10), activity=x3.id)
    o3 = order([(a1, 1), (c1, 1)], datetime(2024, 5, 21, 10), fair=fair.id)
    o4 = order([(b1, 1)], datetime(2024, 7, 1, 10))
    o4.parts[0].status = PartStatus.CANCELLED
    o5 = order([(a1, 1)], datetime(2023, 6, 1, 10))
    o6 = order([(c1, 2)], datetime(2024, 12, 31, 20))
    o7 = order([(c1, 1)], datetime(2025, 1, 1, 3))
    onsite.record_sale(booth_a, a1.id, 1, "cash", manager_a)
    f.commit()
    return type("Data", (), locals())


def year(y: int, **filters) -> ReportQuery:
    return ReportQuery(date(y, 1, 1), date(y, 12, 31), **filters)


def groups_of(report) -> dict:
    return {group.key: group.figures.as_dict() for group in report.groups}


# --- the numbers ---------------------------------------------------------------------------------


def test_totals_of_a_year_and_the_year_before(data):
    report = promotion_report(year(2024))
    assert report.totals.as_dict() == TOTAL_2024
    assert report.previous_year.as_dict() == TOTAL_2023
    assert report.change("activities") == 200
    assert report.change("products_introduced") is None  # nothing to compare with


def test_groups_by_type(data):
    report = promotion_report(year(2024, group_by="type"))
    assert groups_of(report) == {
        "trade_promotion_conference": figures(
            activities=1, cooperatives_reached=2, products_introduced=2, platform_sales_vnd=500_000, **X1
        ),
        "fair_exhibition": figures(
            activities=1,
            cooperatives_reached=2,
            products_introduced=2,
            sales_measured_vnd=230_000,
            platform_sales_vnd=390_000,
            **X2,
        ),
        "livestream_sale": figures(
            activities=1,
            cooperatives_reached=1,
            products_introduced=1,
            sales_measured_vnd=200_000,
            platform_sales_vnd=200_000,
            **X3,
        ),
    }
    assert report.totals.as_dict() == TOTAL_2024


def test_groups_by_cooperative_count_each_cooperatives_own_share(data):
    report = promotion_report(year(2024, group_by="cooperative"))
    assert [g.label for g in report.groups] == ["HTX An", "HTX Bình", "HTX Cường"]
    assert groups_of(report) == {
        data.coop_a.id: figures(
            activities=2,
            cooperatives_reached=1,
            products_introduced=1,
            sales_measured_vnd=200_000,
            platform_sales_vnd=300_000,
            **both(X1, X2),
        ),
        data.coop_b.id: figures(
            activities=2,
            cooperatives_reached=1,
            products_introduced=1,
            sales_measured_vnd=200_000,
            platform_sales_vnd=200_000,
            **both(X1, X3),
        ),
        data.coop_c.id: figures(
            activities=1,
            cooperatives_reached=1,
            products_introduced=1,
            sales_measured_vnd=30_000,
            platform_sales_vnd=90_000,
            **X2,
        ),
    }


def test_groups_by_agency_overlap(data):
    report = promotion_report(year(2024, group_by="agency"))
    assert groups_of(report) == {
        data.alliance.id: figures(
            activities=2,
            cooperatives_reached=3,
            products_introduced=3,
            sales_measured_vnd=430_000,
            platform_sales_vnd=590_000,
            **both(X2, X3),
        ),
        data.youth_union.id: figures(
            activities=2,
            cooperatives_reached=3,
            products_introduced=3,
            sales_measured_vnd=230_000,
            platform_sales_vnd=590_000,
            **both(X1, X2),
        ),
    }


def test_groups_by_month_count_platform_sales_within_the_month(data):
    report = promotion_report(year(2024, group_by="month"))
    assert [g.key for g in report.groups] == [f"2024-{m:02d}" for m in range(1, 13)]
    found = groups_of(report)
    assert found["2024-03"] == figures(
        activities=1, cooperatives_reached=2, products_introduced=2, platform_sales_vnd=200_000, **X1
    )
    assert found["2024-05"] == figures(
        activities=2,
        cooperatives_reached=3,
        products_introduced=3,
        sales_measured_vnd=430_000,
        platform_sales_vnd=330_000,
        **both(X2, X3),
    )
    assert all(found[k] == figures() for k in found if k not in ("2024-03", "2024-05"))
    assert sum(g.figures.activities for g in report.groups) == report.totals.activities


def test_groups_by_year_youth_province(data):
    by_year = promotion_report(ReportQuery(date(2023, 1, 1), date(2025, 12, 31), group_by="year"))
    assert {k: v["activities"] for k, v in groups_of(by_year).items()} == {2023: 1, 2024: 3, 2025: 1}
    assert groups_of(by_year)[2024] == TOTAL_2024
    assert groups_of(by_year)[2023] == TOTAL_2023
    assert groups_of(by_year)[2025]["platform_sales_vnd"] == 30_000  # O7, on 1 January 2025 in Vietnam

    youth = promotion_report(year(2024, group_by="youth"))
    assert groups_of(youth) == {
        "youth": figures(
            activities=3,
            cooperatives_reached=2,
            products_introduced=2,
            sales_measured_vnd=400_000,
            platform_sales_vnd=500_000,
            **both(X1, X2, X3),
        ),
        "other": figures(
            activities=1,
            cooperatives_reached=1,
            products_introduced=1,
            sales_measured_vnd=30_000,
            platform_sales_vnd=90_000,
            **X2,
        ),
    }
    province = promotion_report(year(2024, group_by="province"))
    assert [g.key for g in province.groups] == [f.BAC_NINH, None]
    assert groups_of(province)[None] == figures(
        activities=1,
        cooperatives_reached=1,
        products_introduced=1,
        sales_measured_vnd=200_000,
        platform_sales_vnd=200_000,
        **X3,
    )
    ward = promotion_report(year(2024, group_by="ward"))
    assert {g.key: g.figures.activities for g in ward.groups} == {f.LUC_NGAN: 1, None: 2}


def test_filters(data):
    assert promotion_report(year(2024, agency_id=data.alliance.id)).totals.as_dict() == figures(
        activities=2,
        cooperatives_reached=3,
        products_introduced=3,
        sales_measured_vnd=430_000,
        platform_sales_vnd=590_000,
        **both(X2, X3),
    )
    assert promotion_report(year(2024, activity_type="trade_promotion_conference")).totals.as_dict() == figures(
        activities=1, cooperatives_reached=2, products_introduced=2, platform_sales_vnd=500_000, **X1
    )
    only_c = figures(
        activities=1,
        cooperatives_reached=1,
        products_introduced=1,
        sales_measured_vnd=30_000,
        platform_sales_vnd=90_000,
        **X2,
    )
    assert promotion_report(year(2024, cooperative_id=data.coop_c.id)).totals.as_dict() == only_c
    assert promotion_report(year(2024, youth=False)).totals.as_dict() == only_c
    assert promotion_report(year(2024, province_code=f.BAC_NINH, ward_code=f.LUC_NGAN)).totals.activities == 1


def test_a_cooperatives_own_scope(data):
    report = promotion_report(year(2024, cooperative_scope=data.coop_a.id, group_by="type"))
    assert report.totals.as_dict() == figures(
        activities=2,
        cooperatives_reached=1,
        products_introduced=1,
        sales_measured_vnd=200_000,
        platform_sales_vnd=300_000,
        **both(X1, X2),
    )
    assert report.previous_year.as_dict() == figures(
        activities=1,
        cooperatives_reached=1,
        visitors=80,
        business_contacts=1,
        sales_reported_vnd=10 * M,
        platform_sales_vnd=100_000,
        budget_vnd=8 * M,
    )
    assert groups_of(report)["fair_exhibition"]["sales_measured_vnd"] == 200_000


def test_measured_beside_reported(data):
    fair_total = fair_results(data.fair).total
    assert fair_total.online_revenue_vnd + fair_total.onsite_revenue_vnd == 230_000
    assert reports.activity_measured(data.x2)["measured_vnd"] == 230_000
    tracked = reports.activity_measured(data.x3)
    assert (tracked["tracked_orders"], tracked["tracked_vnd"], tracked["measured_vnd"]) == (1, 200_000, 200_000)
    assert reports.activity_measured(data.x1)["measured_vnd"] == 0


def test_measured_orders_new_customers_and_cooperatives_that_sold(data):
    # The fair: o3 (HTX An and HTX Cường) and HTX An's on-site sale; the phone had ordered before.
    at_fair = reports.activity_measured(data.x2)
    assert (at_fair["attributed_orders"], at_fair["new_customers"], at_fair["cooperatives_sold"]) == (1, 0, 2)
    # The tracking link: o2 (HTX Bình), then a first order from a new phone number.
    newcomer = place_order([(data.b1.id, 1)], f.checkout(phone="0987 654 321"), now=utc(datetime(2024, 5, 27, 9)))
    newcomer.source_activity_id = data.x3.id
    f.commit()
    tracked = reports.activity_measured(data.x3)
    assert (tracked["attributed_orders"], tracked["new_customers"], tracked["cooperatives_sold"]) == (2, 1, 1)
    assert tracked["tracked_vnd"] == 400_000
    nothing = reports.activity_measured(data.x1)
    assert (nothing["attributed_orders"], nothing["new_customers"], nothing["cooperatives_sold"]) == (0, 0, 0)


def test_periods():
    assert reports.parse_period("2024-Q2") == (date(2024, 4, 1), date(2024, 6, 30))
    assert reports.parse_period("2024-05") == (date(2024, 5, 1), date(2024, 5, 31))
    assert reports.parse_period("2024-02") == (date(2024, 2, 1), date(2024, 2, 29))
    assert reports.parse_period("2024") == (date(2024, 1, 1), date(2024, 12, 31))
    assert reports.parse_period("program") == (date(2023, 1, 1), date(2025, 12, 31))
    assert reports.parse_period("2024-03-05..2024-04-01") == (date(2024, 3, 5), date(2024, 4, 1))
    for bad in ("2024-13", "2024-Q5", "yesterday", "2024-04-01..2024-03-01", ""):
        with pytest.raises(reports.BadQuery):
            reports.parse_period(bad)
    # A year earlier, 29 February becomes the 28th.
    assert ReportQuery(date(2024, 2, 29), date(2024, 3, 31)).comparison().date_from == date(2023, 2, 28)
    with pytest.raises(reports.BadQuery):
        ReportQuery(date(2024, 1, 1), date(2024, 12, 31), group_by="colour")


def test_an_activity_counts_in_the_period_it_starts(data):
    # X2 runs 20-22 May: counted in May, not in a period that only covers its last day.
    assert promotion_report(ReportQuery(date(2024, 5, 22), date(2024, 5, 31))).totals.activities == 1  # X3
    assert promotion_report(ReportQuery(date(2024, 5, 20), date(2024, 5, 20))).totals.activities == 1  # X2
    quarters = [
        promotion_report(ReportQuery(*reports.parse_period(f"2024-Q{q}"))).totals.activities for q in (1, 2, 3, 4)
    ]
    assert quarters == [1, 2, 0, 0]


def test_drill_downs_agree_with_the_numbers(data):
    report = promotion_report(year(2024, group_by="type"))
    assert [a.title for a in reports.drill_activities(report)] == ["X1 Hội nghị", "X2 Hội chợ", "X3 Livestream"]
    assert [c.name for c in reports.drill_cooperatives(report)] == ["HTX An", "HTX Bình", "HTX Cường"]
    parts = reports.drill_platform_parts(report)
    assert len(parts) == 5 and sum(p.items_total_vnd for p in parts) == 590_000
    online, on_site = reports.drill_measured(report)
    assert sum(p.items_total_vnd for p in online) + sum(s.total_vnd for s in on_site) == 430_000
    fair_group = reports.drill_cooperatives(report, "fair_exhibition")
    assert [c.name for c in fair_group] == ["HTX An", "HTX Cường"]
    assert sum(p.items_total_vnd for p in reports.drill_platform_parts(report, "fair_exhibition")) == 390_000
    by_month = promotion_report(year(2024, group_by="month"))
    assert sum(p.items_total_vnd for p in reports.drill_platform_parts(by_month, "2024-05")) == 330_000
    with pytest.raises(reports.BadQuery):
        reports.drill_activities(report, "nothing")


# --- pages and exports ---------------------------------------------------------------------------

URL = "/agency/reports/promotion"


def screen_totals(html: str) -> dict[str, int]:
    return {m[1]: int(m[2]) for m in re.finditer(r'data-total="(\w+)" data-value="(-?\d+)"', html)}


def screen_groups(html: str) -> dict[str, dict[str, int]]:
    rows: dict[str, dict[str, int]] = {}
    for m in re.finditer(r'data-group="([^"]*)" data-figure="(\w+)" data-value="(-?\d+)"', html):
        rows.setdefault(m[1], {})[m[2]] = int(m[3])
    return rows


def test_agency_page_csv_and_xlsx_show_the_same_numbers(client, data):
    sign_in(client, data.staff)
    page = client.get(URL, query_string={"period": "2024", "group_by": "type"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert screen_totals(html) == TOTAL_2024
    shown = screen_groups(html)
    assert shown["fair_exhibition"]["sales_measured_vnd"] == 230_000
    assert shown["livestream_sale"]["activities"] == 1
    assert "<svg" in html and "<title" in html

    exported = client.get(URL + ".csv", query_string={"period": "2024", "group_by": "type"})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    # Each row: its label, the figures, its machine key in the last column.
    total_row = next(r for r in rows if r and r[-1] == "total")
    assert [int(v) for v in total_row[1:-1]] == [TOTAL_2024[n] for n in reports.FIGURE_NAMES]
    fair_row = next(r for r in rows if r and r[-1] == "fair_exhibition")
    assert [int(v) for v in fair_row[1:-1]] == [shown["fair_exhibition"][n] for n in reports.FIGURE_NAMES]

    from openpyxl import load_workbook

    workbook = client.get(URL + ".xlsx", query_string={"period": "2024", "group_by": "type"})
    assert workbook.status_code == 200
    sheet = load_workbook(io.BytesIO(workbook.data)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    xlsx_total = next(r for r in values if r and r[-1] == "total")
    assert xlsx_total[1:-1] == [TOTAL_2024[n] for n in reports.FIGURE_NAMES]
    xlsx_fair = next(r for r in values if r and r[-1] == "fair_exhibition")
    assert xlsx_fair[1:-1] == [shown["fair_exhibition"][n] for n in reports.FIGURE_NAMES]

    printed = client.get(URL + "/print", query_string={"period": "2024"})
    assert printed.status_code == 200 and screen_totals(printed.get_data(as_text=True)) == TOTAL_2024


def test_every_number_links_to_its_records(client, data):
    sign_in(client, data.staff)
    html = client.get(URL, query_string={"period": "2024", "group_by": "type"}).get_data(as_text=True)
    links = re.findall(r'href="(/agency/reports/promotion/records\?[^"]+)"', html)
    assert links
    for figure, expected in (("activities", 3), ("cooperatives_reached", 3), ("platform_sales_vnd", 5)):
        link = next(u for u in links if f"figure={figure}" in u and "group=" not in u)
        page = client.get(link.replace("&amp;", "&"))
        assert page.status_code == 200
        assert page.get_data(as_text=True).count('data-record="') == expected
    group_link = next(u for u in links if "figure=activities" in u and "group=fair_exhibition" in u)
    assert client.get(group_link.replace("&amp;", "&")).get_data(as_text=True).count('data-record="') == 1


def test_bad_input_is_a_clear_400(client, data):
    sign_in(client, data.staff)
    assert client.get(URL, query_string={"period": "2024-13"}).status_code == 400
    assert client.get(URL, query_string={"period": "2024", "group_by": "colour"}).status_code == 400
    assert client.get(URL + "/records", query_string={"period": "2024", "figure": "nope"}).status_code == 400


def test_a_cooperative_sees_only_its_own_participation(client, data):
    sign_in(client, data.manager_c)
    own = client.get("/workspace/htx-cuong/reports/promotion", query_string={"period": "2024", "group_by": "type"})
    assert own.status_code == 200
    html = own.get_data(as_text=True)
    assert screen_totals(html) == figures(
        activities=1,
        cooperatives_reached=1,
        products_introduced=1,
        sales_measured_vnd=30_000,
        platform_sales_vnd=90_000,
        **X2,
    )
    assert "HTX An" not in html and "HTX Bình" not in html
    assert client.get("/workspace/htx-an/reports/promotion").status_code == 403
    assert client.get(URL).status_code == 403
    csv_text = client.get("/workspace/htx-cuong/reports/promotion.csv", query_string={"period": "2024"})
    assert csv_text.status_code == 200 and "X1" not in csv_text.get_data(as_text=True)


def test_who_may_see_reports(client, data):
    assert client.get(URL).status_code in (302, 401)  # signed out: to the sign-in page
    sign_in(client, data.customer)
    assert client.get(URL).status_code == 403
    assert client.get(URL + ".csv").status_code == 403
    assert client.get("/workspace/htx-an/reports/promotion").status_code == 403
    sign_in(client, data.admin)
    assert client.get(URL).status_code == 200


def test_every_grouping_and_every_drill_down_opens(client, data):
    sign_in(client, data.staff)
    for group_by in reports.GROUP_BYS:
        page = client.get(URL, query_string={"period": "2024", "group_by": group_by})
        assert page.status_code == 200, group_by
        assert screen_totals(page.get_data(as_text=True)) == TOTAL_2024
    for figure in reports.FIGURE_NAMES:
        page = client.get(URL + "/records", query_string={"period": "2024", "figure": figure})
        assert page.status_code == 200, figure
        assert f'data-value="{TOTAL_2024[figure]}"' in page.get_data(as_text=True)
    custom = client.get(
        URL, query_string={"period": "custom", "from": "2024-05-01", "to": "2024-05-31", "youth": "yes"}
    )
    assert custom.status_code == 200 and screen_totals(custom.get_data(as_text=True))["activities"] == 2
    sign_in(client, data.manager_a)
    for figure in reports.FIGURE_NAMES:
        page = client.get(
            "/workspace/htx-an/reports/promotion/records", query_string={"period": "2024", "figure": figure}
        )
        assert page.status_code == 200, figure
    assert client.get("/workspace/htx-an/reports/promotion/print").status_code == 200
    assert client.get("/workspace/htx-an/reports/promotion.xlsx").status_code == 200


def test_the_page_offers_the_groupings_of_the_report_table(app, client, data):
    """The Group by select lists reports.GROUPINGS (a cooperative's own page leaves out those that
    say nothing there), and the page warns that rows may overlap exactly for overlapping groupings."""

    def offered(html: str) -> list[str]:
        select = re.search(r'<select id="group_by" name="group_by">(.*?)</select>', html, re.DOTALL)[1]
        return [value for value in re.findall(r'<option value="([^"]*)"', select) if value]

    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        overlap_hint = gettext(
            "An activity with several agencies or cooperatives appears in each of their rows, "
            "so the rows need not add up to the total."
        )
    sign_in(client, data.staff)
    assert offered(client.get(URL).get_data(as_text=True)) == list(reports.GROUPINGS)
    for key, grouping in reports.GROUPINGS.items():
        html = client.get(URL, query_string={"period": "2024", "group_by": key}).get_data(as_text=True)
        assert (overlap_hint in html) == grouping.overlaps, key
    sign_in(client, data.manager_a)
    own = client.get("/workspace/htx-an/reports/promotion").get_data(as_text=True)
    assert offered(own) == [key for key, grouping in reports.GROUPINGS.items() if grouping.for_cooperative]
    assert "agency" not in offered(own) and "cooperative" not in offered(own)


def test_the_year_before_links_to_its_own_records(client, data):
    sign_in(client, data.staff)
    html = client.get(URL, query_string={"period": "2024"}).get_data(as_text=True)
    assert re.findall(r'data-previous="(\w+)" data-value="(\d+)"', html)[0] == ("activities", "1")
    link = next(
        u
        for u in re.findall(r'href="(/agency/reports/promotion/records\?[^"]+)"', html)
        if "from=2023-01-01" in u and "figure=platform_sales_vnd" in u
    )
    page = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert page.count('data-record="') == 1 and 'data-value="100000"' in page  # O5


def test_a_fair_linked_by_two_activities_counts_once(data):
    again = PromotionActivity(
        title="X7 Hội chợ F lần hai",
        type=ActivityType.FAIR,
        status=ActivityStatus.APPROVED,
        start_date=date(2024, 8, 1),
        end_date=date(2024, 8, 1),
        fair_id=data.fair.id,
    )
    again.cooperatives.append(data.coop_a)
    db.session.add(again)
    f.commit()
    report = promotion_report(year(2024, group_by="type"))
    assert report.totals.activities == 4
    assert report.totals.sales_measured_vnd == 430_000
    assert groups_of(report)["fair_exhibition"]["sales_measured_vnd"] == 230_000


@pytest.mark.parametrize("name", ["agency", "cooperative", "province", "ward"])
@pytest.mark.parametrize("value", [str(2**31), str(2**63), str(-(2**40))])
def test_a_report_filter_no_id_column_holds_is_a_clear_400(client, data, name, value):
    sign_in(client, data.staff)
    client.get("/lang/en")

    page = client.get(URL, query_string={"period": "2024", name: value})

    assert page.status_code == 400
    assert f"{name} must be a whole number." in page.get_data(as_text=True)


# --- issue 16: comparison, records outside the period, the table, the exports --------------------


def test_the_comparison_is_a_period_of_the_same_length_that_does_not_overlap():
    compare = reports.comparison_period
    # A year, a quarter, a month, a short range: the same period a year earlier (as before).
    assert compare(date(2024, 1, 1), date(2024, 12, 31)) == (date(2023, 1, 1), date(2023, 12, 31))
    assert compare(date(2024, 4, 1), date(2024, 6, 30)) == (date(2023, 4, 1), date(2023, 6, 30))
    assert compare(date(2024, 5, 1), date(2024, 5, 31)) == (date(2023, 5, 1), date(2023, 5, 31))
    assert compare(date(2024, 2, 29), date(2024, 3, 31)) == (date(2023, 2, 28), date(2023, 3, 31))
    assert compare(date(2024, 3, 5), date(2024, 4, 1)) == (date(2023, 3, 5), date(2023, 4, 1))
    # The whole programme: the period before it holds nothing of the programme, and a year earlier
    # (2022-2024) would count 2023 and 2024 on both sides: no comparison.
    assert compare(*reports.program_range()) is None
    assert compare(date(2024, 1, 1), date(2025, 12, 31)) is None  # 2022-2023 begins before the programme
    # Longer than a year, inside the programme: the months just before, as many as the period's.
    assert compare(date(2024, 11, 1), date(2025, 12, 31)) == (date(2023, 9, 1), date(2024, 10, 31))
    start, end = compare(date(2024, 2, 10), date(2025, 3, 20))
    assert end == date(2024, 2, 9) and end - start == date(2025, 3, 20) - date(2024, 2, 10)
    for first, last in [(date(2024, 11, 1), date(2025, 12, 31)), (date(2024, 1, 1), date(2024, 12, 31))]:
        before = compare(first, last)
        assert before[1] < first  # never overlaps


def test_the_whole_programme_shows_no_year_earlier_comparison(client, data):
    report = promotion_report(ReportQuery(*reports.program_range()))
    assert report.previous_year is None and report.change("activities") is None
    sign_in(client, data.staff)
    html = client.get(URL).get_data(as_text=True)  # the default period: the programme
    assert 'id="report-yoy"' not in html and "data-previous=" not in html
    assert 'id="report-no-comparison"' in html
    link = re.search(r'id="report-years-link"', html)
    assert link and "group_by=year" in html[link.start() - 200 : link.start()]
    # A year is still compared with the year before, and says which.
    year_html = client.get(URL, query_string={"period": "2024"}).get_data(as_text=True)
    assert 'id="report-yoy"' in year_html
    assert re.search(r'id="report-comparison-title">[^<]*\(2023\)', year_html)


def add_2026_records(data):
    later = PromotionActivity(
        title="X8 Năm 2026",
        type=ActivityType.CONFERENCE,
        status=ActivityStatus.APPROVED,
        start_date=date(2026, 3, 2),
        end_date=date(2026, 3, 2),
    )
    later.cooperatives.append(data.coop_a)
    db.session.add(later)
    place_order([(data.a1.id, 1)], f.checkout(), now=utc(datetime(2026, 3, 3, 9)))
    f.commit()


def test_records_outside_the_period_are_counted_and_said(app, client, data):
    # 2024: X4 (2023) before it, X6 (2025) after it; O5 (A, 2023) and O7 (C, 1 January 2025 local).
    assert reports.outside_period(year(2024)) == reports.Outside(1, 1, 2)
    # Youth cooperatives only: X6 and O7 are C's (not youth).
    assert reports.outside_period(year(2024, youth=True)) == reports.Outside(1, 0, 1)
    assert not reports.outside_period(ReportQuery(*reports.program_range()))
    sign_in(client, data.staff)
    assert 'id="report-outside"' not in client.get(URL).get_data(as_text=True)

    add_2026_records(data)
    assert reports.outside_period(ReportQuery(*reports.program_range())) == reports.Outside(0, 1, 1)
    html = client.get(URL).get_data(as_text=True)
    assert 'data-outside-activities="1" data-outside-orders="1"' in html
    notice = re.search(r'id="report-outside"[^>]*>(.*?)</p>', html, re.DOTALL)[1]
    assert "1 hoạt động và 1 đơn hàng" in notice and "ngoài kỳ đã chọn" in notice
    assert "0 trước kỳ, 1 sau kỳ" in notice


def test_periods_after_the_programme_are_offered(monkeypatch, client, data):
    add_2026_records(data)
    sign_in(client, data.staff)

    def years(html: str) -> list[str]:
        select = re.search(r'<select id="period" name="period">(.*?)</select>', html, re.DOTALL)[1]
        return re.findall(r'<option value="(\d{4})"', select)

    monkeypatch.setattr(reports, "today", lambda: date(2026, 12, 3))
    assert years(client.get(URL).get_data(as_text=True)) == ["2023", "2024", "2025", "2026"]
    monkeypatch.setattr(reports, "today", lambda: date(2027, 3, 1))
    html = client.get(URL).get_data(as_text=True)
    assert years(html) == ["2023", "2024", "2025", "2026", "2027"]
    assert '<option value="2027-Q1"' in html and '<option value="2027-03"' in html
    page = client.get(URL, query_string={"period": "2026"}).get_data(as_text=True)
    assert screen_totals(page)["activities"] == 1  # X8
    assert screen_totals(page)["platform_sales_vnd"] == 100_000


def test_the_group_table_scrolls_in_its_own_box_with_the_label_column_fixed(client, data):
    sign_in(client, data.staff)
    html = client.get(URL, query_string={"period": "2024", "group_by": "type"}).get_data(as_text=True)
    box = re.search(r'<div class="([^"]*)"[^>]*>\s*<table class="([^"]*)" id="report-groups"', html)
    assert "report-groups-scroll" in box[1] and "report-table-sticky" in box[2]
    from pathlib import Path

    css = (Path(__file__).parents[2] / "static/css/reports.css").read_text()
    assert re.search(r"\.report-groups-scroll \{[^}]*overflow-x: auto", css)
    assert re.search(r"\.report-table-sticky th:first-child \{[^}]*position: sticky; left: 0", css)
    # Every chart has a visible title (a caption above it), not only the SVG's tooltip.
    captions = re.findall(r'<figcaption class="report-chart-title">([^<]+)</figcaption>', html)
    assert len(captions) == 3 and all(c.strip() for c in captions)
    assert "Hoạt động theo loại" in captions


def test_exports_follow_the_screen_with_vietnamese_labels_and_keys_apart(app, client, data):
    from openpyxl import load_workbook

    from marketplace.promotion.services import TYPE_LABELS

    with force_locale("vi"):
        labels = [str(TYPE_LABELS[t]) for t in (ActivityType.CONFERENCE, ActivityType.FAIR, ActivityType.LIVESTREAM)]
        heading = gettext("Activity type")
    sign_in(client, data.staff)
    query = {"period": "2024", "group_by": "type"}
    html = client.get(URL, query_string=query).get_data(as_text=True)
    screen_order = re.findall(r'<tr[^>]*data-row="([^"]+)"', html)
    assert screen_order == ["trade_promotion_conference", "fair_exhibition", "livestream_sale", "total"]

    sheet = load_workbook(io.BytesIO(client.get(URL + ".xlsx", query_string=query).data)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    start = next(i for i, r in enumerate(values) if r[0] == heading)
    header, table = values[start], values[start + 1 :]
    assert header[-1] == "Mã (dành cho máy)"
    # The screen's order, total after the groups, then the year before; Vietnamese labels first.
    assert [r[-1] for r in table] == [*screen_order, "previous_period"]
    assert [r[0] for r in table] == [*labels, "Tổng cộng", "Cùng kỳ năm trước (2023)"]
    assert table[3][1:-1] == [TOTAL_2024[n] for n in reports.FIGURE_NAMES]
    assert table[4][1:-1] == [TOTAL_2023[n] for n in reports.FIGURE_NAMES]
    # No internal key outside the key column.
    keys = {*screen_order, "previous_period", "previous_year"}
    assert not [v for r in values for v in r[:-1] if v in keys]
    assert sheet.cell(row=start + 1 + 4, column=1).font.bold  # the total row, as on the screen

    rows = list(csv.reader(io.StringIO(client.get(URL + ".csv", query_string=query).get_data(as_text=True)[1:])))
    csv_start = next(i for i, r in enumerate(rows) if r and r[0] == heading)
    assert [r[-1] for r in rows[csv_start + 1 :]] == [*screen_order, "previous_period"]
    assert [r[0] for r in rows[csv_start + 1 :]] == [*labels, "Tổng cộng", "Cùng kỳ năm trước (2023)"]
