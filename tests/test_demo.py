"""The demo data set and the `marketplace demo` command."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import Agency, AgencyKind, Role, User
from marketplace.catalog.models import (
    CERTIFICATIONS,
    OCOP_STARS,
    UNITS,
    Category,
    Product,
    ProductStatus,
)
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core import geo
from marketplace.core.models import utcnow
from marketplace.demo import commands, data, loader
from marketplace.demo.fairs import FAIRS, HELPER_CODE
from marketplace.demo.loader import demo_counts, load_demo
from marketplace.extensions import db
from marketplace.fairs.models import (
    Booth,
    BoothStatus,
    Fair,
    FairStatus,
    FairVisit,
    OnSiteSale,
)
from marketplace.orders.models import Order

SMALL = 96  # pixels: tests need a picture per product, not a pretty one
FAIR_SLUGS = [f.slug for f in FAIRS]


@pytest.fixture
def demo(app):
    load_demo(image_width=SMALL)
    db.session.commit()
    return app


def public_products() -> list[Product]:
    return list(
        db.session.scalars(
            select(Product)
            .join(Product.cooperative)
            .where(Product.status == ProductStatus.ACTIVE, Cooperative.status == CooperativeStatus.APPROVED)
        )
    )


def test_demo_data_is_consistent():
    province = geo.find_province(data.PROVINCE)
    category_slugs = {c.slug for c in data.CATEGORIES}
    skus = set()
    for coop in data.COOPERATIVES:
        assert geo.find_ward(province, coop.ward), coop.ward
        assert coop.youth_members <= coop.members
        for product in coop.products:
            assert product.category in category_slugs
            assert product.unit in UNITS
            assert product.ocop_stars in (None, *OCOP_STARS)
            assert set(product.certifications) <= set(CERTIFICATIONS)
            assert isinstance(product.price_vnd, int) and product.price_vnd > 0
            assert (coop.slug, product.sku) not in skus
            skus.add((coop.slug, product.sku))
    managed = {slug for user in data.USERS for slug in user.cooperatives}
    assert managed == {c.slug for c in data.COOPERATIVES}


def test_demo_has_a_real_looking_storefront(demo):
    youth = db.session.scalars(
        select(Cooperative).where(Cooperative.status == CooperativeStatus.APPROVED, Cooperative.is_youth)
    ).all()
    assert len(youth) >= 12
    statuses = [c.status for c in db.session.scalars(select(Cooperative))]
    assert statuses.count(CooperativeStatus.PENDING) == 1
    assert statuses.count(CooperativeStatus.NEEDS_DOCUMENTS) == 1
    assert statuses.count(CooperativeStatus.SUSPENDED) == 1
    bac_ninh = geo.find_province("Bắc Ninh")
    assert all(c.province_code == bac_ninh and geo.ward_belongs_to(c.ward_code, bac_ninh) for c in youth)

    products = public_products()
    assert len(products) >= 80
    assert all(len(p.images) == 1 and p.images[0].alt_text for p in products)
    folder = Path(demo.config["UPLOAD_FOLDER"]) / "products"
    assert (folder / f"{products[0].images[0].stem}-thumb.webp").is_file()
    assert any(p.is_featured for p in products)
    assert any(p.stock == 0 for p in products)
    assert {p.ocop_stars for p in products} >= {None, 3, 4}
    assert any(p.certifications for p in products)
    names = {p.name for p in products}
    assert {
        "Vải thiều Lục Ngạn tươi",
        "Gà đồi Yên Thế nguyên con làm sẵn",
        "Mỳ Chũ gạo Bao thai",
        "Rượu làng Vân 40 độ",
        "Bánh đa Kế vừng đen",
        "Gạo nếp cái hoa vàng",
    } <= names

    top = db.session.scalars(select(Category).where(Category.parent_id.is_(None))).all()
    assert len(top) >= 5 and all(c.children for c in top)
    assert all(p.category.parent is not None for p in products)


def test_demo_has_a_cooperative_asked_for_more_documents(demo):
    """The request's reason is in its history, and a printed manager account can answer it."""
    waiting = db.session.scalar(select(Cooperative).where(Cooperative.status == CooperativeStatus.NEEDS_DOCUMENTS))
    assert waiting.slug == "htx-thanh-nien-nam-sach-van-son"
    request = waiting.status_changes[-1]
    assert (request.from_status, request.to_status) == (CooperativeStatus.PENDING, CooperativeStatus.NEEDS_DOCUMENTS)
    assert request.reason == data.DOCUMENTS_REQUEST == waiting.status_reason
    assert request.changed_by.email == "lienminh@demo-htx.vn"
    assert {p.status for p in waiting.products} == {ProductStatus.DRAFT}
    manager = next(u for u in data.USERS if waiting.slug in u.cooperatives)
    assert manager.email == "quanly.moi@demo-htx.vn" and manager.email in commands.accounts_table()


