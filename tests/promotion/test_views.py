"""Agency pages at /agency/promotion and the cooperative's read-only list: who sees what,
forms, workflow buttons, filters."""

from __future__ import annotations

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.promotion import services
from marketplace.promotion.models import (
    ActivityChange,
    ActivityStatus,
    PromotionActivity,
)
from tests import factories
from tests.cooperatives.helpers import csrf_token, sign_in
from tests.promotion.helpers import activity_input, build_world


@pytest.fixture
def world(app):
    return build_world()


def create(world, who=None, status=ActivityStatus.DRAFT, **overrides):
    activity = services.create_activity(activity_input(world, **overrides), who or world.yu_staff)
    if status != ActivityStatus.DRAFT:
        services.submit(activity, who or world.yu_staff)
    if status == ActivityStatus.APPROVED:
        services.approve(activity, world.admin)
    if status == ActivityStatus.RETURNED:
        services.return_activity(activity, world.admin, "Thiếu ảnh")
    return activity


def listed(response) -> set[int]:
    return {int(i) for i in re.findall(r'data-activity-id="(\d+)"', response.get_data(as_text=True))}


def form_data(world, **changes) -> dict:
    data = {
        "type": "fair_exhibition",
        "title": "Gian hàng tại Hội chợ nông sản Bắc Ninh",
        "start_date": "2025-09-05",
        "end_date": "2025-09-08",
        "province_code": str(factories.BAC_NINH),
        "ward_code": str(factories.LUC_NGAN),
        "agencies": [str(world.youth_union.id)],
        "organising_unit": "Ban Phong trào",
        "fair_id": "",
        "cooperatives": [str(world.coop_a.id)],
        "products": [str(world.product_a.id)],
        "budget_vnd": "15.000.000",
        "visitors": "3000",
        "business_contacts": "20",
        "contracts_count": "1",
        "contracts_value_vnd": "50.000.000",
        "sales_vnd": "12.500.000",
        "media_items": "2",
        "notes": "Khách đông ngày cuối tuần",
    }
    data.update(changes)
    return data


def agency_urls(activity_id: int) -> list[tuple[str, str]]:
    return [
        ("get", "/agency/promotion/"),
        ("get", "/agency/promotion/new"),
        ("get", f"/agency/promotion/{activity_id}"),
        ("get", f"/agency/promotion/{activity_id}/edit"),
        ("post", "/agency/promotion/new"),
        ("post", f"/agency/promotion/{activity_id}/edit"),
        ("post", f"/agency/promotion/{activity_id}/submit"),
        ("post", f"/agency/promotion/{activity_id}/approve"),
        ("post", f"/agency/promotion/{activity_id}/return"),
    ]


@pytest.mark.parametrize("who", ["customer", "manager_a"])
def test_people_outside_the_agencies_get_403_and_change_nothing(world, client, who):
    activity = create(world)
    factories.commit()
    sign_in(client, getattr(world, who))

    for method, url in agency_urls(activity.id):
        response = getattr(client, method)(url, data=form_data(world, title="Đổi") if method == "post" else None)
        assert response.status_code == 403, url
    db.session.expire_all()
    assert db.session.scalar(select(func.count(PromotionActivity.id))) == 1
    assert activity.status == ActivityStatus.DRAFT and activity.title == "Livestream vải thiều 2025"


def test_anonymous_visitors_are_sent_to_sign_in(world, client):
    activity = create(world)
    factories.commit()

    for method, url in agency_urls(activity.id):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


@pytest.mark.parametrize("who", ["yu_staff", "ca_staff", "admin"])
def test_agency_staff_and_admins_see_the_pages(world, client, who):
    activity = create(world)
    factories.commit()
    sign_in(client, getattr(world, who))

    for url in ("/agency/promotion/", "/agency/promotion/new", f"/agency/promotion/{activity.id}"):
        assert client.get(url).status_code == 200, url


