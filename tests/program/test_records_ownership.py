"""Programme records (training classes, supported new cooperatives) belong to the agency that
recorded them: its staff and admins change or delete them, the other agency only reads them;
every creation, change and deletion is in a history that outlives the record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from html import unescape
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from marketplace.accounts.models import AgencyKind
from marketplace.core.errors import Refused
from marketplace.core.migrations import upgrade_database
from marketplace.extensions import db
from marketplace.program import services
from marketplace.program.models import ProgramRecordChange, SupportedCooperative, TrainingClass
from tests import factories
from tests.conftest import make_app
from tests.cooperatives.helpers import sign_in
from tests.program.test_records import supported_form, training_form

YOUTH_UNION = "Tỉnh đoàn Bắc Giang"
ALLIANCE = "Liên minh HTX tỉnh Bắc Giang"


@dataclass
class Kind:
    """What differs between the two kinds of record, so each test runs on both."""

    name: str  # the history's ?kind=
    path: str
    model: type
    label: str  # title or name: the column the tests change
    old: str
    new: str
    form: object

    def create(self, user):
        if self.name == "training":
            return services.create_training(
                services.TrainingInput(
                    held_on=date(2024, 5, 22),
                    title=self.old,
                    organiser="Trung tâm Hỗ trợ HTX",
                    participants=38,
                    province_code=factories.BAC_NINH,
                    ward_code=factories.LUC_NGAN,
                ),
                user,
            )
        return services.create_supported(
            services.SupportedInput(name=self.old, founded_on=date(2024, 3, 12), province_code=factories.BAC_NINH),
            user,
        )

    def edit_form(self) -> dict:
        if self.name == "training":
            return training_form(title=self.new, participants="120")
        return supported_form(name=self.new)

    def update(self, record, user):
        if self.name == "training":
            data = services.TrainingInput(held_on=record.held_on, title=self.new, participants=120)
            return services.update_training(record, data, user)
        return services.update_supported(
            record, services.SupportedInput(name=self.new, founded_on=record.founded_on), user
        )

    def delete(self, record, user):
        (services.delete_training if self.name == "training" else services.delete_supported)(record, user)


KINDS = {
    "training": Kind(
        "training",
        "/agency/program/training",
        TrainingClass,
        "title",
        "Tập huấn quản trị HTX",
        "Tập huấn kế toán HTX",
        training_form,
    ),
    "supported": Kind(
        "supported",
        "/agency/program/cooperatives",
        SupportedCooperative,
        "name",
        "HTX Thanh niên Dâu tây Tân Yên",
        "HTX TN Dâu tây Tân Yên",
        supported_form,
    ),
}


@dataclass
class People:
    youth_union: object
    alliance: object
    owner: object  # staff of the Youth Union, who record
    other: object  # staff of the Cooperative Alliance
    admin: object


@pytest.fixture
def people(app):
    youth_union = factories.agency(YOUTH_UNION, AgencyKind.YOUTH_UNION)
    alliance = factories.agency(ALLIANCE, AgencyKind.COOPERATIVE_ALLIANCE)
    result = People(
        youth_union=youth_union,
        alliance=alliance,
        owner=factories.staff(youth_union, full_name="Nguyễn Thị Ghi"),
        other=factories.staff(alliance, full_name="Trần Văn Khác"),
        admin=factories.admin(full_name="Lê Quản Trị"),
    )
    factories.commit()
    return result


@pytest.fixture(params=list(KINDS))
def kind(request) -> Kind:
    return KINDS[request.param]


def recorded(kind: Kind, people: People):
    record = kind.create(people.owner)
    factories.commit()
    return record


def urls(kind: Kind, record) -> tuple[str, str]:
    return f"{kind.path}/{record.id}/edit", f"{kind.path}/{record.id}/delete"


def row(page: str, record_id: int) -> str:
    """The list row of one record."""
    match = re.search(rf'<tr data-(?:training|supported)-id="{record_id}">(.*?)</tr>', page, re.S)
    assert match, "the record is not listed"
    return match.group(1)


def owner_shown(page: str) -> str:
    """What the list row, the record page or the form says about the recording agency."""
    match = re.search(r'(?:id|class)="record-owner">(.*?)</(?:td|p)>', page, re.S)
    assert match, "the recording agency is not shown"
    return text(match.group(1))


def text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def history_rows(client, query: str = "") -> list[dict]:
    """The history page's lines as a reader sees them."""
    response = client.get(f"/agency/program/history{query}")
    assert response.status_code == 200
    rows = []
    for attrs, body in re.findall(r"<tr (data-action=[^>]*)>(.*?)</tr>", response.get_data(as_text=True), re.S):
        cells = [text(cell) for cell in re.findall(r"<td>(.*?)</td>", body, re.S)]
        action, field = re.search(r'data-action="(\w*)" data-field="(\w*)"', attrs).groups()
        rows.append(
            {"action": action, "field": field, "who": cells[1], "record": cells[2], "what": cells[3],
             "before": cells[4], "after": cells[5], "owner": cells[6]}
        )  # fmt: skip
    return rows