def test_demo_has_users_of_every_role_with_the_printed_passwords(demo):
    users = {u.email: u for u in db.session.scalars(select(User))}
    assert {u.role for u in users.values()} == set(Role)
    one_per_role = {item.role: item for item in data.USERS}.values()  # hashing is slow on purpose
    for item in one_per_role:
        assert users[item.email].check_password(item.password)
    agencies = {a.name: a.kind for a in db.session.scalars(select(Agency))}
    assert agencies == {
        "Tỉnh đoàn Bắc Ninh": AgencyKind.YOUTH_UNION,
        "Liên minh Hợp tác xã tỉnh Bắc Ninh": AgencyKind.COOPERATIVE_ALLIANCE,
    }
    assert all(u.agency for u in users.values() if u.role == Role.AGENCY_STAFF)
    coops = db.session.scalars(select(Cooperative)).all()
    assert all(c.managers for c in coops)
    suspended = next(c for c in coops if c.status == CooperativeStatus.SUSPENDED)
    assert suspended.status_reason and suspended.status_changed_by.role == Role.AGENCY_STAFF


def test_loading_twice_creates_nothing_new_and_keeps_edits(demo):
    before = demo_counts()
    product = db.session.scalar(select(Product).where(Product.sku == "VT-TUOI-KG"))
    product.stock = 7
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    admin.set_password("mat-khau-moi-123")
    db.session.commit()

    summary = load_demo(image_width=SMALL)
    db.session.commit()

    assert demo_counts() == before
    assert (summary.created_products, summary.created_images, summary.created_users) == (0, 0, 0)
    db.session.refresh(product)
    assert product.stock == 7
    assert admin.check_password(data.PASSWORDS[Role.ADMIN])


def test_demo_command_loads_data_and_prints_accounts(app, runner):
    app.config["DEMO_IMAGE_WIDTH"] = SMALL

    result = runner.invoke(args=["demo", "--no-serve"])

    assert result.exit_code == 0, result.output
    assert "Uploads:" in result.output and "Database:" in result.output
    assert "admin@demo-htx.vn" in result.output and "demo-admin-2025" in result.output
    assert "demo-customer-2025" in result.output
    assert "/booth/sign-in" in result.output and HELPER_CODE in result.output
    db.session.expire_all()
    assert len(public_products()) >= 80


def test_demo_command_serves_on_the_given_address(app, runner, monkeypatch):
    served = {}

    def fake_run_simple(host, port, application, **options):
        served.update(host=host, port=port, app=application, **options)

    monkeypatch.setattr(commands, "run_simple", fake_run_simple)
    monkeypatch.setattr(loader, "load_demo", lambda image_width: loader.DemoSummary())

    result = runner.invoke(args=["demo", "--host", "0.0.0.0", "--port", "8123"])

    assert result.exit_code == 0, result.output
    assert served["app"] is app
    assert (served["host"], served["port"], served["use_reloader"], served["use_debugger"]) == (
        "0.0.0.0",
        8123,
        False,
        False,
    )
    assert "http://0.0.0.0:8123/" in result.output


# --- trade fairs --------------------------------------------------------------------------------


def demo_fairs() -> dict[str, Fair]:
    return {fair.phase(): fair for fair in db.session.scalars(select(Fair).where(Fair.slug.in_(FAIR_SLUGS)))}


