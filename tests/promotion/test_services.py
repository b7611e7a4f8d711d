"""Promotion activities: validation, the draft → submitted → approved/returned workflow,
who may approve, and the edit history."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.promotion import services
from marketplace.promotion.models import (
    ActivityChange,
    ActivityStatus,
    ActivityType,
    PromotionActivity,
)
from tests import factories
from tests.promotion.helpers import activity_input, build_world


@pytest.fixture
def world(app):
    return build_world()


def count_activities() -> int:
    return db.session.scalar(select(func.count(PromotionActivity.id)))


def changes(activity) -> list[tuple[str, str, str, str]]:
    rows = db.session.scalars(
        select(ActivityChange).where(ActivityChange.activity_id == activity.id).order_by(ActivityChange.id)
    )
    return [(c.action, c.field, c.old_value, c.new_value) for c in rows]


def test_staff_create_a_draft_with_everything_they_entered(world):
    activity = services.create_activity(activity_input(world), world.yu_staff)

    assert activity.status == ActivityStatus.DRAFT
    assert activity.type == ActivityType.LIVESTREAM
    assert (activity.start_date, activity.end_date) == (date(2025, 6, 10), date(2025, 6, 12))
    assert activity.place == "Xã Lục Ngạn, Bắc Ninh"
    assert [a.name for a in activity.agencies] == ["Tỉnh đoàn Bắc Ninh"]
    assert [c.slug for c in activity.cooperatives] == ["htx-vai-thieu"]
    assert [p.sku for p in activity.products] == ["VT-01"]
    assert (activity.budget_vnd, activity.visitors, activity.business_contacts) == (20_000_000, 1500, 12)
    assert (activity.contracts_count, activity.contracts_value_vnd) == (2, 300_000_000)
    assert (activity.sales_vnd, activity.media_items) == (45_000_000, 3)
    assert activity.created_by_id == world.yu_staff.id
    assert changes(activity) == [("created", "", "", "")]


def test_an_online_activity_has_no_place(world):
    activity = services.create_activity(activity_input(world, province_code=None, ward_code=None), world.yu_staff)

    assert activity.place == ""


def test_empty_figures_count_as_zero(world):
    activity = services.create_activity(activity_input(world, visitors=None, budget_vnd=None), world.yu_staff)

    assert (activity.visitors, activity.budget_vnd) == (0, 0)


BAD_INPUT = [
    ({"title": "  "}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"type": "party"}, "type"),
    ({"type": None}, "type"),
    ({"start_date": None}, "start_date"),
    ({"end_date": None}, "end_date"),
    ({"end_date": date(2025, 6, 9)}, "end_date"),
    ({"province_code": 999_999}, "province_code"),
    ({"ward_code": 1}, "ward_code"),
    ({"province_code": None}, "province_code"),  # a ward without its province
    ({"agencies": []}, "agencies"),
    ({"organising_unit": "x" * 201}, "organising_unit"),
    ({"visitors": -1}, "visitors"),
    ({"budget_vnd": -5}, "budget_vnd"),
    ({"contracts_value_vnd": 10**19}, "contracts_value_vnd"),
    ({"media_items": 1.5}, "media_items"),
    ({"sales_vnd": True}, "sales_vnd"),
    ({"notes": "x" * 10_001}, "notes"),
]


@pytest.mark.parametrize(("overrides", "field"), BAD_INPUT)
def test_bad_input_is_refused_naming_the_field(world, overrides, field):
    with pytest.raises(Refused) as refused:
        services.create_activity(activity_input(world, **overrides), world.yu_staff)

    assert refused.value.field == field
    db.session.rollback()
    assert count_activities() == 0


def test_cooperatives_must_be_approved(world):
    with pytest.raises(Refused) as refused:
        services.create_activity(activity_input(world, cooperatives=[world.coop_a, world.pending]), world.yu_staff)

    assert refused.value.field == "cooperatives"
    assert "HTX Chờ duyệt" in refused.value.message


def test_products_must_belong_to_participating_cooperatives(world):
    with pytest.raises(Refused) as refused:
        services.create_activity(activity_input(world, products=[world.product_a, world.product_b]), world.yu_staff)

    assert refused.value.field == "products"
    assert "Gà đồi" in refused.value.message


@pytest.mark.parametrize("who", ["customer", "manager_a"])
def test_only_agency_staff_record_activities(world, who):
    with pytest.raises(Refused):
        services.create_activity(activity_input(world), getattr(world, who))


def test_each_changed_field_is_recorded_with_old_and_new_value(world):
    activity = services.create_activity(activity_input(world), world.yu_staff)

    changed = services.update_activity(
        activity,
        activity_input(
            world,
            title="Livestream vải thiều mùa 2025",
            visitors=1800,
            cooperatives=[world.coop_a, world.coop_b],
            products=[world.product_a, world.product_b],
            agencies=[world.youth_union, world.alliance],
        ),
        world.yu_staff2,
    )

    assert sorted(changed) == ["agencies", "cooperatives", "products", "title", "visitors"]
    history = changes(activity)[1:]
    assert ("updated", "title", "Livestream vải thiều 2025", "Livestream vải thiều mùa 2025") in history
    assert ("updated", "visitors", "1500", "1800") in history
    assert ("updated", "cooperatives", "HTX Vải thiều Lục Ngạn", "HTX Gà đồi; HTX Vải thiều Lục Ngạn") in history
    assert ("updated", "products", "htx-vai-thieu:VT-01", "htx-ga-doi:GA-01; htx-vai-thieu:VT-01") in history
    assert ("updated", "agencies", "Tỉnh đoàn Bắc Ninh", "Liên minh HTX Bắc Ninh; Tỉnh đoàn Bắc Ninh") in history
    who = db.session.scalars(select(ActivityChange.changed_by_id).where(ActivityChange.action == "updated")).all()
    assert set(who) == {world.yu_staff2.id}


def test_saving_without_changes_records_nothing(world):
    activity = services.create_activity(activity_input(world), world.yu_staff)

    assert services.update_activity(activity, activity_input(world), world.yu_staff) == []
    assert len(changes(activity)) == 1


def test_a_refused_edit_changes_nothing(world):
    activity = services.create_activity(activity_input(world), world.yu_staff)
    factories.commit()

    with pytest.raises(Refused):
        services.update_activity(activity, activity_input(world, title="Mới", visitors=-1), world.yu_staff)
    db.session.rollback()

    db.session.expire_all()
    assert (activity.title, activity.visitors) == ("Livestream vải thiều 2025", 1500)
    assert len(changes(activity)) == 1


def test_staff_of_another_agency_cannot_edit(world):
    activity = services.create_activity(activity_input(world), world.yu_staff)

    with pytest.raises(Refused):
        services.update_activity(activity, activity_input(world, title="Khác"), world.ca_staff)


def test_submit_then_approve_by_the_other_agency(world):
    activity = services.create_activity(activity_input(world), world.yu_staff)

    services.submit(activity, world.yu_staff2)
    assert activity.status == ActivityStatus.SUBMITTED
    assert activity.submitted_by_id == world.yu_staff2.id and activity.submitted_at is not None

    services.approve(activity, world.ca_staff)
    assert activity.status == ActivityStatus.APPROVED
    assert activity.decided_by_id == world.ca_staff.id and activity.decided_at is not None
    assert changes(activity)[1:] == [
        ("submitted", "status", "draft", "submitted"),
        ("approved", "status", "submitted", "approved"),
    ]


@pytest.mark.parametrize("who", ["yu_staff", "yu_staff2", "lone_staff", "customer", "manager_a"])
def test_the_organising_agency_cannot_approve_or_return_its_own_activity(world, who):
    activity = services.create_activity(activity_input(world), world.yu_staff)
    services.submit(activity, world.yu_staff)

    with pytest.raises(Refused):
        services.approve(activity, getattr(world, who))
    with pytest.raises(Refused):
        services.return_activity(activity, getattr(world, who), "Thiếu ảnh")
    assert activity.status == ActivityStatus.SUBMITTED


def test_the_creators_agency_cannot_approve_even_when_not_an_organiser(world):
    # Alliance staff record an activity the Youth Union organised: neither may approve it.
    activity = services.create_activity(activity_input(world), world.ca_staff)
    services.submit(activity, world.ca_staff)

    for person in (world.ca_staff, world.yu_staff):
        with pytest.raises(Refused):
            services.approve(activity, person)
    services.approve(activity, world.other_staff)
    assert activity.status == ActivityStatus.APPROVED


def test_an_admin_may_approve(world):
    activity = services.create_activity(activity_input(world), world.yu_staff)
    services.submit(activity, world.yu_staff)

    services.approve(activity, world.admin)

    assert activity.status == ActivityStatus.APPROVED


def test_only_a_submitted_activity_is_approved(world):
    activity = services.create_activity(activity_input(world), world.yu_staff)

    with pytest.raises(Refused):
        services.approve(activity, world.ca_staff)
    assert activity.status == ActivityStatus.DRAFT


def test_return_needs_a_comment_then_the_organisers_correct_and_resubmit(world):
    activity = services.create_activity(activity_input(world), world.yu_staff)
    services.submit(activity, world.yu_staff)

    with pytest.raises(Refused) as refused:
        services.return_activity(activity, world.ca_staff, "   ")
    assert refused.value.field == "comment"
    assert activity.status == ActivityStatus.SUBMITTED

    services.return_activity(activity, world.ca_staff, "Thiếu biên bản ký hợp đồng")
    assert activity.status == ActivityStatus.RETURNED
    assert activity.return_comment == "Thiếu biên bản ký hợp đồng"
    assert ("returned", "return_comment", "", "Thiếu biên bản ký hợp đồng") in changes(activity)

    services.update_activity(activity, activity_input(world, contracts_count=1), world.yu_staff)
    services.submit(activity, world.yu_staff)
    services.approve(activity, world.ca_staff)
    assert activity.status == ActivityStatus.APPROVED
    assert activity.return_comment == ""
    assert [c[0] for c in changes(activity)] == [
        "created",
        "submitted",
        "returned",
        "returned",
        "updated",
        "submitted",
        "approved",
    ]


@pytest.mark.parametrize("status", [ActivityStatus.SUBMITTED, ActivityStatus.APPROVED])
def test_a_submitted_or_approved_activity_cannot_be_edited_or_resubmitted(world, status):
    activity = services.create_activity(activity_input(world), world.yu_staff)
    services.submit(activity, world.yu_staff)
    if status == ActivityStatus.APPROVED:
        services.approve(activity, world.ca_staff)

    with pytest.raises(Refused):
        services.update_activity(activity, activity_input(world, title="Sửa sau khi duyệt"), world.yu_staff)
    with pytest.raises(Refused):
        services.update_activity(activity, activity_input(world, title="Sửa sau khi duyệt"), world.admin)
    with pytest.raises(Refused):
        services.submit(activity, world.yu_staff)
    assert activity.title == "Livestream vải thiều 2025"
    assert activity.status == status


def test_services_never_commit(world):
    factories.commit()
    activity = services.create_activity(activity_input(world), world.yu_staff)
    services.submit(activity, world.yu_staff)

    db.session.rollback()

    assert count_activities() == 0