def value(kind: Kind, record_id: int) -> str | None:
    db.session.expire_all()
    record = db.session.get(kind.model, record_id)
    return None if record is None else getattr(record, kind.label)


# --- the recording agency ------------------------------------------------------------------


def test_the_recording_agency_sees_itself_as_owner_and_edits_and_deletes(client, people, kind):
    sign_in(client, people.owner)
    assert client.post(f"{kind.path}/new", data=kind.form()).status_code == 302
    record = db.session.scalar(select(kind.model))
    assert record.owner_agency_id == people.youth_union.id
    edit, delete = urls(kind, record)

    listed = row(client.get(kind.path).get_data(as_text=True), record.id)
    assert owner_shown(listed) == YOUTH_UNION
    assert edit in listed and delete in listed
    assert YOUTH_UNION in owner_shown(client.get(edit).get_data(as_text=True))  # the form says who owns it
    detail = client.get(f"{kind.path}/{record.id}").get_data(as_text=True)
    assert YOUTH_UNION in owner_shown(detail) and edit in detail and delete in detail

    assert client.post(edit, data=kind.edit_form()).status_code == 302
    assert value(kind, record.id) == kind.new
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    assert value(kind, record.id) is None


# --- the other agency ----------------------------------------------------------------------


def test_the_other_agency_reads_the_record_without_buttons_and_is_refused_changes(client, people, kind):
    record = recorded(kind, people)
    edit, delete = urls(kind, record)
    sign_in(client, people.other)

    listing = client.get(kind.path)
    assert listing.status_code == 200
    listed = row(listing.get_data(as_text=True), record.id)
    assert kind.old in text(listed) and owner_shown(listed) == YOUTH_UNION
    assert edit not in listed and delete not in listed
    assert f"/agency/program/history?kind={kind.name}&amp;record={record.id}" in listed
    detail = client.get(f"{kind.path}/{record.id}")  # the record's page: every field, no buttons
    assert detail.status_code == 200
    shown = detail.get_data(as_text=True)
    assert kind.old in text(shown) and YOUTH_UNION in owner_shown(shown) and "Bắc Ninh" in text(shown)
    assert edit not in shown and delete not in shown

    assert client.get(edit).status_code == 403
    assert client.post(edit, data=kind.edit_form()).status_code == 403
    assert client.get(delete).status_code == 403
    assert client.post(delete).status_code == 403
    assert value(kind, record.id) == kind.old
    assert [line["action"] for line in history_rows(client, f"?kind={kind.name}&record={record.id}")] == ["created"]


def test_the_services_refuse_the_other_agency_too(people, kind):
    record = recorded(kind, people)

    with pytest.raises(Refused):
        kind.update(record, people.other)
    with pytest.raises(Refused):
        kind.delete(record, people.other)

    assert value(kind, record.id) == kind.old
    assert db.session.scalar(select(sa.func.count()).select_from(ProgramRecordChange)) == 1  # "created" only


# --- admins --------------------------------------------------------------------------------


def test_an_admin_edits_and_deletes_any_record(client, people, kind):
    record = recorded(kind, people)
    edit, delete = urls(kind, record)
    sign_in(client, people.admin)

    listed = row(client.get(kind.path).get_data(as_text=True), record.id)
    assert edit in listed and delete in listed
    assert client.post(edit, data=kind.edit_form()).status_code == 302
    assert value(kind, record.id) == kind.new
    assert record.owner_agency_id == people.youth_union.id  # an admin's edit does not change the owner
    assert client.post(delete).status_code == 302
    assert value(kind, record.id) is None
    assert {line["who"] for line in history_rows(client) if line["action"] != "created"} == {"Lê Quản Trị"}