def test_demo_has_a_past_an_ongoing_and_an_upcoming_fair_with_booths_and_results(demo):
    fairs = demo_fairs()
    assert set(fairs) == {"past", "ongoing", "upcoming"}
    past, ongoing, upcoming = fairs["past"], fairs["ongoing"], fairs["upcoming"]
    assert past.status == FairStatus.CLOSED and ongoing.is_on() and upcoming.status == FairStatus.ACCEPTING
    assert upcoming.applications_close_at < upcoming.starts_at
    assert {a.name for a in past.organisers} == {data.YOUTH_UNION, data.COOPERATIVE_ALLIANCE}
    for fair in fairs.values():
        approved = [b for b in fair.booths if b.status == BoothStatus.APPROVED]
        assert len(approved) >= 2 and all(b.number and b.products for b in approved)
        assert len({b.code for b in fair.booths} | {fair.code}) == len(fair.booths) + 1
        assert any(p.fair_price_vnd and p.fair_price_vnd < p.product.price_vnd for b in approved for p in b.products)
    assert any(b.status == BoothStatus.REJECTED and b.rejection_reason for b in past.booths)
    assert any(b.status == BoothStatus.PENDING and b.number is None for b in ongoing.booths)

    for fair in (past, ongoing):
        visits = db.session.scalars(select(FairVisit).where(FairVisit.fair_id == fair.id)).all()
        assert len({v.visitor for v in visits}) < len(visits)  # some people scanned more than once
        assert any(v.booth_id is None for v in visits) and any(v.booth_id for v in visits)
        assert all(fair.starts_at <= v.created_at < fair.ends_at and v.created_at <= utcnow() for v in visits)
        sales = db.session.scalars(select(OnSiteSale).join(OnSiteSale.booth).where(Booth.fair_id == fair.id)).all()
        assert len(sales) >= 5 and all(fair.starts_at <= s.created_at < fair.ends_at for s in sales)
        voided = [s for s in sales if s.voided_at]
        assert len(voided) == 1 and voided[0].void_reason and voided[0].voided_by is not None
        # Sold at the fair price where the booth had one.
        assert any(s.unit_price_vnd < s.product.price_vnd for s in sales)
        orders = db.session.scalars(select(Order).where(Order.source_fair_id == fair.id)).all()
        assert (
            len(orders) >= 3 and any(o.source_booth_id for o in orders) and any(not o.source_booth_id for o in orders)
        )
        assert all(o.source_booth is None or o.source_booth.fair_id == fair.id for o in orders)
        assert all(fair.starts_at <= o.created_at <= utcnow() for o in orders)
    assert not db.session.scalars(select(FairVisit).where(FairVisit.fair_id == upcoming.id)).first()


def test_demo_fairs_are_on_the_public_pages(demo):
    client = demo.test_client()
    fairs = demo_fairs()
    listing = client.get("/fairs/").get_data(as_text=True)
    assert all(f'data-fair="{fair.slug}"' in listing for fair in fairs.values())
    assert f'href="/fairs/{fairs["ongoing"].slug}"' in client.get("/").get_data(as_text=True)
    for fair in fairs.values():
        page = client.get(f"/fairs/{fair.slug}")
        assert page.status_code == 200
        assert 'class="booth-entry"' in page.get_data(as_text=True)
    ongoing = client.get(f"/api/v1/fairs/{fairs['ongoing'].slug}").get_json()
    assert any(p["fair_price"] for b in ongoing["booths"] for p in b["products"])


@pytest.mark.parametrize("hour", [0, 17])  # 07:00 and 00:00 in Vietnam: nothing dated after "now"
def test_demo_fairs_are_right_whatever_the_time_of_loading(app, monkeypatch, hour):
    now = datetime(2027, 3, 8, hour, 10)
    monkeypatch.setattr("marketplace.demo.fairs.utcnow", lambda: now)
    load_demo(image_width=SMALL)
    db.session.commit()

    assert {fair.phase(now) for fair in db.session.scalars(select(Fair))} == {"past", "ongoing", "upcoming"}
    for model in (FairVisit, OnSiteSale, Order):
        assert db.session.scalar(select(func.max(model.created_at))) <= now, model


# --- the programme: promotion activities, training classes, new cooperatives, targets -----------


