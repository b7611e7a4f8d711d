"""Training classes and supported new cooperatives: services and the agency pages
(/agency/program/training, /agency/program/cooperatives): create, edit, delete with a confirmation,
validation, who may."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.program import services
from marketplace.program.models import SupportedCooperative, TrainingClass
from tests import factories
from tests.cooperatives.helpers import sign_in

HA_NOI_WARD = factories.geo.wards(factories.HA_NOI)[0][0]


@pytest.fixture
def staff(app):
    agency = factories.agency("Tỉnh đoàn Bắc Ninh")
    user = factories.staff(agency, email="doan@example.vn")
    factories.commit()
    return user


def training_form(**changes) -> dict:
    data = {
        "held_on": "2024-05-22",
        "title": "Tập huấn quản trị HTX",
        "agency_id": "",
        "organiser": "Trung tâm Hỗ trợ HTX",
        "participants": "38",
        "province_code": str(factories.BAC_NINH),
        "ward_code": str(factories.LUC_NGAN),
        "street": "Hội trường xã",
        "notes": "",
    }
    data.update(changes)
    return data


def supported_form(**changes) -> dict:
    data = {
        "name": "HTX Thanh niên Dâu tây Tân Yên",
        "founded_on": "2024-03-12",
        "is_youth": "y",
        "cooperative_id": "",
        "agency_id": "",
        "province_code": str(factories.BAC_NINH),
        "ward_code": "",
        "street": "",
        "notes": "",
    }
    data.update(changes)
    return data


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- services ------------------------------------------------------------------------------


def test_a_training_class_is_recorded_with_who_recorded_it(staff):
    training = services.create_training(
        services.TrainingInput(
            held_on=date(2024, 5, 22),
            title="  Tập huấn kế toán HTX ",
            organiser="Liên minh HTX",
            participants=38,
            province_code=factories.BAC_NINH,
            ward_code=factories.LUC_NGAN,
            agency=staff.agency,
        ),
        staff,
    )

    assert (training.title, training.participants, training.created_by_id, training.agency_id) == (
        "Tập huấn kế toán HTX",
        38,
        staff.id,
        staff.agency_id,
    )
    assert training.address.endswith("Bắc Ninh")


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"held_on": None}, "held_on"),
        ({"held_on": date(1999, 12, 31)}, "held_on"),
        ({"held_on": utcnow().date() + timedelta(days=400)}, "held_on"),
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"participants": -1}, "participants"),
        ({"participants": 100_001}, "participants"),
        ({"participants": "12"}, "participants"),
        ({"province_code": 999}, "province_code"),
        ({"province_code": None, "ward_code": factories.LUC_NGAN}, "province_code"),
        ({"ward_code": HA_NOI_WARD}, "ward_code"),
        ({"organiser": "x" * 201}, "organiser"),
    ],
)
def test_a_training_class_is_checked(staff, changes, field):
    values = {
        "held_on": date(2024, 5, 22),
        "title": "Tập huấn",
        "participants": 10,
        "province_code": factories.BAC_NINH,
        "ward_code": factories.LUC_NGAN,
        **changes,
    }

    with pytest.raises(Refused) as error:
        services.create_training(services.TrainingInput(**values), staff)

    assert error.value.field == field
    assert count(TrainingClass) == 0


def test_only_agency_staff_record_the_programme(app):
    customer = factories.user()
    with pytest.raises(Refused):
        services.create_training(services.TrainingInput(held_on=date(2024, 1, 1), title="Lớp"), customer)
    with pytest.raises(Refused):
        services.create_supported(services.SupportedInput(name="HTX", founded_on=date(2024, 1, 1)), customer)


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"name": ""}, "name"),
        ({"founded_on": None}, "founded_on"),
        ({"founded_on": utcnow().date() + timedelta(days=1)}, "founded_on"),  # not founded yet
        ({"founded_on": date(1999, 1, 1)}, "founded_on"),
        ({"province_code": factories.HA_NOI, "ward_code": factories.LUC_NGAN}, "ward_code"),
    ],
)
def test_a_supported_cooperative_is_checked(staff, changes, field):
    values = {"name": "HTX Thanh niên Chè Bảo Đài", "founded_on": date(2023, 9, 7), **changes}

    with pytest.raises(Refused) as error:
        services.create_supported(services.SupportedInput(**values), staff)

    assert error.value.field == field


def test_a_platform_cooperative_is_linked_to_one_record_only(staff):
    cooperative = factories.cooperative("HTX Thanh niên Cam Bố Hạ")
    first = services.create_supported(
        services.SupportedInput(name="HTX Thanh niên Cam Bố Hạ", founded_on=date(2025, 8, 20), cooperative=cooperative),
        staff,
    )
    services.update_supported(
        first,
        services.SupportedInput(
            name="HTX TN Cam Bố Hạ", founded_on=date(2025, 8, 20), cooperative=cooperative, is_youth=False
        ),
        staff,
    )
    assert (first.name, first.is_youth, first.cooperative_id) == ("HTX TN Cam Bố Hạ", False, cooperative.id)

    with pytest.raises(Refused) as error:
        services.create_supported(
            services.SupportedInput(name="Bản ghi thứ hai", founded_on=date(2025, 8, 20), cooperative=cooperative),
            staff,
        )
    assert error.value.field == "cooperative_id"


# --- pages ---------------------------------------------------------------------------------


def test_staff_record_edit_and_delete_a_training_class(client, staff):
    sign_in(client, staff)
    assert client.get("/agency/program/training/new").status_code == 200

    response = client.post("/agency/program/training/new", data=training_form(agency_id=str(staff.agency_id)))

    assert response.status_code == 302
    training = db.session.scalar(select(TrainingClass))
    assert (training.held_on, training.participants, training.agency_id, training.created_by_id) == (
        date(2024, 5, 22),
        38,
        staff.agency_id,
        staff.id,
    )
    listing = client.get("/agency/program/training").get_data(as_text=True)
    assert f'data-training-id="{training.id}"' in listing

    edit = f"/agency/program/training/{training.id}/edit"
    assert 'value="Tập huấn quản trị HTX"' in client.get(edit).get_data(as_text=True)
    assert client.post(edit, data=training_form(participants="1.200", title="Tập huấn mới")).status_code == 302
    db.session.expire_all()
    assert (training.participants, training.title) == (1200, "Tập huấn mới")

    delete = f"/agency/program/training/{training.id}/delete"
    confirmation = client.get(delete)
    assert confirmation.status_code == 200 and f'action="{delete}"' in confirmation.get_data(as_text=True)
    assert count(TrainingClass) == 1  # asking is not deleting
    assert client.post(delete).status_code == 302
    assert count(TrainingClass) == 0
    assert client.get(edit).status_code == 404


@pytest.mark.parametrize(
    "changes,field",
    [
        ({"held_on": "1990-01-01"}, "held_on"),
        ({"held_on": "not a date"}, "held_on"),
        ({"title": ""}, "title"),
        ({"participants": "-3"}, "participants"),
        ({"participants": "ba mươi"}, "participants"),
        ({"ward_code": str(HA_NOI_WARD)}, "ward_code"),
        ({"province_code": "12345"}, "province_code"),
        ({"agency_id": "999999"}, "agency_id"),
    ],
)
def test_bad_training_input_is_shown_at_its_field_and_nothing_is_saved(client, staff, changes, field):
    sign_in(client, staff)

    response = client.post("/agency/program/training/new", data=training_form(**changes))

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (
        re.search(rf'id="{field}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{field}"', page)
        or f'id="{field}-error"' in page
    )
    assert count(TrainingClass) == 0


def test_staff_record_a_supported_cooperative_linked_to_the_platform(client, staff):
    cooperative = factories.cooperative("HTX Thanh niên Cam Bố Hạ", slug="htx-cam-bo-ha")
    factories.commit()
    sign_in(client, staff)
    assert f'value="{cooperative.id}"' in client.get("/agency/program/cooperatives/new").get_data(as_text=True)

    response = client.post("/agency/program/cooperatives/new", data=supported_form(cooperative_id=str(cooperative.id)))

    assert response.status_code == 302
    supported = db.session.scalar(select(SupportedCooperative))
    assert (supported.cooperative_id, supported.is_youth, supported.founded_on) == (
        cooperative.id,
        True,
        date(2024, 3, 12),
    )
    listing = client.get("/agency/program/cooperatives").get_data(as_text=True)
    assert "/agency/cooperatives/htx-cam-bo-ha" in listing

    twice = client.post(
        "/agency/program/cooperatives/new",
        data=supported_form(name="Bản ghi trùng", cooperative_id=str(cooperative.id)),
    )
    assert twice.status_code == 400 and count(SupportedCooperative) == 1

    edit = f"/agency/program/cooperatives/{supported.id}/edit"
    no_youth = supported_form(cooperative_id="")
    del no_youth["is_youth"]  # an unticked box is not sent
    assert client.post(edit, data=no_youth).status_code == 302
    db.session.expire_all()
    assert (supported.is_youth, supported.cooperative_id) == (False, None)

    delete = f"/agency/program/cooperatives/{supported.id}/delete"
    assert client.get(delete).status_code == 200 and count(SupportedCooperative) == 1
    assert client.post(delete).status_code == 302 and count(SupportedCooperative) == 0


@pytest.mark.parametrize("changes", [{"founded_on": "2099-01-01"}, {"name": ""}, {"cooperative_id": "999999"}])
def test_bad_supported_input_is_refused(client, staff, changes):
    sign_in(client, staff)

    assert client.post("/agency/program/cooperatives/new", data=supported_form(**changes)).status_code == 400
    assert count(SupportedCooperative) == 0


def test_the_lists_filter_by_year_and_youth(client, staff):
    for day in (date(2023, 4, 1), date(2024, 1, 1), date(2024, 12, 31)):
        services.create_training(services.TrainingInput(held_on=day, title=f"Lớp {day}"), staff)
    for day, youth in ((date(2024, 3, 1), True), (date(2024, 6, 1), False), (date(2025, 1, 1), True)):
        services.create_supported(services.SupportedInput(name=f"HTX {day}", founded_on=day, is_youth=youth), staff)
    factories.commit()
    sign_in(client, staff)

    def counted(url):
        response = client.get(url)
        assert response.status_code == 200, url
        return int(re.search(r'id="record-count" data-count="(\d+)"', response.get_data(as_text=True)).group(1))

    assert counted("/agency/program/training") == 3
    assert counted("/agency/program/training?year=2024") == 2
    assert counted("/agency/program/training?year=2025") == 0
    assert counted("/agency/program/cooperatives?year=2024") == 2
    assert counted("/agency/program/cooperatives?year=2024&youth=1") == 1
    assert counted("/agency/program/cooperatives?youth=1") == 2
    services.create_training(services.TrainingInput(held_on=date(2022, 12, 31), title="Trước chương trình"), staff)
    factories.commit()
    assert counted("/agency/program/training") == 4
    assert counted("/agency/program/training?year=programme") == 3
    assert client.get("/agency/program/training?year=abc").status_code == 400
    assert client.get("/agency/program/cooperatives?youth=maybe").status_code == 400


@pytest.mark.parametrize("who", ["customer", "manager"])
def test_other_roles_are_refused_and_change_nothing(client, staff, who):
    training = services.create_training(services.TrainingInput(held_on=date(2024, 1, 1), title="Lớp"), staff)
    supported = services.create_supported(services.SupportedInput(name="HTX", founded_on=date(2024, 1, 1)), staff)
    user = factories.user() if who == "customer" else factories.manager(factories.cooperative())
    factories.commit()
    sign_in(client, user)

    for url in (
        "/agency/program/",
        "/agency/program/training",
        "/agency/program/cooperatives",
        "/agency/program/training/new",
        f"/agency/program/training/{training.id}/edit",
        f"/agency/program/cooperatives/{supported.id}/edit",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post("/agency/program/training/new", data=training_form()).status_code == 403
    assert client.post(f"/agency/program/training/{training.id}/delete").status_code == 403
    assert client.post(f"/agency/program/cooperatives/{supported.id}/delete").status_code == 403
    assert (count(TrainingClass), count(SupportedCooperative)) == (1, 1)


def test_a_delete_needs_the_csrf_token(csrf_app):
    client = csrf_app.test_client()
    user = factories.staff()
    training = services.create_training(services.TrainingInput(held_on=date(2024, 1, 1), title="Lớp"), user)
    factories.commit()
    sign_in(client, user)

    assert client.post(f"/agency/program/training/{training.id}/delete").status_code == 400
    assert count(TrainingClass) == 1
    page = client.get(f"/agency/program/training/{training.id}/delete").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    assert client.post(f"/agency/program/training/{training.id}/delete", data={"csrf_token": token}).status_code == 302
    assert count(TrainingClass) == 0