def test_a_record_without_an_owning_agency_is_changed_by_admins_only(client, people, kind):
    record = recorded(kind, people)
    record.owner_agency_id = None  # as rows whose creator was unknown when ownership came in
    factories.commit()
    edit, delete = urls(kind, record)

    sign_in(client, people.owner)
    listed = row(client.get(kind.path).get_data(as_text=True), record.id)
    assert "chỉ quản trị viên được sửa" in owner_shown(listed) and edit not in listed  # "only admins may change it"
    assert client.post(edit, data=kind.edit_form()).status_code == 403
    assert client.post(delete).status_code == 403

    sign_in(client, people.admin)
    assert client.post(edit, data=kind.edit_form()).status_code == 302
    assert value(kind, record.id) == kind.new


# --- an admin reassigns the recording agency ----------------------------------------------


def owner_url(kind: Kind, record) -> str:
    return f"{kind.path}/{record.id}/owner"


def owner_lines(client, kind: Kind, record) -> list[dict]:
    return [
        line
        for line in history_rows(client, f"?kind={kind.name}&record={record.id}")
        if line["field"] == "owner_agency"
    ]


def test_an_admin_gives_a_record_to_the_other_agency_and_the_history_keeps_it(client, people, kind):
    record = recorded(kind, people)
    edit, _delete = urls(kind, record)
    sign_in(client, people.admin)
    page = client.get(f"{kind.path}/{record.id}").get_data(as_text=True)
    assert f'action="{owner_url(kind, record)}"' in page and 'name="owner_agency_id"' in page

    response = client.post(owner_url(kind, record), data={"owner_agency_id": str(people.alliance.id)})

    assert response.status_code == 302 and response.location.endswith(f"{kind.path}/{record.id}")
    db.session.expire_all()
    assert record.owner_agency_id == people.alliance.id
    assert "Liên minh HTX tỉnh Bắc Giang" in owner_shown(client.get(f"{kind.path}/{record.id}").get_data(as_text=True))
    [line] = owner_lines(client, kind, record)
    assert (line["action"], line["before"], line["after"], line["who"]) == (
        "updated",
        YOUTH_UNION,
        ALLIANCE,
        "Lê Quản Trị",
    )
    assert line["owner"] == ALLIANCE  # the line is filed under the new owner
    # The new owner's staff change it now; the former owner's only read it.
    sign_in(client, people.other)
    assert client.post(edit, data=kind.edit_form()).status_code == 302
    sign_in(client, people.owner)
    assert client.post(edit, data=kind.edit_form()).status_code == 403


def test_an_admin_may_leave_a_record_to_no_agency(client, people, kind):
    record = recorded(kind, people)
    sign_in(client, people.admin)

    assert client.post(owner_url(kind, record), data={"owner_agency_id": ""}).status_code == 302

    db.session.expire_all()
    assert record.owner_agency_id is None
    [line] = owner_lines(client, kind, record)
    assert (line["before"], line["after"]) == (YOUTH_UNION, "")
    sign_in(client, people.owner)
    assert client.post(urls(kind, record)[0], data=kind.edit_form()).status_code == 403


def test_giving_a_record_to_its_own_agency_records_nothing(client, people, kind):
    record = recorded(kind, people)
    sign_in(client, people.admin)

    assert client.post(owner_url(kind, record), data={"owner_agency_id": str(people.youth_union.id)}).status_code == 302

    assert owner_lines(client, kind, record) == []


def test_an_unknown_agency_is_refused_at_the_field(client, people, kind):
    record = recorded(kind, people)
    sign_in(client, people.admin)
    client.get("/lang/en")

    for bad in ("999999", "abc"):
        response = client.post(owner_url(kind, record), data={"owner_agency_id": bad})
        assert response.status_code == 400, bad
        assert 'id="owner_agency_id-error"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert record.owner_agency_id == people.youth_union.id
    assert owner_lines(client, kind, record) == []


@pytest.mark.parametrize("who", ["owner", "other"])
def test_staff_cannot_reassign_even_their_own_records(client, people, kind, who):
    record = recorded(kind, people)
    sign_in(client, getattr(people, who))

    assert 'id="owner-form"' not in client.get(f"{kind.path}/{record.id}").get_data(as_text=True)
    response = client.post(owner_url(kind, record), data={"owner_agency_id": str(people.alliance.id)})

    assert response.status_code == 403
    db.session.expire_all()
    assert record.owner_agency_id == people.youth_union.id
    with pytest.raises(Refused):
        services.reassign_owner(record, people.alliance, getattr(people, who))


# --- history -------------------------------------------------------------------------------