def test_demo_programme_dashboard_tells_a_story(demo):
    from datetime import date

    from marketplace.program.models import (
        SupportedCooperative,
        TargetMetric,
        TrainingClass,
    )
    from marketplace.program.progress import dashboard
    from marketplace.promotion.models import ActivityStatus, PromotionActivity

    board = dashboard(today=date(2026, 1, 15))
    training = board.metric(TargetMetric.TRAINING_CLASSES).cells
    assert all(training[year].actual >= 1 for year in (2023, 2024, 2025))
    assert sorted(training[year].actual for year in (2023, 2024, 2025)) == [1, 1, 2]
    youth = board.metric(TargetMetric.NEW_YOUTH_COOPERATIVES).cells[None]
    assert (youth.actual, youth.target, youth.status) == (7, 6, "met")
    commitment_four = {
        (m.metric, year): cell.status
        for m in board.metrics
        if m.commitment == 4
        for year, cell in m.cells.items()
        if year is not None
    }
    # One commitment-four target missed: 2024's sales.
    assert [key for key, status in commitment_four.items() if status != "met"] == [(TargetMetric.SALES_VND, 2024)]

    activities = db.session.scalars(select(PromotionActivity)).all()
    assert {a.start_date.year for a in activities} >= {2023, 2024, 2025}
    assert {agency.name for a in activities for agency in a.agencies} == {data.YOUTH_UNION, data.COOPERATIVE_ALLIANCE}
    by_status = {status: [a for a in activities if a.status == status] for status in ActivityStatus}
    assert len(by_status[ActivityStatus.SUBMITTED]) == 1 and len(by_status[ActivityStatus.RETURNED]) == 1
    assert by_status[ActivityStatus.RETURNED][0].return_comment
    assert len(by_status[ActivityStatus.APPROVED]) >= 12
    assert all(a.cooperatives and a.products for a in activities)
    assert all(
        a.decided_by is not None and a.decided_by.agency_id not in {ag.id for ag in a.agencies}
        for a in by_status[ActivityStatus.APPROVED]
        if a.fair_id is None
    )
    past_fair = demo_fairs()["past"]
    linked = [a for a in activities if a.fair_id == past_fair.id]
    assert len(linked) == 1 and linked[0].status == ActivityStatus.APPROVED
    assert {c.id for c in linked[0].cooperatives} <= {b.cooperative_id for b in past_fair.booths}

    assert db.session.scalar(select(func.count()).select_from(TrainingClass)) >= 4
    supported = db.session.scalars(select(SupportedCooperative)).all()
    assert any(s.cooperative_id for s in supported) and any(not s.is_youth for s in supported)


def test_demo_programme_pages_open(demo):
    from tests.cooperatives.helpers import sign_in

    client = demo.test_client()
    assert client.get("/program/").status_code == 200
    staff = db.session.scalar(select(User).where(User.email == f"tinhdoan@{data.EMAIL_DOMAIN}"))
    sign_in(client, staff)
    for url in (
        "/agency/program/",
        "/agency/program/training",
        "/agency/program/cooperatives",
        "/agency/promotion/?year=2024&status=approved",
    ):
        assert client.get(url).status_code == 200, url


def test_reloading_the_demo_keeps_an_admins_target(demo):
    from marketplace.program.models import ProgramTarget, TargetMetric

    target = db.session.scalar(
        select(ProgramTarget).where(ProgramTarget.metric == TargetMetric.SALES_VND, ProgramTarget.year == 2024)
    )
    target.value = 350_000_000
    db.session.commit()

    load_demo(image_width=SMALL)
    db.session.commit()

    db.session.refresh(target)
    assert target.value == 350_000_000


# --- the sales history 2023-2025: what the report page measures --------------------------------


def programme_report():
    from marketplace.promotion.reports import ReportQuery, program_range, promotion_report

    start, end = program_range()
    return promotion_report(ReportQuery(date_from=start, date_to=end, group_by="year"))


def history_orders() -> list[Order]:
    return db.session.scalars(select(Order).where(Order.created_at < datetime(2026, 1, 1)).order_by(Order.id)).all()