def test_creating_an_activity_through_the_form(world, client):
    factories.commit()
    sign_in(client, world.yu_staff)
    # The new form starts with the person's own agency ticked.
    page = client.get("/agency/promotion/new").get_data(as_text=True)
    assert re.search(
        rf'<input checked id="agencies-\d+" name="agencies" type="checkbox" value="{world.youth_union.id}"', page
    )

    response = client.post("/agency/promotion/new", data=form_data(world))

    assert response.status_code == 302
    activity = db.session.scalars(select(PromotionActivity)).one()
    assert response.headers["Location"].endswith(f"/agency/promotion/{activity.id}")
    assert activity.status == ActivityStatus.DRAFT
    assert (activity.budget_vnd, activity.visitors, activity.sales_vnd) == (15_000_000, 3000, 12_500_000)
    assert [p.sku for p in activity.products] == ["VT-01"]
    assert activity.start_date == date(2025, 9, 5)
    detail = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'data-field="sales_vnd"' in detail and 'data-value="12500000"' in detail
    assert 'data-action="created"' in detail


@pytest.mark.parametrize(
    ("changes", "field_id"),
    [
        ({"title": ""}, "title"),
        ({"end_date": "2025-09-01"}, "end_date"),
        ({"start_date": "05/09/2025"}, "start_date"),
        ({"visitors": "-3"}, "visitors"),
        ({"visitors": "12,5"}, "visitors"),
        ({"agencies": []}, "agencies"),
        ({"agencies": ["99999"]}, "agencies"),
        ({"cooperatives": [str(10**6)]}, "cooperatives"),
        ({"ward_code": "1"}, "ward_code"),
        ({"type": "tiec"}, "type"),
    ],
)
def test_bad_form_input_is_a_400_next_to_the_field_and_saves_nothing(world, client, changes, field_id):
    factories.commit()
    sign_in(client, world.yu_staff)

    response = client.post("/agency/promotion/new", data=form_data(world, **changes))

    assert response.status_code == 400
    assert f'id="{field_id}-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PromotionActivity.id))) == 0


def test_a_pending_cooperative_is_refused_by_the_form(world, client):
    factories.commit()
    sign_in(client, world.yu_staff)

    response = client.post(
        "/agency/promotion/new", data=form_data(world, cooperatives=[str(world.pending.id)], products=[])
    )

    assert response.status_code == 400
    assert 'id="cooperatives-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(PromotionActivity.id))) == 0


