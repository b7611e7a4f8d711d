"""Agency staff run fairs from /agency/fairs: list, create, edit, move the status, decide on booths."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from PIL import Image

from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Booth, BoothStatus, Fair, FairStatus
from tests import factories as f
from tests.cooperatives.helpers import csrf_token, sign_in
from tests.fairs.helpers import committed_before_writing


@pytest.fixture
def world(app):
    agency = f.agency("Tỉnh đoàn Bắc Ninh")
    staff = f.staff(agency)
    admin = f.admin()
    coop = f.cooperative("HTX Vải thiều Lục Ngạn", slug="vai-thieu", email="lienhe@vaithieu.vn")
    manager = f.manager(coop)
    other_coop = f.cooperative("HTX Mật ong Sóc Sơn", slug="mat-ong")
    other_manager = f.manager(other_coop)
    customer = f.user()
    lychee = f.product(coop, name="Vải thiều sấy", price_vnd=120_000)
    now = utcnow()
    fair = f.fair(
        "Hội chợ mùa đông",
        slug="hoi-cho-mua-dong",
        status=FairStatus.ACCEPTING,
        starts_at=now + timedelta(days=10),
        applications_close_at=now + timedelta(days=5),
        organisers=[agency],
    )
    booth = f.booth(fair, coop, [(lychee, 99_000)], status=BoothStatus.PENDING, message="Cần 2 bàn")
    booth.number = None  # numbers come with the approval
    f.commit()
    return type("World", (), locals())


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def valid_form(world, **changes) -> dict:
    data = {
        "name": "Hội chợ OCOP Bắc Ninh",
        "kind": "trade_fair",
        "organiser_ids": [str(world.agency.id)],
        "venue": "Nhà thi đấu tỉnh",
        "province_code": str(f.BAC_NINH),
        "ward_code": str(f.LUC_NGAN),
        "street": "Số 1 Lý Thái Tổ",
        "starts_at": "2026-12-05T08:00",
        "ends_at": "2026-12-07T21:00",
        "applications_close_at": "2026-11-30T17:00",
        "description": "Giới thiệu sản phẩm OCOP.",
    }
    data.update(changes)
    return data


GETS = [
    "/agency/fairs/",
    "/agency/fairs/?status=draft",
    "/agency/fairs/new",
    "/agency/fairs/hoi-cho-mua-dong",
    "/agency/fairs/hoi-cho-mua-dong/edit",
    "/agency/fairs/hoi-cho-mua-dong/booths",
    "/agency/fairs/hoi-cho-mua-dong/booths?status=pending",
]


@pytest.mark.parametrize("url", GETS)
def test_staff_and_admins_open_every_page(client, world, url):
    for person in (world.staff, world.admin):
        sign_in(client, person)
        assert client.get(url).status_code == 200


@pytest.mark.parametrize("url", GETS)
def test_customers_and_managers_get_403_and_guests_the_login(client, world, url):
    for person in (world.customer, world.manager):
        sign_in(client, person)
        assert client.get(url).status_code == 403
    with client.session_transaction() as session:
        session.clear()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def posts(world):
    return [
        ("/agency/fairs/new", valid_form(world)),
        ("/agency/fairs/hoi-cho-mua-dong/edit", valid_form(world, name="Đổi tên")),
        ("/agency/fairs/hoi-cho-mua-dong/status", {"status": "published"}),
        (f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/approve", {"number": "A1"}),
        (f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/reject", {"reason": "Hết chỗ"}),
    ]


def test_a_cooperative_cannot_approve_itself_nor_anyone_else_act(client, world, outbox):
    for person in (world.manager, world.other_manager, world.customer):
        sign_in(client, person)
        for url, data in posts(world):
            assert client.post(url, data=data).status_code == 403, url
    fair = fresh(Fair, world.fair.id)
    assert fair.name == "Hội chợ mùa đông" and fair.status == FairStatus.ACCEPTING
    assert fresh(Booth, world.booth.id).status == BoothStatus.PENDING
    assert db.session.scalar(sa.select(sa.func.count(Fair.id))) == 1
    assert outbox == []


def test_the_list_filters_by_status_and_counts_waiting_applications(client, world):
    f.fair("Hội chợ đã qua", slug="da-qua", status=FairStatus.CLOSED)
    f.commit()
    sign_in(client, world.staff)
    everything = client.get("/agency/fairs/").get_data(as_text=True)
    assert 'data-fair="hoi-cho-mua-dong"' in everything and 'data-fair="da-qua"' in everything
    assert "/agency/fairs/hoi-cho-mua-dong/booths?status=pending" in everything  # one application waiting
    closed = client.get("/agency/fairs/?status=closed").get_data(as_text=True)
    assert 'data-fair="da-qua"' in closed and 'data-fair="hoi-cho-mua-dong"' not in closed
    assert client.get("/agency/fairs/?status=bogus").status_code == 400


def test_create_a_fair_in_vietnam_time(client, world):
    sign_in(client, world.staff)
    response = client.post("/agency/fairs/new", data=valid_form(world))
    assert response.status_code == 302
    fair = db.session.scalar(sa.select(Fair).where(Fair.name == "Hội chợ OCOP Bắc Ninh"))
    assert response.headers["Location"].endswith(f"/agency/fairs/{fair.slug}")
    assert fair.status == FairStatus.DRAFT
    assert fair.starts_at == datetime(2026, 12, 5, 1, 0)
    assert fair.ends_at == datetime(2026, 12, 7, 14, 0)
    assert [a.id for a in fair.organisers] == [world.agency.id]
    assert fair.created_by_id == world.staff.id
    # The edit form shows the times back in Vietnam time.
    page = client.get(f"/agency/fairs/{fair.slug}/edit").get_data(as_text=True)
    assert 'value="2026-12-05T08:00"' in page


def test_the_new_form_ticks_the_staff_members_agency(client, world):
    sign_in(client, world.staff)
    page = client.get("/agency/fairs/new").get_data(as_text=True)
    ticked = re.findall(
        r'<input checked id="organiser_ids-\d+" name="organiser_ids" type="checkbox" value="(\d+)"', page
    )
    assert ticked == [str(world.agency.id)]


@pytest.mark.parametrize(
    ("changes", "field_id"),
    [
        ({"name": ""}, "name"),
        ({"ends_at": "2026-12-05T08:00"}, "ends_at"),
        ({"ends_at": "2026-12-04T08:00"}, "ends_at"),
        ({"applications_close_at": "2026-12-06T08:00"}, "applications_close_at"),
        ({"starts_at": "5/12/2026"}, "starts_at"),
        ({"starts_at": ""}, "starts_at"),
        ({"starts_at": "0001-01-01T00:00"}, "starts_at"),
        ({"applications_close_at": "1999-12-31T23:59"}, "applications_close_at"),
        ({"organiser_ids": ["abc"]}, "organiser_ids"),
        ({"organiser_ids": []}, "organiser_ids"),
        ({"venue": ""}, "venue"),
        ({"ward_code": ""}, "ward_code"),
        ({"province_code": str(f.HA_NOI)}, "ward_code"),
    ],
)
def test_bad_input_is_shown_at_its_field_and_nothing_is_saved(client, world, changes, field_id):
    sign_in(client, world.staff)
    response = client.post("/agency/fairs/new", data=valid_form(world, **changes))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="{field_id}-error"' in page
    assert db.session.scalar(sa.select(sa.func.count(Fair.id))) == 1


def test_edit_changes_the_fair_but_not_its_slug(client, world):
    sign_in(client, world.staff)
    response = client.post("/agency/fairs/hoi-cho-mua-dong/edit", data=valid_form(world, name="Hội chợ xuân"))
    assert response.status_code == 302
    fair = fresh(Fair, world.fair.id)
    assert fair.name == "Hội chợ xuân" and fair.slug == "hoi-cho-mua-dong"

    bad = client.post(
        "/agency/fairs/hoi-cho-mua-dong/edit", data=valid_form(world, name="Sai", ends_at="2026-12-01T08:00")
    )
    assert bad.status_code == 422
    assert fresh(Fair, world.fair.id).name == "Hội chợ xuân"


def png_upload(size=(1200, 400)):
    data = io.BytesIO()
    Image.new("RGB", size, (30, 120, 30)).save(data, "PNG")
    data.seek(0)
    return data, "banner.png"


def test_banner_upload_and_removal(client, world):
    sign_in(client, world.staff)
    response = client.post(
        "/agency/fairs/hoi-cho-mua-dong/edit",
        data={**valid_form(world), "banner": png_upload()},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    stem = fresh(Fair, world.fair.id).banner_stem
    assert stem
    assert client.get(f"/media/products/{stem}-large.webp").status_code == 200
    assert f"/media/products/{stem}-medium.webp" in client.get("/agency/fairs/hoi-cho-mua-dong").get_data(as_text=True)

    refused = client.post(
        "/agency/fairs/hoi-cho-mua-dong/edit",
        data={**valid_form(world, name="Không lưu"), "banner": (io.BytesIO(b"<svg></svg>"), "x.svg")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 422
    assert 'id="banner-error"' in refused.get_data(as_text=True)
    fair = fresh(Fair, world.fair.id)
    assert fair.banner_stem == stem and fair.name != "Không lưu"

    client.post("/agency/fairs/hoi-cho-mua-dong/edit", data={**valid_form(world), "remove_banner": "y"})
    assert fresh(Fair, world.fair.id).banner_stem is None
    assert client.get(f"/media/products/{stem}-large.webp").status_code == 404


def test_status_moves_forward_and_refuses_skips(client, world):
    sign_in(client, world.staff)
    page = client.get("/agency/fairs/hoi-cho-mua-dong").get_data(as_text=True)
    assert 'data-move="published"' in page and 'data-move="closed"' not in page

    client.post("/agency/fairs/hoi-cho-mua-dong/status", data={"status": "closed"})
    assert fresh(Fair, world.fair.id).status == FairStatus.ACCEPTING
    client.post("/agency/fairs/hoi-cho-mua-dong/status", data={"status": "draft"})
    assert fresh(Fair, world.fair.id).status == FairStatus.ACCEPTING
    client.post("/agency/fairs/hoi-cho-mua-dong/status", data={"status": "nonsense"})
    assert fresh(Fair, world.fair.id).status == FairStatus.ACCEPTING

    assert client.post("/agency/fairs/hoi-cho-mua-dong/status", data={"status": "published"}).status_code == 302
    assert fresh(Fair, world.fair.id).status == FairStatus.PUBLISHED
    client.post("/agency/fairs/hoi-cho-mua-dong/status", data={"status": "closed"})
    assert fresh(Fair, world.fair.id).status == FairStatus.CLOSED
    # A closed fair can no longer be edited.
    assert client.get("/agency/fairs/hoi-cho-mua-dong/edit").status_code == 302
    response = client.post("/agency/fairs/hoi-cho-mua-dong/edit", data=valid_form(world, name="Mở lại"))
    assert response.status_code == 302
    assert fresh(Fair, world.fair.id).name == "Hội chợ mùa đông"


def test_unknown_fair_and_booth_are_404(client, world):
    other_fair = f.fair(slug="khac")
    f.commit()
    sign_in(client, world.staff)
    assert client.get("/agency/fairs/khong-co").status_code == 404
    # The booth exists, but at another fair than the one in the address.
    url = f"/agency/fairs/{other_fair.slug}/booths/{world.booth.id}/approve"
    assert client.post(url, data={"number": "A1"}).status_code == 404
    assert fresh(Booth, world.booth.id).status == BoothStatus.PENDING


def test_the_applications_list_shows_products_and_fair_prices(client, world):
    sign_in(client, world.staff)
    client.get("/lang/en")
    page = client.get("/agency/fairs/hoi-cho-mua-dong/booths").get_data(as_text=True)
    assert "HTX Vải thiều Lục Ngạn" in page
    assert "Vải thiều sấy" in page
    assert "₫99,000" in page and "₫120,000" in page
    assert "Cần 2 bàn" in page


def test_approve_with_a_number_emails_the_cooperative(client, world, outbox):
    sign_in(client, world.staff)
    response = client.post(f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/approve", data={"number": "b07"})
    assert response.status_code == 302
    booth = fresh(Booth, world.booth.id)
    assert booth.status == BoothStatus.APPROVED and booth.number == "B07"
    assert booth.decided_by_id == world.staff.id
    assert sorted(m["To"] for m in outbox) == sorted([world.manager.email, "lienhe@vaithieu.vn"])
    assert "B07" in outbox[0]["Subject"]
    assert "B07" in outbox[0].get_body(("plain",)).get_content()


def test_approve_without_a_number_or_with_a_taken_one_is_refused(client, world, outbox):
    f.booth(world.fair, world.other_coop, [], number="A1")
    f.commit()
    sign_in(client, world.staff)
    url = f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/approve"
    empty = client.post(url, data={"number": " "})
    assert empty.status_code == 422
    assert f'id="number-{world.booth.id}-error"' in empty.get_data(as_text=True)
    taken = client.post(url, data={"number": "a1"})
    assert taken.status_code == 422
    assert f'id="number-{world.booth.id}-error"' in taken.get_data(as_text=True)
    assert fresh(Booth, world.booth.id).status == BoothStatus.PENDING
    assert outbox == []


def test_a_number_given_elsewhere_at_the_same_moment_is_refused_at_its_box(client, world, outbox):
    other = f.booth(world.fair, world.other_coop, [], status=BoothStatus.PENDING)
    other.number = None
    f.commit()
    sign_in(client, world.staff)
    # Another member of staff gives A1 to the other booth after this request checked the number.
    given_elsewhere = sa.update(Booth).where(Booth.id == other.id).values(number="A1", status=BoothStatus.APPROVED)
    with committed_before_writing(Booth, given_elsewhere):
        response = client.post(f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/approve", data={"number": "a1"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert f'id="number-{world.booth.id}-error"' in page and "A1" in page
    assert fresh(Booth, world.booth.id).status == BoothStatus.PENDING
    assert fresh(Booth, other.id).number == "A1"
    assert outbox == []


def test_reject_needs_a_reason_and_emails_it(client, world, outbox):
    sign_in(client, world.staff)
    url = f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/reject"
    missing = client.post(url, data={"reason": ""})
    assert missing.status_code == 422
    assert f'id="reason-{world.booth.id}-error"' in missing.get_data(as_text=True)
    assert fresh(Booth, world.booth.id).status == BoothStatus.PENDING
    assert outbox == []

    assert client.post(url, data={"reason": "Hết chỗ cho hàng khô"}).status_code == 302
    booth = fresh(Booth, world.booth.id)
    assert booth.status == BoothStatus.REJECTED and booth.rejection_reason == "Hết chỗ cho hàng khô"
    assert len(outbox) == 2
    assert "Hết chỗ cho hàng khô" in outbox[0].get_body(("plain",)).get_content()


def test_staff_who_manage_the_cooperative_cannot_decide_its_booth(client, world, outbox):
    world.staff.cooperatives.append(world.coop)
    f.commit()
    sign_in(client, world.staff)
    client.post(f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/approve", data={"number": "A9"})
    client.post(f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/reject", data={"reason": "x"})
    assert fresh(Booth, world.booth.id).status == BoothStatus.PENDING
    assert outbox == []


def test_a_decided_booth_is_not_decided_twice(client, world, outbox):
    sign_in(client, world.staff)
    client.post(f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/approve", data={"number": "A5"})
    outbox.clear()
    client.post(f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/reject", data={"reason": "đổi ý"})
    booth = fresh(Booth, world.booth.id)
    assert booth.status == BoothStatus.APPROVED and booth.number == "A5"
    assert outbox == []


def test_decisions_need_the_csrf_token(csrf_app, outbox):
    agency = f.agency()
    staff = f.staff(agency)
    coop = f.cooperative()
    f.manager(coop)
    fair = f.fair(status=FairStatus.ACCEPTING, starts_at=utcnow() + timedelta(days=3), slug="csrf-fair")
    booth = f.booth(fair, coop, [], status=BoothStatus.PENDING)
    booth.number = None
    f.commit()
    client = csrf_app.test_client()
    sign_in(client, staff)
    url = f"/agency/fairs/csrf-fair/booths/{booth.id}/approve"
    assert client.post(url, data={"number": "A1"}).status_code == 400
    assert fresh(Booth, booth.id).status == BoothStatus.PENDING
    token = csrf_token(client, "/agency/fairs/csrf-fair/booths")
    assert client.post(url, data={"number": "A1", "csrf_token": token}).status_code == 302
    assert fresh(Booth, booth.id).status == BoothStatus.APPROVED


def test_the_fair_pages_link_to_posters_and_results_that_open(client, world):
    world.fair.status = FairStatus.PUBLISHED
    world.booth.status, world.booth.number = BoothStatus.APPROVED, "A4"
    f.commit()
    sign_in(client, world.staff)
    links = re.findall(
        r'href="(/agency/fairs/hoi-cho-mua-dong/[^"]*(?:poster|results)[^"]*)"',
        client.get("/agency/fairs/hoi-cho-mua-dong/booths").get_data(as_text=True),
    )
    assert f"/agency/fairs/hoi-cho-mua-dong/booths/{world.booth.id}/poster" in links
    assert "/agency/fairs/hoi-cho-mua-dong/results" in links
    for url in set(links):
        assert client.get(url).status_code == 200, url