def test_demo_report_measures_sales_beside_the_reported_ones(demo):
    report = programme_report()  # the function the report page, its exports and the dashboard use
    totals = report.totals
    assert totals.sales_measured_vnd > 0 and totals.platform_sales_vnd > 0
    # Believable: the platform sees a part of what the activities reported (cash, livestream comments...).
    assert totals.sales_measured_vnd < totals.sales_reported_vnd
    assert totals.platform_sales_vnd < totals.sales_reported_vnd
    assert totals.sales_measured_vnd != totals.platform_sales_vnd
    years = {str(group.key): group.figures for group in report.groups}
    for year in ("2023", "2024", "2025"):
        assert 0 < years[year].sales_measured_vnd < years[year].sales_reported_vnd, year
        assert years[year].platform_sales_vnd > 0, year


def test_demo_history_orders_are_credited_like_checkout_credits_them(demo):
    from marketplace.demo.sales import FAIRS as PAST_FAIRS
    from marketplace.orders.models import PartStatus
    from marketplace.promotion.models import ActivityStatus, PromotionActivity

    orders = history_orders()
    assert 100 <= len(orders) <= 400  # a few hundred: the demo starts quickly
    assert {o.created_at.year for o in orders} == {2023, 2024, 2025}
    assert all(p.status in (PartStatus.DELIVERED, PartStatus.COMPLETED) for o in orders for p in o.parts)
    assert len({o.number for o in orders}) == len(orders) and all(o.number for o in orders)
    assert len({o.contact_name for o in orders}) > 50 and all(o.user_id is None for o in orders)

    tracked = [o for o in orders if o.source_activity_id]
    assert len(tracked) >= 30
    activities = {o.source_activity for o in tracked}
    assert all(a.status == ActivityStatus.APPROVED and a.tracking_code for a in activities)
    assert all(
        a.start_date <= o.created_at.date() <= a.end_date + timedelta(days=8)
        for o in tracked
        for a in [o.source_activity]
    )
    assert all({p.cooperative_id for p in o.parts} <= {c.id for c in o.source_activity.cooperatives} for o in tracked)

    past = {f.slug: f for f in db.session.scalars(select(Fair).where(Fair.slug.in_([f.slug for f in PAST_FAIRS])))}
    assert len(past) == len(PAST_FAIRS) and all(f.status == FairStatus.CLOSED for f in past.values())
    for item in PAST_FAIRS:
        fair = past[item.slug]
        linked = db.session.scalar(select(PromotionActivity).where(PromotionActivity.title == item.activity))
        assert linked.fair_id == fair.id and linked.status == ActivityStatus.APPROVED
        from_qr = [o for o in orders if o.source_fair_id == fair.id]
        assert len(from_qr) >= 5 and any(o.source_booth_id for o in from_qr)
        assert all(o.source_booth is None or o.source_booth.fair_id == fair.id for o in from_qr)
        assert all(fair.starts_at <= o.created_at <= fair.ends_at + timedelta(days=7) for o in from_qr)
        sales = db.session.scalars(select(OnSiteSale).join(OnSiteSale.booth).where(Booth.fair_id == fair.id)).all()
        assert len(sales) >= 10 and all(fair.starts_at <= s.created_at < fair.ends_at for s in sales)
    assert any(not o.source_fair_id and not o.source_activity_id for o in orders)


def test_demo_history_leaves_todays_stock_alone(app, monkeypatch):
    from marketplace.demo import sales

    stock = {}
    load_sales = sales.load_sales

    def watched(fairs):
        stock["before"] = dict(db.session.execute(select(Product.id, Product.stock)).all())
        created = load_sales(fairs)
        stock["after"] = dict(db.session.execute(select(Product.id, Product.stock)).all())
        return created

    monkeypatch.setattr(loader, "load_sales", watched)
    load_demo(image_width=SMALL)
    db.session.commit()

    assert stock["before"] == stock["after"] and min(stock["after"].values()) >= 0
    # Delivered parts count as sold, as a delivery through orders.services would.
    assert db.session.scalar(select(func.sum(Product.units_sold))) > 0


