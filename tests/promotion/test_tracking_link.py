"""An activity's own tracking link: created for an approved activity, /f/<code> remembers the
activity, the order placed afterwards stores it, and the report measures it."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.fairs.attribution import (
    SOURCE_COOKIE,
    Source,
    current_source,
    decode_source,
    encode_source,
)
from marketplace.fairs.models import FairVisit
from marketplace.orders.models import Order
from marketplace.orders.services import place_order
from marketplace.promotion import reports, tracking
from marketplace.promotion.models import (
    ActivityChange,
    ActivityStatus,
    ActivityType,
    PromotionActivity,
)
from tests import factories as f
from tests.cooperatives.helpers import sign_in

BROWSER = {"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0 Safari/537.36"}


@pytest.fixture
def setup(app):
    agency = f.agency("Tỉnh đoàn")
    coop = f.cooperative("HTX Mật ong", slug="htx-mat-ong")
    honey = f.product(coop, name="Mật ong", price_vnd=150_000, stock=20)
    staff = f.staff(agency)
    customer = f.user()

    def activity(status=ActivityStatus.APPROVED, **values):
        item = PromotionActivity(
            title=values.pop("title", "Livestream mật ong"),
            type=ActivityType.LIVESTREAM,
            status=status,
            start_date=date(2025, 6, 1),
            end_date=date(2025, 6, 1),
            sales_vnd=1_000_000,
            **values,
        )
        item.agencies.append(agency)
        item.cooperatives.append(coop)
        db.session.add(item)
        db.session.flush()
        return item

    approved = activity()
    draft = activity(ActivityStatus.DRAFT, title="Nháp")
    f.commit()
    return type("Setup", (), locals())


def test_created_for_an_approved_activity_only(setup):
    code = tracking.create_tracking_link(setup.approved, setup.staff)
    assert code and setup.approved.tracking_code == code
    assert tracking.create_tracking_link(setup.approved, setup.staff) == code  # kept
    with pytest.raises(Refused):
        tracking.create_tracking_link(setup.draft, setup.staff)
    assert setup.draft.tracking_code is None
    assert (
        db.session.scalar(sa.select(ActivityChange.new_value).where(ActivityChange.action == "tracking_link")) == code
    )


def test_the_action_on_the_activity_page(client, setup):
    sign_in(client, setup.staff)
    page = client.get(f"/agency/promotion/{setup.approved.id}")
    assert page.status_code == 200 and 'id="tracking-link-form"' in page.get_data(as_text=True)
    response = client.post(f"/agency/promotion/{setup.approved.id}/tracking-link")
    assert response.status_code == 303
    db.session.expire_all()
    code = db.session.get(PromotionActivity, setup.approved.id).tracking_code
    assert code
    page = client.get(f"/agency/promotion/{setup.approved.id}").get_data(as_text=True)
    assert f"/f/{code}" in page and f'data-tracking-code="{code}"' in page
    poster = client.get(f"/agency/promotion/{setup.approved.id}/tracking-poster")
    assert poster.status_code == 200 and "<svg" in poster.get_data(as_text=True)
    assert client.post(f"/agency/promotion/{setup.draft.id}/tracking-link").status_code == 303
    db.session.expire_all()
    assert db.session.get(PromotionActivity, setup.draft.id).tracking_code is None
    sign_in(client, setup.customer)
    assert client.post(f"/agency/promotion/{setup.approved.id}/tracking-link").status_code == 403


def test_a_scan_credits_the_next_order_to_the_activity(client, setup):
    setup.approved.tracking_code = "MATONG7"
    f.commit()
    response = client.get("/f/matong7", headers=BROWSER)  # any case
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/cooperatives/htx-mat-ong")
    assert db.session.scalar(sa.select(sa.func.count(FairVisit.id))) == 0  # not a fair visit
    cookie = client.get_cookie(SOURCE_COOKIE)
    with client.application.test_request_context("/", headers={"Cookie": f"{SOURCE_COOKIE}={cookie.value}"}):
        source = current_source()
    assert source.activity_id == setup.approved.id and source.fair_id is None

    order = place_order([(setup.honey.id, 2)], f.checkout(), source=source)
    f.commit()
    assert db.session.get(Order, order.id).source_activity_id == setup.approved.id
    assert order.source_fair_id is None
    measured = reports.activity_measured(setup.approved)
    assert (measured["tracked_orders"], measured["tracked_vnd"]) == (1, 300_000)
    report = reports.promotion_report(reports.ReportQuery(date(2025, 1, 1), date(2025, 12, 31)))
    assert report.totals.sales_measured_vnd == 300_000
    assert report.totals.sales_reported_vnd == 1_000_000


def test_codes_of_drafts_and_unknown_codes_are_404(client, setup):
    setup.draft.tracking_code = "NHAP123"
    f.commit()
    assert client.get("/f/NHAP123", headers=BROWSER).status_code == 404
    assert client.get("/f/KHONGCO", headers=BROWSER).status_code == 404


def test_old_fair_cookies_still_read(app):
    from datetime import datetime

    with app.test_request_context("/"):
        moment = datetime(2026, 11, 20, 3, 0, 0)
        fair_only = Source(5, None, moment)
        assert decode_source(encode_source(fair_only), moment) == fair_only
        activity = Source(None, None, moment, 9)
        assert decode_source(encode_source(activity), moment) == activity


def test_a_real_checkout_after_scanning_an_activity_link(client, setup):
    setup.approved.tracking_code = "MATONG8"
    f.commit()
    assert client.get("/f/MATONG8", headers=BROWSER).status_code == 302
    client.post("/cart/add", data={"product_id": setup.honey.id, "quantity": 1})
    checkout = client.get("/checkout")
    assert checkout.status_code == 200
    # Attribution is said where it happens, at checkout and on the order.
    note = f'data-source-activity="{setup.approved.id}"'
    assert note in checkout.get_data(as_text=True) and "Livestream mật ong" in checkout.get_data(as_text=True)
    placed = client.post(
        "/checkout",
        data={
            "name": "Nguyễn Thị Lan",
            "phone": "0912 345 678",
            "email": "lan@example.vn",
            "province_code": str(f.BAC_NINH),
            "ward_code": str(f.LUC_NGAN),
            "street": "Số 12",
            "payment_method": "cod",
        },
    )
    assert placed.status_code == 302
    order = db.session.scalars(sa.select(Order)).one()
    assert (order.source_activity_id, order.source_fair_id, order.items_total_vnd) == (setup.approved.id, None, 150_000)
    page = client.get(placed.headers["Location"]).get_data(as_text=True)
    assert note in page and "hoạt động xúc tiến “Livestream mật ong”" in page
