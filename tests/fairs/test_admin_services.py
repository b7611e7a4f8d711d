"""Running fairs and booths: the service rules (validation, status moves, applications, decisions)."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.catalog.models import ProductStatus
from marketplace.cooperatives.models import CooperativeStatus
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs import services
from marketplace.fairs.models import (
    Booth,
    BoothProduct,
    BoothStatus,
    Fair,
    FairKind,
    FairStatus,
)
from marketplace.mail import queue
from tests import factories as f


def fair_data(**changes) -> dict:
    """A valid trade fair in Bắc Ninh, 5–7 December 2026, Vietnam wall-clock times."""
    data = {
        "name": "Hội chợ nông sản Bắc Ninh 2026",
        "kind": "trade_fair",
        "venue": "Nhà thi đấu tỉnh",
        "province_code": f.BAC_NINH,
        "ward_code": f.LUC_NGAN,
        "street": "Số 1 đường Lý Thái Tổ",
        "starts_at": datetime(2026, 12, 5, 8, 0),
        "ends_at": datetime(2026, 12, 7, 21, 0),
        "applications_close_at": datetime(2026, 11, 30, 17, 0),
        "description": "Nông sản của các HTX thanh niên.",
        "organiser_ids": [],
    }
    data.update(changes)
    return data


@pytest.fixture
def people(app):
    agency = f.agency("Tỉnh đoàn Bắc Ninh")
    staff = f.staff(agency)
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu")
    manager = f.manager(coop)
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000)
    honey = f.product(coop, name="Mật ong", price_vnd=250_000)
    other_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong")
    other_manager = f.manager(other_coop)
    stranger_product = f.product(other_coop, price_vnd=90_000)
    return type("People", (), locals())


def open_fair(**fields) -> Fair:
    """A fair taking applications: starts in ten days, applications close in five."""
    now = utcnow()
    fields.setdefault("starts_at", now + timedelta(days=10))
    fields.setdefault("applications_close_at", now + timedelta(days=5))
    return f.fair(status=FairStatus.ACCEPTING, **fields)


# --- creating and editing fairs -----------------------------------------------------------------


def test_create_fair_converts_vietnam_time_to_utc_and_makes_a_draft(people):
    fair = services.create_fair(fair_data(organiser_ids=[people.agency.id]), people.staff)

    assert fair.status == FairStatus.DRAFT
    assert fair.slug == "hoi-cho-nong-san-bac-ninh-2026"
    assert fair.kind == FairKind.TRADE_FAIR
    # 08:00 in Hanoi is 01:00 UTC; 21:00 on the 7th is 14:00 UTC
    assert fair.starts_at == datetime(2026, 12, 5, 1, 0)
    assert fair.ends_at == datetime(2026, 12, 7, 14, 0)
    assert fair.applications_close_at == datetime(2026, 11, 30, 10, 0)
    assert [a.name for a in fair.organisers] == ["Tỉnh đoàn Bắc Ninh"]
    assert fair.created_by_id == people.staff.id
    assert len(fair.code) == services.CODE_LENGTH


def test_midnight_in_vietnam_is_the_evening_before_in_utc(people):
    fair = services.create_fair(
        fair_data(organiser_ids=[people.agency.id], starts_at=datetime(2026, 12, 5, 0, 0), applications_close_at=None),
        people.staff,
    )
    assert fair.starts_at == datetime(2026, 12, 4, 17, 0)
    assert services.utc_to_vietnam(fair.starts_at) == datetime(2026, 12, 5, 0, 0)


def test_a_second_fair_with_the_same_name_gets_its_own_slug_and_code(people):
    first = services.create_fair(fair_data(organiser_ids=[people.agency.id]), people.staff)
    second = services.create_fair(fair_data(organiser_ids=[people.agency.id]), people.staff)
    assert second.slug == "hoi-cho-nong-san-bac-ninh-2026-2"
    assert second.code != first.code


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "carnival"}, "kind"),
        ({"venue": ""}, "venue"),
        ({"province_code": None}, "province_code"),
        ({"ward_code": None}, "ward_code"),
        ({"province_code": 999_999}, "province_code"),
        ({"province_code": f.HA_NOI}, "ward_code"),  # Lục Ngạn is not in Hà Nội
        ({"starts_at": None}, "starts_at"),
        ({"ends_at": None}, "ends_at"),
        ({"ends_at": datetime(2026, 12, 5, 8, 0)}, "ends_at"),  # ends when it starts
        ({"ends_at": datetime(2026, 12, 4, 8, 0)}, "ends_at"),
        ({"applications_close_at": datetime(2026, 12, 5, 8, 1)}, "applications_close_at"),
        ({"organiser_ids": []}, "organiser_ids"),
        ({"organiser_ids": [424242]}, "organiser_ids"),
        ({"organiser_ids": ["x"]}, "organiser_ids"),
        ({"organiser_ids": [10**30]}, "organiser_ids"),
        ({"starts_at": datetime(1, 1, 1)}, "starts_at"),
        ({"ends_at": datetime(2101, 1, 1)}, "ends_at"),
    ],
)
def test_create_fair_refuses_bad_input_naming_the_field(people, changes, field):
    data = fair_data(organiser_ids=[people.agency.id])
    data.update(changes)
    with pytest.raises(Refused) as refused:
        services.create_fair(data, people.staff)
    assert refused.value.field == field
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Fair.id))) == 0


def test_applications_may_close_exactly_when_the_fair_starts(people):
    fair = services.create_fair(
        fair_data(organiser_ids=[people.agency.id], applications_close_at=datetime(2026, 12, 5, 8, 0)), people.staff
    )
    assert fair.applications_close_at == fair.starts_at


def test_an_online_fair_needs_no_venue_or_address(people):
    fair = services.create_fair(
        fair_data(organiser_ids=[people.agency.id], kind="online_fair", venue="", province_code=None, ward_code=None),
        people.staff,
    )
    assert fair.kind == FairKind.ONLINE
    assert fair.address == "Số 1 đường Lý Thái Tổ"


def test_only_agency_staff_create_and_edit_fairs(people):
    for person in (people.manager, f.user(), None):
        with pytest.raises(Refused):
            services.create_fair(fair_data(organiser_ids=[people.agency.id]), person)
    fair = f.fair(status=FairStatus.DRAFT)
    with pytest.raises(Refused):
        services.update_fair(fair, fair_data(organiser_ids=[people.agency.id]), people.manager)
    assert services.create_fair(fair_data(organiser_ids=[people.agency.id]), f.admin()).id


def test_update_keeps_the_slug_and_a_closed_fair_is_read_only(people):
    fair = services.create_fair(fair_data(organiser_ids=[people.agency.id]), people.staff)
    services.update_fair(fair, fair_data(name="Hội chợ đổi tên", organiser_ids=[people.agency.id]), people.staff)
    assert fair.name == "Hội chợ đổi tên"
    assert fair.slug == "hoi-cho-nong-san-bac-ninh-2026"

    closed = f.fair(status=FairStatus.CLOSED)
    with pytest.raises(Refused):
        services.update_fair(closed, fair_data(organiser_ids=[people.agency.id]), people.staff)


# --- status moves -------------------------------------------------------------------------------


def test_a_fair_moves_forward_one_step_at_a_time(people):
    fair = services.create_fair(fair_data(organiser_ids=[people.agency.id]), people.staff)
    at = datetime(2026, 11, 1)
    services.change_fair_status(fair, "accepting_applications", people.staff, at=at)
    assert fair.status == FairStatus.ACCEPTING
    services.change_fair_status(fair, FairStatus.PUBLISHED, people.staff, at=at)
    assert fair.status == FairStatus.PUBLISHED
    services.change_fair_status(fair, FairStatus.CLOSED, people.staff, at=at)
    assert fair.status == FairStatus.CLOSED
    assert services.allowed_moves(fair) == ()


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (FairStatus.DRAFT, FairStatus.PUBLISHED),
        (FairStatus.DRAFT, FairStatus.CLOSED),
        (FairStatus.ACCEPTING, FairStatus.DRAFT),
        (FairStatus.ACCEPTING, FairStatus.CLOSED),
        (FairStatus.PUBLISHED, FairStatus.ACCEPTING),
        (FairStatus.CLOSED, FairStatus.PUBLISHED),
        (FairStatus.PUBLISHED, FairStatus.PUBLISHED),
    ],
)
def test_other_moves_are_refused(people, start, target):
    fair = f.fair(status=start, starts_at=utcnow() + timedelta(days=10))
    with pytest.raises(Refused):
        services.change_fair_status(fair, target, people.staff)
    assert fair.status == start


def test_unknown_status_and_non_staff_are_refused(people):
    fair = f.fair(status=FairStatus.DRAFT, starts_at=utcnow() + timedelta(days=10))
    with pytest.raises(Refused):
        services.change_fair_status(fair, "cancelled", people.staff)
    with pytest.raises(Refused):
        services.change_fair_status(fair, "accepting_applications", people.manager)
    assert fair.status == FairStatus.DRAFT


def test_applications_cannot_open_after_the_deadline(people):
    fair = f.fair(
        status=FairStatus.DRAFT,
        starts_at=utcnow() + timedelta(days=10),
        applications_close_at=utcnow() - timedelta(minutes=1),
    )
    with pytest.raises(Refused):
        services.change_fair_status(fair, "accepting_applications", people.staff)
    assert fair.status == FairStatus.DRAFT


# --- applying -----------------------------------------------------------------------------------


def test_apply_makes_a_pending_booth_with_products_and_fair_prices(people):
    fair = open_fair()
    booth = services.apply_for_booth(
        fair, people.coop, {people.lychee.id: 99_000, people.honey.id: None}, "  Cần ổ điện  ", people.manager
    )
    assert booth.status == BoothStatus.PENDING
    assert booth.number is None
    assert booth.message == "Cần ổ điện"
    assert booth.applied_by_id == people.manager.id
    assert booth.code and booth.code != fair.code
    assert {(bp.product_id, bp.fair_price_vnd) for bp in booth.products} == {
        (people.lychee.id, 99_000),
        (people.honey.id, None),
    }


def test_one_booth_per_fair_per_cooperative(people):
    fair = open_fair()
    services.apply_for_booth(fair, people.coop, [(people.lychee.id, None)], "", people.manager)
    with pytest.raises(Refused):
        services.apply_for_booth(fair, people.coop, [(people.honey.id, None)], "", people.manager)


def test_a_withdrawn_application_can_be_sent_again(people):
    fair = open_fair()
    booth = services.apply_for_booth(fair, people.coop, [(people.lychee.id, 100_000)], "", people.manager)
    services.withdraw_booth(booth, people.manager)
    assert booth.status == BoothStatus.WITHDRAWN
    again = services.apply_for_booth(fair, people.coop, [(people.honey.id, None)], "lần hai", people.manager)
    assert again.id == booth.id
    assert again.status == BoothStatus.PENDING
    assert [bp.product_id for bp in again.products] == [people.honey.id]


@pytest.mark.parametrize("status", [CooperativeStatus.PENDING, CooperativeStatus.SUSPENDED])
def test_only_approved_cooperatives_apply(people, status):
    people.coop.status = status
    with pytest.raises(Refused):
        services.apply_for_booth(open_fair(), people.coop, [(people.lychee.id, None)], "", people.manager)


@pytest.mark.parametrize("status", [FairStatus.DRAFT, FairStatus.PUBLISHED, FairStatus.CLOSED])
def test_only_a_fair_accepting_applications_takes_them(people, status):
    fair = f.fair(status=status, starts_at=utcnow() + timedelta(days=10))
    with pytest.raises(Refused):
        services.apply_for_booth(fair, people.coop, [(people.lychee.id, None)], "", people.manager)


def test_applications_close_at_the_deadline(people):
    deadline = utcnow() + timedelta(days=5)
    fair = open_fair(applications_close_at=deadline)
    with pytest.raises(Refused):
        services.apply_for_booth(fair, people.coop, [(people.lychee.id, None)], "", people.manager, at=deadline)
    booth = services.apply_for_booth(
        fair, people.coop, [(people.lychee.id, None)], "", people.manager, at=deadline - timedelta(seconds=1)
    )
    assert booth.status == BoothStatus.PENDING


def test_without_a_deadline_applications_close_when_the_fair_starts(people):
    fair = open_fair(applications_close_at=None)
    with pytest.raises(Refused):
        services.apply_for_booth(fair, people.coop, [(people.lychee.id, None)], "", people.manager, at=fair.starts_at)


def test_only_the_cooperatives_managers_apply(people):
    fair = open_fair()
    for person in (people.other_manager, people.staff, f.user()):
        with pytest.raises(Refused):
            services.apply_for_booth(fair, people.coop, [(people.lychee.id, None)], "", person)


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ("none", "products"),
        ("stranger", "products"),
        ("draft", "products"),
        ("archived", "products"),
        ("unknown", "products"),
        ("huge", "products"),
        ("twice", "products"),
        ("price_equal", "fair_price_{lychee}"),
        ("price_above", "fair_price_{lychee}"),
        ("price_zero", "fair_price_{lychee}"),
        ("price_negative", "fair_price_{lychee}"),
        ("price_decimal", "fair_price_{lychee}"),
    ],
)
def test_apply_refuses_bad_products_and_prices(people, items, field):
    draft = f.product(people.coop, status=ProductStatus.DRAFT)
    archived = f.product(people.coop, status=ProductStatus.ARCHIVED)
    lychee = people.lychee.id
    named = {
        "none": [],
        "unknown": [(999_999, None)],
        "huge": [(10**30, None)],
        "stranger": [(people.stranger_product.id, None)],
        "draft": [(draft.id, None)],
        "archived": [(archived.id, None)],
        "twice": [(lychee, None), (lychee, 100_000)],
        "price_equal": [(lychee, 120_000)],
        "price_above": [(lychee, 130_000)],
        "price_zero": [(lychee, 0)],
        "price_negative": [(lychee, -5)],
        "price_decimal": [(lychee, 99_999.5)],
    }
    fair = open_fair()
    with pytest.raises(Refused) as refused:
        services.apply_for_booth(fair, people.coop, named[items], "", people.manager)
    assert refused.value.field == field.format(lychee=lychee)
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count(Booth.id))) == 0


def test_a_fair_price_one_dong_below_is_accepted(people):
    booth = services.apply_for_booth(open_fair(), people.coop, {people.lychee.id: 119_999}, "", people.manager)
    assert booth.products[0].fair_price_vnd == 119_999


# --- changing and withdrawing -------------------------------------------------------------------


def test_the_cooperative_changes_products_and_prices_while_pending_or_approved(people):
    fair = f.fair()  # published, on now
    booth = f.booth(fair, people.coop, [(people.lychee, 100_000)], status=BoothStatus.APPROVED)
    services.update_booth(booth, {people.lychee.id: 95_000, people.honey.id: 200_000}, None, people.manager)
    db.session.flush()
    rows = db.session.execute(
        sa.select(BoothProduct.product_id, BoothProduct.fair_price_vnd).where(BoothProduct.booth_id == booth.id)
    ).all()
    assert set(rows) == {(people.lychee.id, 95_000), (people.honey.id, 200_000)}

    services.update_booth(booth, {people.honey.id: None}, None, people.manager)
    assert [(bp.product_id, bp.fair_price_vnd) for bp in booth.products] == [(people.honey.id, None)]


def test_no_changes_after_the_fair_ends_or_once_rejected_or_withdrawn(people):
    ended = f.fair(starts_at=utcnow() - timedelta(days=5), ends_at=utcnow() - timedelta(seconds=1))
    booth = f.booth(ended, people.coop, [people.lychee])
    with pytest.raises(Refused):
        services.update_booth(booth, {people.lychee.id: 100_000}, None, people.manager)

    fair = f.fair()
    for status in (BoothStatus.REJECTED, BoothStatus.WITHDRAWN):
        other = f.booth(fair, f.cooperative(), [], status=status)
        with pytest.raises(Refused):
            services.update_booth(other, {people.lychee.id: None}, None, f.admin())


def test_another_cooperatives_manager_cannot_change_or_withdraw(people):
    fair = open_fair()
    booth = services.apply_for_booth(fair, people.coop, [(people.lychee.id, None)], "", people.manager)
    with pytest.raises(Refused):
        services.update_booth(booth, {people.lychee.id: 1_000}, None, people.other_manager)
    with pytest.raises(Refused):
        services.withdraw_booth(booth, people.other_manager)
    assert booth.status == BoothStatus.PENDING


def test_only_a_pending_application_is_withdrawn(people):
    booth = f.booth(f.fair(), people.coop, [people.lychee], status=BoothStatus.APPROVED)
    with pytest.raises(Refused):
        services.withdraw_booth(booth, people.manager)
    assert booth.status == BoothStatus.APPROVED


# --- decisions ----------------------------------------------------------------------------------


def pending_booth(people, fair=None) -> Booth:
    return services.apply_for_booth(fair or open_fair(), people.coop, [(people.lychee.id, None)], "", people.manager)


def test_staff_approve_with_a_number(people):
    booth = pending_booth(people)
    services.approve_booth(booth, " a12 ", people.staff)
    assert booth.status == BoothStatus.APPROVED
    assert booth.number == "A12"
    assert booth.decided_by_id == people.staff.id
    assert booth.decided_at is not None


@pytest.mark.parametrize("number", ["", "   ", "A 12", "x" * 21, "<b>"])
def test_approval_needs_a_proper_number(people, number):
    booth = pending_booth(people)
    with pytest.raises(Refused) as refused:
        services.approve_booth(booth, number, people.staff)
    assert refused.value.field == "number"
    assert booth.status == BoothStatus.PENDING


def test_booth_numbers_are_unique_within_a_fair(people):
    fair = open_fair()
    f.booth(fair, people.other_coop, [people.stranger_product], number="A12")
    booth = pending_booth(people, fair)
    with pytest.raises(Refused) as refused:
        services.approve_booth(booth, "a12", people.staff)
    assert refused.value.field == "number"
    # The same number at another fair is fine.
    f.booth(f.fair(), f.cooperative(), [], number="B7")
    services.approve_booth(booth, "B7", people.staff)
    assert booth.number == "B7"


def test_staff_reject_with_a_reason(people):
    booth = pending_booth(people)
    with pytest.raises(Refused) as refused:
        services.reject_booth(booth, "   ", people.staff)
    assert refused.value.field == "reason"
    services.reject_booth(booth, "Hết chỗ", people.staff)
    assert booth.status == BoothStatus.REJECTED
    assert booth.rejection_reason == "Hết chỗ"


def test_a_cooperative_manager_never_decides_a_booth(people):
    booth = pending_booth(people)
    for person in (people.manager, people.other_manager, f.user()):
        with pytest.raises(Refused):
            services.approve_booth(booth, "A1", person)
        with pytest.raises(Refused):
            services.reject_booth(booth, "không", person)
    assert booth.status == BoothStatus.PENDING


def test_staff_who_manage_the_cooperative_cannot_decide_its_booth(people):
    booth = pending_booth(people)
    conflicted = f.staff(people.agency)
    conflicted.cooperatives.append(people.coop)
    with pytest.raises(Refused):
        services.approve_booth(booth, "A1", conflicted)
    with pytest.raises(Refused):
        services.reject_booth(booth, "không", conflicted)
    assert booth.status == BoothStatus.PENDING


def test_a_decided_or_closed_booth_is_not_decided_again(people):
    booth = pending_booth(people)
    services.approve_booth(booth, "A1", people.staff)
    with pytest.raises(Refused):
        services.reject_booth(booth, "đổi ý", people.staff)
    with pytest.raises(Refused):
        services.approve_booth(booth, "A2", people.staff)

    closed = f.fair(status=FairStatus.CLOSED)
    late = f.booth(closed, people.other_coop, [], status=BoothStatus.PENDING)
    with pytest.raises(Refused):
        services.approve_booth(late, "C1", people.staff)


def test_notify_emails_every_active_manager_and_the_cooperative_in_vietnamese(people, outbox):
    people.coop.email = "lienhe@vaithieu.vn"
    f.manager(people.coop, active=False)
    booth = pending_booth(people)
    services.approve_booth(booth, "A12", people.staff)
    services.notify_booth_decision(booth)
    db.session.commit()
    queue.deliver_all()

    assert sorted(m["To"] for m in outbox) == sorted([people.manager.email, "lienhe@vaithieu.vn"])
    body = outbox[0].get_body(("plain",)).get_content()
    assert "A12" in body
    assert f"/workspace/vai-thieu/fairs/{booth.fair.slug}/booth" in body


# --- banner -------------------------------------------------------------------------------------


def picture(fmt="PNG") -> io.BytesIO:
    data = io.BytesIO()
    Image.new("RGB", (1200, 400), (200, 30, 30)).save(data, fmt)
    data.seek(0)
    return data


def test_banner_is_stored_like_product_photos_and_replaced(people, app):
    from marketplace.catalog.images import products_folder

    fair = f.fair()
    first = services.save_banner(fair, picture())
    assert fair.banner_stem == first
    assert (products_folder() / f"{first}-large.webp").exists()
    second = services.save_banner(fair, picture("JPEG"))
    assert not (products_folder() / f"{first}-large.webp").exists()
    assert (products_folder() / f"{second}-medium.webp").exists()
    services.remove_banner(fair)
    assert fair.banner_stem is None
    assert not (products_folder() / f"{second}-medium.webp").exists()


def test_banner_refuses_what_is_not_a_picture_or_too_large(people, app):
    from marketplace.core.images import ImageRejected

    fair = f.fair()
    with pytest.raises(ImageRejected):
        services.save_banner(fair, io.BytesIO(b"%PDF-1.4 not a picture"))
    app.config["MAX_IMAGE_BYTES"] = 100
    with pytest.raises(ImageRejected):
        services.save_banner(fair, picture())
    assert fair.banner_stem is None


def test_new_code_avoids_codes_in_use(people, monkeypatch):
    fair = f.fair(code="AAAAAAA")
    f.booth(fair, people.coop, [], code="BBBBBBB")
    picks = iter("AAAAAAA" + "BBBBBBB" + "CCCCCCC")
    monkeypatch.setattr(services.secrets, "choice", lambda _alphabet: next(picks))
    assert services.new_code() == "CCCCCCC"