def test_an_older_demo_gets_the_history_once(app, monkeypatch):
    """A demo database loaded before the history existed: the next load adds it, links the fairs
    to the activities made without them, and a third load adds nothing."""
    from marketplace.demo.sales import FAIRS as PAST_FAIRS
    from marketplace.orders.models import OrderPart, OrderStatusChange
    from marketplace.promotion.models import PromotionActivity

    monkeypatch.setattr(loader, "load_history_fairs", lambda: [])
    load_demo(image_width=SMALL)
    db.session.commit()
    assert history_orders() == [] and programme_report().totals.sales_measured_vnd == 0
    monkeypatch.undo()

    summary = load_demo(image_width=SMALL)
    db.session.commit()
    assert summary.created_orders == len(history_orders()) > 0
    for item in PAST_FAIRS:
        activity = db.session.scalar(select(PromotionActivity).where(PromotionActivity.title == item.activity))
        assert activity.fair is not None and activity.fair.slug == item.slug
    measured = programme_report().totals.sales_measured_vnd
    counts = demo_counts()
    parts = [db.session.scalar(select(func.count()).select_from(m)) for m in (OrderPart, OrderStatusChange)]

    assert load_demo(image_width=SMALL).created_orders == 0
    db.session.commit()
    assert demo_counts() == counts
    assert [db.session.scalar(select(func.count()).select_from(m)) for m in (OrderPart, OrderStatusChange)] == parts
    assert programme_report().totals.sales_measured_vnd == measured > 0


def test_demo_history_is_the_same_on_every_fresh_demo(app):
    from tests.conftest import empty_all_tables

    def snapshot():
        return [
            (
                o.contact_name,
                o.contact_phone,
                o.created_at,
                o.items_total_vnd,
                o.source_fair_id is None,
                o.source_activity_id is None,
            )
            for o in history_orders()
        ], programme_report().totals.as_dict()

    load_demo(image_width=SMALL)
    db.session.commit()
    first = snapshot()
    empty_all_tables()
    db.session.commit()
    load_demo(image_width=SMALL)
    db.session.commit()
    assert snapshot() == first


def test_the_report_page_shows_measured_sales_to_agency_staff(demo):
    import re

    from tests.cooperatives.helpers import sign_in

    client = demo.test_client()
    staff = db.session.scalar(select(User).where(User.email == f"tinhdoan@{data.EMAIL_DOMAIN}"))
    sign_in(client, staff)
    html = client.get("/agency/reports/promotion").get_data(as_text=True)  # the programme by default
    assert "Doanh số đo được" in html and "Doanh số trên sàn" in html
    shown = {m[1]: int(m[2]) for m in re.finditer(r'data-total="(\w+)" data-value="(-?\d+)"', html)}
    totals = programme_report().totals
    assert shown["sales_measured_vnd"] == totals.sales_measured_vnd > 0
    assert shown["platform_sales_vnd"] == totals.platform_sales_vnd > 0


def test_the_past_fairs_pages_open(demo):
    from marketplace.demo.sales import FAIRS as PAST_FAIRS
    from tests.cooperatives.helpers import sign_in

    client = demo.test_client()
    for item in PAST_FAIRS:
        page = client.get(f"/fairs/{item.slug}")
        assert page.status_code == 200 and item.name in page.get_data(as_text=True)
    staff = db.session.scalar(select(User).where(User.email == f"lienminh@{data.EMAIL_DOMAIN}"))
    sign_in(client, staff)
    for item in PAST_FAIRS:
        assert client.get(f"/agency/fairs/{item.slug}/results").status_code == 200


def test_the_programme_dashboard_shows_measured_sales(demo):
    from datetime import date

    from marketplace.program.models import TargetMetric
    from marketplace.program.progress import dashboard

    cells = dashboard(today=date(2026, 1, 15)).metric(TargetMetric.SALES_VND).cells
    assert all(cells[year].measured > 0 for year in (2023, 2024, 2025, None))
    assert all(cells[year].measured < cells[year].actual for year in (2023, 2024, 2025, None))


def test_the_demo_booth_helper_signs_in_with_the_printed_code(demo):
    from marketplace.fairs.booth_access import HELPER_SESSION_KEY

    ongoing = demo_fairs()["ongoing"]
    booth = next(b for b in ongoing.booths if b.number == "A01")
    client = demo.test_client()
    answer = client.post("/booth/sign-in", data={"code": HELPER_CODE.lower()})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/booth/{booth.id}/")
    with client.session_transaction() as session:
        assert HELPER_SESSION_KEY in session
    assert client.get(f"/workspace/{booth.cooperative.slug}/").status_code == 302  # booth-only
