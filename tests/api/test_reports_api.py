"""GET /api/v1/reports/promotion: agency staff and admins with a bearer token get the promotion
report of a period; every total and group checked against numbers worked out by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from flask import current_app

from marketplace.accounts import api_tokens
from marketplace.accounts.models import AgencyKind, ApiToken, Role
from marketplace.extensions import db
from marketplace.orders.models import PartStatus
from marketplace.promotion import reports
from marketplace.promotion.models import ActivityStatus, ActivityType, PromotionActivity
from tests import factories as make

URL = "/api/v1/reports/promotion"
PERIOD = "from=2024-11-01&to=2025-12-31"
M = 1_000_000
FIGURES = [
    "activities",
    "cooperatives_reached",
    "products_introduced",
    "visitors",
    "business_contacts",
    "contracts_count",
    "contracts_value_vnd",
    "sales_reported_vnd",
    "sales_measured_vnd",
    "platform_sales_vnd",
    "budget_vnd",
    "media_items",
]


def figures(*values: int) -> dict[str, int]:
    """The figures in FIGURES order: activities, cooperatives, products, visitors, contacts,
    contracts, contracts value, sales reported, sales measured, platform sales, budget, media."""
    assert len(values) == len(FIGURES)
    return dict(zip(FIGURES, values, strict=True))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(user) -> str:
    _, plaintext = api_tokens.create_token(user)
    db.session.commit()
    return plaintext


def sign_in(client, user) -> None:
    """A browser session for `user` (Flask-Login's session keys), as after the login form."""
    login_manager = current_app.login_manager
    with current_app.test_request_context(environ_base=dict(client.environ_base)):
        identifier = login_manager._session_identifier_generator()
    with client.session_transaction() as session:
        session["_user_id"] = user.get_id()
        session["_fresh"] = True
        session["_id"] = identifier


# --- the hand-computed world --------------------------------------------------------------------


@dataclass
class World:
    youth_union: object
    alliance: object
    coop_a: object
    coop_b: object
    a1: object
    a2: object
    a3: object
    a4: object
    staff: object
    admin: object
    customer: object
    manager: object


def activity(
    type_,
    start,
    end,
    agencies,
    cooperatives=(),
    products=(),
    *,
    status=ActivityStatus.APPROVED,
    province=None,
    ward=None,
    budget=0,
    visitors=0,
    contacts=0,
    contracts=0,
    value=0,
    sales=0,
    media=0,
):
    record = PromotionActivity(
        type=type_,
        title=f"{type_.value} {start}",
        status=status,
        start_date=start,
        end_date=end,
        province_code=province,
        ward_code=ward,
        budget_vnd=budget,
        visitors=visitors,
        business_contacts=contacts,
        contracts_count=contracts,
        contracts_value_vnd=value,
        sales_vnd=sales,
        media_items=media,
    )
    record.agencies.extend(agencies)
    record.cooperatives.extend(cooperatives)
    record.products.extend(products)
    db.session.add(record)
    db.session.flush()
    return record


def placed(product, quantity, at: datetime, *, status=None, source_activity=None):
    """An order of one product whose part was placed at `at` (naive UTC)."""
    order = make.order([(product, quantity)])
    order.created_at = at
    for part in order.parts:
        part.created_at = at
        if status is not None:
            part.status = status
    if source_activity is not None:
        order.source_activity_id = source_activity.id
    db.session.flush()
    return order


def build_world() -> World:
    youth_union = make.agency("Tỉnh đoàn Bắc Ninh", AgencyKind.YOUTH_UNION)
    alliance = make.agency("Liên minh HTX Bắc Ninh", AgencyKind.COOPERATIVE_ALLIANCE)
    coop_a = make.cooperative("HTX Vải thiều", slug="htx-vai-thieu", is_youth=True)
    coop_b = make.cooperative("HTX Gà đồi", slug="htx-ga-doi", is_youth=False)
    coop_c = make.cooperative("HTX Chè", slug="htx-che")
    pa1 = make.product(coop_a, price_vnd=100_000, stock=100)
    pa2 = make.product(coop_a, price_vnd=50_000, stock=100)
    pb1 = make.product(coop_b, price_vnd=150_000, stock=100)
    pc1 = make.product(coop_c, price_vnd=333_000, stock=100)
    bn, ln, hn = make.BAC_NINH, make.LUC_NGAN, make.HA_NOI

    # Counted in 2024-11-01 .. 2025-12-31 (approved, starting in the period).
    a1 = activity(
        ActivityType.LIVESTREAM,
        date(2025, 3, 10),
        date(2025, 3, 10),
        [youth_union],
        [coop_a],
        [pa1],
        province=bn,
        ward=ln,
        budget=10 * M,
        visitors=1_000,
        contacts=5,
        contracts=1,
        value=100 * M,
        sales=20 * M,
        media=2,
    )
    a2 = activity(
        ActivityType.FAIR,
        date(2025, 6, 1),
        date(2025, 6, 3),
        [youth_union, alliance],
        [coop_a, coop_b],
        [pa2, pb1],
        province=hn,
        budget=30 * M,
        visitors=5_000,
        contacts=20,
        contracts=3,
        value=500 * M,
        sales=80 * M,
        media=4,
    )
    a3 = activity(
        ActivityType.CONFERENCE,
        date(2024, 11, 20),
        date(2024, 11, 21),
        [alliance],
        [coop_b],
        [pb1],
        province=bn,
        budget=5 * M,
        visitors=200,
        contacts=15,
        contracts=2,
        value=250 * M,
        media=1,
    )
    # Starts on the last day of the period (ends after it): counted. Online, nobody took part.
    a4 = activity(ActivityType.MEDIA, date(2025, 12, 31), date(2026, 1, 15), [youth_union], budget=2 * M, media=10)

    # Not counted: not approved, or starting outside the period.
    for status in (ActivityStatus.DRAFT, ActivityStatus.SUBMITTED, ActivityStatus.RETURNED):
        activity(
            ActivityType.LIVESTREAM,
            date(2025, 5, 1),
            date(2025, 5, 1),
            [youth_union],
            [coop_c],
            [pc1],
            status=status,
            province=bn,
            budget=999 * M,
            visitors=99_999,
            sales=999 * M,
            media=99,
        )
    activity(ActivityType.OTHER, date(2026, 1, 1), date(2026, 1, 2), [youth_union], [coop_c], visitors=7, media=7)
    # Starts the day before the period: only in the comparison period (2023-09-01 .. 2024-10-31).
    activity(
        ActivityType.FAIR,
        date(2024, 10, 31),
        date(2024, 11, 2),
        [alliance],
        [coop_c],
        [pc1],
        province=bn,
        budget=1 * M,
        visitors=300,
        contacts=4,
        sales=5 * M,
    )

    # Platform orders (items totals; delivery fees never count). Times naive UTC, days in Vietnam (UTC+7).
    placed(pa1, 3, datetime(2025, 6, 2, 3, 0), source_activity=a1)  # A 300,000; also measured for a1
    placed(pb1, 1, datetime(2025, 1, 15, 10, 0))  # B 150,000
    placed(pb1, 2, datetime(2025, 2, 1, 10, 0), status=PartStatus.CANCELLED)  # cancelled: never counted
    placed(pc1, 1, datetime(2025, 3, 1, 10, 0))  # C did not take part in the period
    placed(pa2, 2, datetime(2026, 2, 1, 10, 0))  # A, after the period
    placed(pa1, 1, datetime(2024, 10, 31, 17, 30))  # A 100,000 at 00:30 on 1 Nov 2024 in Vietnam: in the period
    placed(pb1, 1, datetime(2024, 10, 31, 16, 59))  # B 150,000 at 23:59 on 31 Oct in Vietnam: the year before

    world = World(
        youth_union=youth_union,
        alliance=alliance,
        coop_a=coop_a,
        coop_b=coop_b,
        a1=a1,
        a2=a2,
        a3=a3,
        a4=a4,
        staff=make.staff(youth_union, email="doan@example.vn"),
        admin=make.admin(email="admin@example.vn"),
        customer=make.user(Role.CUSTOMER, email="khach@example.vn"),
        manager=make.manager(coop_a, email="quanly@example.vn"),
    )
    db.session.commit()
    return world


@pytest.fixture
def world(app):
    return build_world()


@pytest.fixture
def staff_token(world):
    return token_for(world.staff)


def get(client, query: str, token: str | None):
    return client.get(f"{URL}?{query}", headers=bearer(token) if token else {})


# --- the figures --------------------------------------------------------------------------------

TOTALS = figures(4, 2, 3, 6_200, 40, 6, 850 * M, 100 * M, 300_000, 550_000, 47 * M, 17)
# The comparison (reports.comparison_period): the period is longer than a year, so its year-earlier
# copy would overlap it (and count the conference of 20 Nov 2024 on both sides); it is compared with
# the 14 months just before, 2023-09-01 .. 2024-10-31: only the fair that starts on 31 Oct 2024 (C,
# who sold nothing on the platform then).
PREVIOUS_YEAR = figures(1, 1, 1, 300, 4, 0, 0, 5 * M, 0, 0, 1 * M, 0)
LABEL = "01/09/2023 – 31/10/2024"  # what the report page calls it (reports.period_label, in Vietnamese)
FAIR_A2 = figures(1, 2, 2, 5_000, 20, 3, 500 * M, 80 * M, 0, 550_000, 30 * M, 4)
MEDIA_A4 = figures(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 * M, 10)


def test_totals_of_the_period(client, staff_token):
    response = get(client, PERIOD, staff_token)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert body == {
        "period": {"from": "2024-11-01", "to": "2025-12-31"},
        "group_by": None,
        "totals": TOTALS,
        "previous_year": PREVIOUS_YEAR,
        "comparison_period": {"from": "2023-09-01", "to": "2024-10-31", "label": LABEL, "rule": "just_before"},
        "groups": [],
    }


@pytest.mark.parametrize(
    "query, period",
    [
        # A year or less: the same period a year earlier.
        ("from=2025-01-01&to=2025-12-31", {"from": "2024-01-01", "to": "2024-12-31", "label": "2024"}),
        ("from=2025-04-01&to=2025-06-30", {"from": "2024-04-01", "to": "2024-06-30", "label": "Q2/2024"}),
        ("from=2025-05-01&to=2025-05-31", {"from": "2024-05-01", "to": "2024-05-31", "label": "05/2024"}),
    ],
)
def test_the_comparison_period_is_named_next_to_its_figures(client, staff_token, query, period):
    body = get(client, query, staff_token).get_json()

    assert body["comparison_period"] == {**period, "rule": "year_earlier"}
    assert body["previous_year"] is not None


def test_the_whole_programme_has_no_comparison_period(client, staff_token):
    body = get(client, "from=2023-01-01&to=2025-12-31", staff_token).get_json()

    assert body["previous_year"] is None and body["comparison_period"] is None


def test_grouped_by_type(client, staff_token):
    body = get(client, PERIOD + "&group_by=type", staff_token).get_json()
    assert body["group_by"] == "type" and body["totals"] == TOTALS
    assert [(g["key"], g["label"]) for g in body["groups"]] == [
        ("trade_promotion_conference", "Hội nghị xúc tiến thương mại"),
        ("fair_exhibition", "Tham gia hội chợ, triển lãm"),
        ("livestream_sale", "Bán hàng qua livestream"),
        ("product_introduction_media", "Giới thiệu sản phẩm, truyền thông quảng bá"),
    ]
    assert [{k: g[k] for k in FIGURES} for g in body["groups"]] == [
        figures(1, 1, 1, 200, 15, 2, 250 * M, 0, 0, 150_000, 5 * M, 1),
        FAIR_A2,
        figures(1, 1, 1, 1_000, 5, 1, 100 * M, 20 * M, 300_000, 400_000, 10 * M, 2),
        MEDIA_A4,
    ]


def test_grouped_by_agency_an_activity_counts_for_each_of_its_agencies(client, staff_token, world):
    body = get(client, PERIOD + "&group_by=agency", staff_token).get_json()
    assert body["totals"] == TOTALS
    assert body["groups"] == [
        {
            "key": world.alliance.id,
            "label": "Liên minh HTX Bắc Ninh",
            **figures(2, 2, 2, 5_200, 35, 5, 750 * M, 80 * M, 0, 550_000, 35 * M, 5),
        },
        {
            "key": world.youth_union.id,
            "label": "Tỉnh đoàn Bắc Ninh",
            **figures(3, 2, 3, 6_000, 25, 4, 600 * M, 100 * M, 300_000, 550_000, 42 * M, 16),
        },
    ]


def test_grouped_by_cooperative_counts_only_that_cooperatives_products_and_sales(client, staff_token, world):
    body = get(client, PERIOD + "&group_by=cooperative", staff_token).get_json()
    assert body["totals"] == TOTALS
    assert body["groups"] == [
        {
            "key": world.coop_b.id,
            "label": "HTX Gà đồi",
            **figures(2, 1, 1, 5_200, 35, 5, 750 * M, 80 * M, 0, 150_000, 35 * M, 5),
        },
        {
            "key": world.coop_a.id,
            "label": "HTX Vải thiều",
            **figures(2, 1, 2, 6_000, 25, 4, 600 * M, 100 * M, 300_000, 400_000, 40 * M, 6),
        },
    ]


def test_grouped_by_province_online_last(client, staff_token):
    body = get(client, PERIOD + "&group_by=province", staff_token).get_json()
    assert body["totals"] == TOTALS
    groups = body["groups"]
    assert [(g["key"], g["label"]) for g in groups[:2]] == [
        (make.BAC_NINH, "Bắc Ninh"),
        (make.HA_NOI, "Thành phố Hà Nội"),
    ]
    assert groups[2]["key"] is None and groups[2]["label"]
    assert [{k: g[k] for k in FIGURES} for g in groups] == [
        figures(2, 2, 2, 1_200, 20, 3, 350 * M, 20 * M, 300_000, 550_000, 15 * M, 3),
        FAIR_A2,
        MEDIA_A4,
    ]


def test_grouped_by_year_platform_sales_within_each_year(client, staff_token):
    body = get(client, PERIOD + "&group_by=year", staff_token).get_json()
    assert body["totals"] == TOTALS
    assert body["groups"] == [
        {"key": 2024, "label": "2024", **figures(1, 1, 1, 200, 15, 2, 250 * M, 0, 0, 0, 5 * M, 1)},
        {
            "key": 2025,
            "label": "2025",
            **figures(3, 2, 3, 6_000, 25, 4, 600 * M, 100 * M, 300_000, 450_000, 42 * M, 16),
        },
    ]


def test_the_api_answers_what_the_report_service_computes(client, staff_token):
    from marketplace.promotion.reports import ReportQuery, promotion_report

    body = get(client, "from=2025-01-01&to=2025-06-30&group_by=cooperative", staff_token).get_json()
    report = promotion_report(
        ReportQuery(date_from=date(2025, 1, 1), date_to=date(2025, 6, 30), group_by="cooperative")
    )
    assert body["totals"] == report.totals.as_dict()
    assert body["previous_year"] == report.previous_year.as_dict()
    assert [(g["key"], {k: g[k] for k in FIGURES}) for g in body["groups"]] == [
        (g.key, g.figures.as_dict()) for g in report.groups
    ]
    # a1 and a2 start in the first half of 2025.
    assert body["totals"] == figures(2, 2, 3, 6_000, 25, 4, 600 * M, 100 * M, 300_000, 450_000, 40 * M, 6)


def test_a_period_without_activities_is_all_zeros(client, staff_token):
    body = get(client, "from=2022-01-01&to=2022-12-31&group_by=type", staff_token).get_json()
    assert body["totals"] == figures(*[0] * 12) and body["groups"] == []


def test_an_admin_token_works_too(client, world):
    response = get(client, PERIOD, token_for(world.admin))
    assert response.status_code == 200 and response.get_json()["totals"] == TOTALS


# --- who may ask --------------------------------------------------------------------------------


def assert_401(response, invalid: bool):
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert ('error="invalid_token"' in response.headers["WWW-Authenticate"]) is invalid
    body = response.get_json()
    assert set(body) == {"error", "details"} and "totals" not in body


def test_no_token_is_401(client, world):
    assert_401(get(client, PERIOD, None), invalid=False)


@pytest.mark.parametrize("header", ["Bearer mkt_not-a-real-token", "Basic ZG9hbkBleGFtcGxlLnZuOnB3", "Bearer"])
def test_a_bad_token_is_401(client, staff_token, header):
    assert_401(client.get(f"{URL}?{PERIOD}", headers={"Authorization": header}), invalid=True)


def test_a_revoked_token_is_401(client, world, runner):
    token, plaintext = api_tokens.create_token(world.staff)
    db.session.commit()
    assert get(client, PERIOD, plaintext).status_code == 200
    assert runner.invoke(args=["tokens", "revoke", token.prefix]).exit_code == 0
    assert_401(get(client, PERIOD, plaintext), invalid=True)


def test_a_deactivated_users_token_is_401(client, world, staff_token):
    world.staff.active = False
    db.session.commit()
    assert_401(get(client, PERIOD, staff_token), invalid=True)


def test_a_browser_session_is_not_enough(client, world):
    sign_in(client, world.admin)
    assert client.get("/agency/promotion/").status_code == 200  # the session works on the site
    assert_401(get(client, PERIOD, None), invalid=False)
    # Signed in as an admin, the token still decides: a customer's token is refused.
    response = get(client, PERIOD, token_for(world.customer))
    assert response.status_code == 403


@pytest.mark.parametrize("who", ["customer", "manager"])
def test_other_roles_are_403(client, world, who):
    response = get(client, PERIOD, token_for(getattr(world, who)))
    assert response.status_code == 403
    assert response.get_json()["error"] == "Reports are for agency staff and admins"
    assert "totals" not in response.get_json()


def test_authentication_comes_before_checking_parameters(client, world):
    assert get(client, "from=bad", None).status_code == 401
    assert get(client, "from=bad", token_for(world.customer)).status_code == 403


def test_using_a_token_notes_when_it_was_last_used(client, world):
    token, plaintext = api_tokens.create_token(world.staff)
    db.session.commit()
    assert get(client, PERIOD, plaintext).status_code == 200
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None


@pytest.mark.parametrize(
    "who, query, status", [("customer", PERIOD, 403), ("staff", "from=bad", 400)], ids=["forbidden", "bad-query"]
)
def test_a_refused_request_still_notes_the_tokens_use(client, world, who, query, status):
    token, plaintext = api_tokens.create_token(getattr(world, who))
    db.session.commit()
    assert get(client, query, plaintext).status_code == status
    db.session.expire_all()
    assert db.session.get(ApiToken, token.id).last_used_at is not None


# --- bad parameters -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, details",
    [
        ("", {"from": "required, a date YYYY-MM-DD", "to": "required, a date YYYY-MM-DD"}),
        ("from=2025-01-01", {"to": "required, a date YYYY-MM-DD"}),
        ("from=01/01/2025&to=2025-12-31", {"from": "must be a date YYYY-MM-DD"}),
        ("from=2025-01-01&to=20251231", {"to": "must be a date YYYY-MM-DD"}),
        ("from=2025-02-30&to=2025-12-31", {"from": "not a real date"}),
        ("from=2025-12-31&to=2025-01-01", {"to": "must not be before from"}),
        ("from=1999-12-31&to=2025-01-01", {"from": "must be between 2000-01-01 and 2100-12-31"}),
        (
            "from=2025-01-01&to=2025-12-31&group_by=month",
            {"group_by": "must be one of type, agency, cooperative, province, year"},
        ),
        (
            "from=x&to=y&group_by=nope",
            {
                "from": "must be a date YYYY-MM-DD",
                "to": "must be a date YYYY-MM-DD",
                "group_by": "must be one of type, agency, cooperative, province, year",
            },
        ),
    ],
)
def test_bad_parameters_are_400_naming_each(client, staff_token, query, details):
    response = get(client, query, staff_token)
    assert response.status_code == 400
    assert response.get_json() == {"error": "Invalid query parameters", "details": details}