def test_every_edit_adds_a_history_line_per_changed_field(client, people, kind):
    record = recorded(kind, people)
    edit, _delete = urls(kind, record)
    sign_in(client, people.owner)

    assert client.post(edit, data=kind.edit_form()).status_code == 302

    lines = [
        line for line in history_rows(client, f"?kind={kind.name}&record={record.id}") if line["action"] == "updated"
    ]
    by_field = {line["field"]: (line["before"], line["after"], line["who"]) for line in lines}
    assert by_field[kind.label] == (kind.old, kind.new, "Nguyễn Thị Ghi")
    if kind.name == "training":
        assert by_field["participants"] == ("38", "120", "Nguyễn Thị Ghi")
    assert all(line["owner"] == YOUTH_UNION for line in lines)

    # Saving the same values again adds nothing.
    assert client.post(edit, data=kind.edit_form()).status_code == 302
    assert len(history_rows(client, f"?kind={kind.name}&record={record.id}")) == len(lines) + 1  # + "created"


def test_a_deletion_keeps_the_records_last_state_in_the_history(client, people, kind):
    record = recorded(kind, people)
    record_id = record.id
    _edit, delete = urls(kind, record)
    sign_in(client, people.owner)
    assert client.post(delete).status_code == 302
    assert value(kind, record_id) is None

    sign_in(client, people.other)  # the other agency reads the trace
    page = client.get(f"/agency/program/history?kind={kind.name}&record={record_id}").get_data(as_text=True)
    assert 'id="record-gone"' in page
    deleted = {
        line["field"]: line["before"]
        for line in history_rows(client, f"?kind={kind.name}&record={record_id}")
        if line["action"] == "deleted"
    }
    assert deleted[kind.label] == kind.old
    assert "Bắc Ninh" in deleted["province_code"]
    assert deleted["owner_agency"] == YOUTH_UNION
    if kind.name == "training":
        assert (deleted["participants"], deleted["held_on"]) == ("38", "2024-05-22")
    else:
        assert (deleted["founded_on"], deleted["is_youth"]) == ("2024-03-12", "Có")  # "Yes", in Vietnamese
    whole = [line for line in history_rows(client) if line["action"] == "deleted"]
    assert whole and all(line["who"] == "Nguyễn Thị Ghi" and kind.old in line["record"] for line in whole)


def test_the_history_is_for_agency_staff_and_admins_and_checks_its_filters(client, people):
    sign_in(client, people.admin)
    assert client.get("/agency/program/history").status_code == 200
    for query in ("?kind=orders", "?record=1", "?kind=training&record=abc", "?kind=training&record=-1"):
        assert client.get(f"/agency/program/history{query}").status_code == 400, query
    sign_in(client, factories.user())
    factories.commit()
    assert client.get("/agency/program/history").status_code == 403


# --- the migration -------------------------------------------------------------------------


def _revision_before_ownership() -> str:
    (migration,) = (Path(__file__).parents[2] / "migrations" / "versions").glob("*_program_record_owner_and_history.py")
    return re.search(r'^down_revision = "(\w+)"', migration.read_text(), re.M).group(1)


def test_the_migration_gives_existing_records_their_creators_agency(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'upgraded.sqlite3'}", tmp_path)
    with app.app_context():
        try:
            upgrade_database(_revision_before_ownership())
            agency = factories.agency(YOUTH_UNION)
            creator = factories.staff(agency)
            admin = factories.admin()
            factories.commit()
            insert = (
                "INSERT INTO training_classes (held_on, title, organiser, participants, street, notes, created_by_id,"
                " created_at) VALUES ('2024-01-01', :title, '', 0, '', '', :creator, '2024-01-01 00:00:00')"
            )
            for title, creator_id in (("staff", creator.id), ("admin", admin.id), ("unknown", None)):
                db.session.execute(sa.text(insert), {"title": title, "creator": creator_id})
            db.session.execute(
                sa.text(
                    "INSERT INTO supported_cooperatives (name, founded_on, is_youth, street, notes, created_by_id,"
                    " created_at) VALUES ('HTX', '2024-01-01', 1, '', '', :creator, '2024-01-01 00:00:00')"
                ),
                {"creator": creator.id},
            )
            factories.commit()
            agency_id = agency.id
            db.session.remove()

            upgrade_database()

            owners = dict(db.session.execute(select(TrainingClass.title, TrainingClass.owner_agency_id)).all())
            assert owners == {"staff": agency_id, "admin": None, "unknown": None}
            assert db.session.scalar(select(SupportedCooperative.owner_agency_id)) == agency_id
        finally:
            db.session.remove()
            db.engine.dispose()