def test_editing_records_the_history(world, client):
    activity = create(world)
    factories.commit()
    sign_in(client, world.yu_staff2)
    assert 'value="Livestream vải thiều 2025"' in client.get(f"/agency/promotion/{activity.id}/edit").get_data(
        as_text=True
    )

    response = client.post(
        f"/agency/promotion/{activity.id}/edit", data=form_data(world, type="livestream_sale", visitors="4000")
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert activity.visitors == 4000
    fields = set(db.session.scalars(select(ActivityChange.field).where(ActivityChange.action == "updated")))
    assert {"title", "visitors", "start_date", "end_date", "budget_vnd", "notes"} <= fields
    page = client.get(f"/agency/promotion/{activity.id}").get_data(as_text=True)
    assert 'data-action="updated" data-field="visitors"' in page


def test_an_approved_activity_cannot_be_edited(world, client):
    activity = create(world, status=ActivityStatus.APPROVED)
    factories.commit()
    sign_in(client, world.yu_staff)

    response = client.post(f"/agency/promotion/{activity.id}/edit", data=form_data(world, title="Sửa lén"))

    assert response.status_code == 302
    db.session.expire_all()
    assert activity.title == "Livestream vải thiều 2025"


def test_the_workflow_through_the_pages(csrf_app, world):
    client = csrf_app.test_client()
    activity = create(world)
    factories.commit()
    url = f"/agency/promotion/{activity.id}"

    sign_in(client, world.yu_staff)
    response = client.post(f"{url}/submit", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    db.session.expire_all()
    assert activity.status == ActivityStatus.SUBMITTED

    # The organisers cannot approve their own report; the page offers them no button.
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}/approve"' not in page
    response = client.post(f"{url}/approve", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 303
    db.session.expire_all()
    assert activity.status == ActivityStatus.SUBMITTED

    sign_in(client, world.ca_staff)
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}/approve"' in page
    response = client.post(f"{url}/return", data={"csrf_token": csrf_token(client, url), "comment": ""})
    assert response.status_code == 400
    assert 'id="comment-error"' in response.get_data(as_text=True)
    response = client.post(
        f"{url}/return", data={"csrf_token": csrf_token(client, url), "comment": "Thiếu ảnh gian hàng"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert activity.status == ActivityStatus.RETURNED
    assert activity.return_comment == "Thiếu ảnh gian hàng"

    sign_in(client, world.yu_staff)
    assert "Thiếu ảnh gian hàng" in client.get(url).get_data(as_text=True)
    client.post(f"{url}/submit", data={"csrf_token": csrf_token(client, url)})
    sign_in(client, world.ca_staff)
    response = client.post(f"{url}/approve", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    db.session.expire_all()
    assert activity.status == ActivityStatus.APPROVED
    assert activity.decided_by_id == world.ca_staff.id


def test_workflow_posts_need_the_csrf_token(csrf_app, world):
    client = csrf_app.test_client()
    activity = create(world)
    factories.commit()
    sign_in(client, world.yu_staff)

    assert client.post(f"/agency/promotion/{activity.id}/submit").status_code == 400
    db.session.expire_all()
    assert activity.status == ActivityStatus.DRAFT


def test_the_list_filters_by_status_type_year_and_agency(world, client):
    draft = create(world, title="Nháp")
    approved = create(
        world,
        status=ActivityStatus.APPROVED,
        title="Đã duyệt",
        type="trade_promotion_conference",
        start_date=date(2024, 3, 1),
        end_date=date(2024, 3, 2),
    )
    returned = create(world, status=ActivityStatus.RETURNED, title="Trả lại", agencies=[world.alliance])
    factories.commit()
    sign_in(client, world.ca_staff)

    assert listed(client.get("/agency/promotion/")) == {draft.id, approved.id, returned.id}
    assert listed(client.get("/agency/promotion/?status=approved")) == {approved.id}
    assert listed(client.get("/agency/promotion/?status=returned")) == {returned.id}
    assert listed(client.get("/agency/promotion/?type=trade_promotion_conference")) == {approved.id}
    assert listed(client.get("/agency/promotion/?year=2024")) == {approved.id}
    assert listed(client.get("/agency/promotion/?year=2025")) == {draft.id, returned.id}
    assert listed(client.get(f"/agency/promotion/?agency={world.alliance.id}")) == {returned.id}
    assert listed(client.get(f"/agency/promotion/?agency={world.youth_union.id}&year=2025")) == {draft.id}
    for bad in ("status=xyz", "type=party", "year=abc", "agency=x"):
        assert client.get(f"/agency/promotion/?{bad}").status_code == 400, bad


def test_unknown_activity_is_404(world, client):
    factories.commit()
    sign_in(client, world.yu_staff)

    assert client.get("/agency/promotion/999").status_code == 404


# --- the cooperative's read-only view --------------------------------------------------------


def test_managers_see_the_approved_activities_of_their_cooperative(world, client):
    with_a = create(world, status=ActivityStatus.APPROVED)
    draft_with_a = create(world, title="Nháp có A")
    only_b = create(
        world, status=ActivityStatus.APPROVED, title="Chỉ B", cooperatives=[world.coop_b], products=[world.product_b]
    )
    factories.commit()
    sign_in(client, world.manager_a)

    page = client.get("/workspace/htx-vai-thieu/promotion/")
    assert page.status_code == 200
    assert listed(page) == {with_a.id}
    detail = client.get(f"/workspace/htx-vai-thieu/promotion/{with_a.id}")
    assert detail.status_code == 200
    text = detail.get_data(as_text=True)
    assert "Vải thiều sấy" in text and 'data-value="45000000"' in text
    assert "/evidence/" not in text
    assert client.get(f"/workspace/htx-vai-thieu/promotion/{only_b.id}").status_code == 404
    assert client.get(f"/workspace/htx-vai-thieu/promotion/{draft_with_a.id}").status_code == 404


def test_managers_cannot_see_another_cooperatives_activities(world, client):
    activity = create(world, status=ActivityStatus.APPROVED)
    factories.commit()
    sign_in(client, world.manager_b)

    assert client.get("/workspace/htx-vai-thieu/promotion/").status_code == 403
    assert client.get(f"/workspace/htx-vai-thieu/promotion/{activity.id}").status_code == 403
    sign_in(client, world.customer)
    assert client.get("/workspace/htx-vai-thieu/promotion/").status_code == 403