def test_the_same_day_twice_is_a_one_day_period(client, staff_token):
    body = get(client, "from=2025-12-31&to=2025-12-31", staff_token).get_json()
    assert body["totals"] == MEDIA_A4


# --- the OpenAPI document -----------------------------------------------------------------------


def test_the_openapi_document_describes_the_endpoint_and_its_answer(client, staff_token):
    doc = client.get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/reports/promotion"]["get"]
    assert operation["security"] == [{"bearerToken": []}]
    assert doc["components"]["securitySchemes"]["bearerToken"] == {
        **doc["components"]["securitySchemes"]["bearerToken"],
        "type": "http",
        "scheme": "bearer",
    }
    assert [p["name"] for p in operation["parameters"]] == ["from", "to", "group_by"]
    assert {"200", "400", "401", "403"} <= set(operation["responses"])
    group_by = next(p for p in operation["parameters"] if p["name"] == "group_by")
    assert group_by["schema"]["enum"] == ["type", "agency", "cooperative", "province", "year"]
    # Every documented group_by works; the schemas name exactly the fields answered.
    schemas = doc["components"]["schemas"]
    for value in group_by["schema"]["enum"]:
        body = get(client, f"{PERIOD}&group_by={value}", staff_token).get_json()
        assert set(body) == set(schemas["PromotionReport"]["properties"]) == set(schemas["PromotionReport"]["required"])
        assert set(body["totals"]) == set(schemas["ReportFigures"]["properties"]) == set(FIGURES)
        assert body["groups"]
        for group in body["groups"]:
            assert set(group) == set(schemas["ReportGroup"]["properties"])


def test_the_api_and_its_document_offer_the_groupings_of_the_report_table(client, staff_token):
    """The check of group_by, both enums and the description of a group's key read one table,
    promotion.reports.GROUPINGS; a grouping of the page that the API does not offer is a 400."""
    offered = [key for key, grouping in reports.GROUPINGS.items() if grouping.api_key is not None]
    doc = client.get("/api/v1/openapi.json").get_json()
    group_by = next(p for p in doc["paths"]["/reports/promotion"]["get"]["parameters"] if p["name"] == "group_by")
    assert group_by["schema"]["enum"] == offered
    schemas = doc["components"]["schemas"]
    assert schemas["PromotionReport"]["properties"]["group_by"]["enum"] == [*offered, None]
    key_description = schemas["ReportGroup"]["properties"]["key"]["description"]
    for key in offered:
        assert f"{key}: {reports.GROUPINGS[key].api_key}" in key_description
    for key in reports.GROUPINGS.keys() - set(offered):
        response = get(client, f"{PERIOD}&group_by={key}", staff_token)
        assert response.status_code == 400, key
        assert response.get_json()["details"] == {"group_by": "must be one of " + ", ".join(offered)}
