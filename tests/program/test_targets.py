"""Programme targets: the defaults, inserted once and never over an admin's edit; the admin page."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.program import targets
from marketplace.program.models import ProgramTarget, TargetMetric
from tests import factories
from tests.cooperatives.helpers import sign_in

T = TargetMetric


def stored() -> dict:
    return {(t.metric, t.year): t.value for t in db.session.scalars(select(ProgramTarget))}


def test_the_defaults_follow_the_programme(app):
    assert targets.ensure_default_targets() == 13
    assert stored() == {
        (T.TRAINING_CLASSES, 2023): 1,
        (T.TRAINING_CLASSES, 2024): 1,
        (T.TRAINING_CLASSES, 2025): 1,
        (T.NEW_YOUTH_COOPERATIVES, None): 6,
        **{(T.PROMOTION_ACTIVITIES, y): 4 for y in (2023, 2024, 2025)},
        **{(T.COOPERATIVES_REACHED, y): 10 for y in (2023, 2024, 2025)},
        **{(T.SALES_VND, y): 500_000_000 for y in (2023, 2024, 2025)},
    }
    commitments = {t.metric: t.commitment for t in db.session.scalars(select(ProgramTarget))}
    assert commitments == {
        T.TRAINING_CLASSES: 2,
        T.NEW_YOUTH_COOPERATIVES: 3,
        T.PROMOTION_ACTIVITIES: 4,
        T.COOPERATIVES_REACHED: 4,
        T.SALES_VND: 4,
    }
    assert all(t.description for t in db.session.scalars(select(ProgramTarget)))


def test_defaults_fill_gaps_and_never_overwrite_an_edit(app):
    admin = factories.admin()
    targets.ensure_default_targets()
    edited = db.session.scalar(
        select(ProgramTarget).where(ProgramTarget.metric == T.SALES_VND, ProgramTarget.year == 2024)
    )
    targets.update_target(edited, 800_000_000, "Năm 2024 nâng chỉ tiêu", admin)
    removed = db.session.scalar(
        select(ProgramTarget).where(ProgramTarget.metric == T.TRAINING_CLASSES, ProgramTarget.year == 2023)
    )
    db.session.delete(removed)
    db.session.commit()

    assert targets.ensure_default_targets() == 1
    assert targets.ensure_default_targets() == 0
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(ProgramTarget)) == 13
    assert stored()[T.SALES_VND, 2024] == 800_000_000
    assert stored()[T.TRAINING_CLASSES, 2023] == 1


def test_only_admins_change_targets_and_values_are_checked(app):
    admin, staff = factories.admin(), factories.staff()
    targets.ensure_default_targets()
    db.session.commit()
    target = db.session.scalar(
        select(ProgramTarget).where(ProgramTarget.metric == T.PROMOTION_ACTIVITIES, ProgramTarget.year == 2025)
    )
    with pytest.raises(Refused):
        targets.update_target(target, 9, "", staff)
    for bad in (-1, None, "5", 2.5, True, 10_000_000):
        with pytest.raises(Refused) as error:
            targets.update_target(target, bad, "", admin)
        assert error.value.field == "value"
    with pytest.raises(Refused) as error:
        targets.update_target(target, 5, "x" * 301, admin)
    assert error.value.field == "description"
    assert (target.value, target.updated_by_id) == (4, None)  # refused: nothing changed


def test_an_admin_adds_a_target_once_per_metric_and_year(app):
    admin = factories.admin()
    targets.ensure_default_targets()

    added = targets.create_target("promotion_activities", None, 15, "Cả chương trình", admin)

    assert (added.commitment, added.year, added.value, added.updated_by_id) == (4, None, 15, admin.id)
    with pytest.raises(Refused) as error:
        targets.create_target(T.PROMOTION_ACTIVITIES, None, 16, "", admin)
    assert error.value.field == "year"
    with pytest.raises(Refused) as error:
        targets.create_target(T.SALES_VND, 2024, 1, "", admin)  # the default exists
    assert error.value.field == "year"
    with pytest.raises(Refused) as error:
        targets.create_target(T.SALES_VND, 2026, 1, "", admin)
    assert error.value.field == "year"
    with pytest.raises(Refused) as error:
        targets.create_target("visitors", 2024, 1, "", admin)
    assert error.value.field == "metric"


# --- the admin page ------------------------------------------------------------------------


def test_the_admin_page_lists_the_defaults(client):
    admin = factories.admin()
    factories.commit()
    sign_in(client, admin)

    page = client.get("/admin/targets/")

    assert page.status_code == 200
    assert page.get_data(as_text=True).count("data-target-id=") == 13
    assert db.session.scalar(select(func.count()).select_from(ProgramTarget)) == 13
    assert client.get("/admin/targets").status_code in (301, 308)


@pytest.mark.parametrize("who", ["staff", "manager", "customer"])
def test_no_one_but_an_admin_opens_or_changes_targets(client, who):
    targets.ensure_default_targets()
    cooperative = factories.cooperative()
    user = {"staff": factories.staff, "manager": lambda: factories.manager(cooperative), "customer": factories.user}[
        who
    ]()
    factories.commit()
    target = db.session.scalar(
        select(ProgramTarget).where(ProgramTarget.year == 2024, ProgramTarget.metric == T.SALES_VND)
    )
    sign_in(client, user)

    assert client.get("/admin/targets/").status_code == 403
    assert client.get(f"/admin/targets/{target.id}/edit").status_code == 403
    assert client.post(f"/admin/targets/{target.id}/edit", data={"value": "1"}).status_code == 403
    assert client.post("/admin/targets/new", data={"metric": "sales_vnd", "year": "", "value": "1"}).status_code == 403
    db.session.expire_all()
    assert stored()[T.SALES_VND, 2024] == 500_000_000 and (T.SALES_VND, None) not in stored()


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/admin/targets/")
    assert response.status_code == 302 and "/account/login" in response.location


def test_an_admin_edits_a_target_and_it_shows_who_and_when(client):
    admin = factories.admin(full_name="Quản Trị Viên")
    targets.ensure_default_targets()
    factories.commit()
    target = db.session.scalar(
        select(ProgramTarget).where(ProgramTarget.year == 2024, ProgramTarget.metric == T.SALES_VND)
    )
    sign_in(client, admin)

    response = client.post(
        f"/admin/targets/{target.id}/edit", data={"value": "600.000.000", "description": "Nâng chỉ tiêu doanh thu"}
    )

    assert response.status_code == 302
    db.session.expire_all()
    target = db.session.get(ProgramTarget, target.id)
    assert (target.value, target.description, target.updated_by_id) == (
        600_000_000,
        "Nâng chỉ tiêu doanh thu",
        admin.id,
    )
    listing = client.get("/admin/targets/").get_data(as_text=True)
    assert 'data-value="600000000"' in listing and "Quản Trị Viên" in listing


@pytest.mark.parametrize("value", ["", "-5", "abc", "12,5", "99999999999999999999"])
def test_a_bad_value_is_refused_and_nothing_changes(client, value):
    admin = factories.admin()
    targets.ensure_default_targets()
    factories.commit()
    target = db.session.scalar(
        select(ProgramTarget).where(ProgramTarget.year == 2023, ProgramTarget.metric == T.PROMOTION_ACTIVITIES)
    )
    sign_in(client, admin)

    response = client.post(f"/admin/targets/{target.id}/edit", data={"value": value, "description": "x"})

    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(ProgramTarget, target.id).value == 4


def test_an_admin_adds_a_whole_programme_target_on_the_page(client):
    admin = factories.admin()
    targets.ensure_default_targets()
    factories.commit()
    sign_in(client, admin)

    assert client.get("/admin/targets/new").status_code == 200
    response = client.post("/admin/targets/new", data={"metric": "sales_vnd", "year": "", "value": "2000000000"})
    assert response.status_code == 302
    again = client.post("/admin/targets/new", data={"metric": "sales_vnd", "year": "", "value": "1"})
    assert again.status_code == 400
    db.session.expire_all()
    assert stored()[T.SALES_VND, None] == 2_000_000_000
    assert client.get("/admin/targets/999999/edit").status_code == 404


def test_default_descriptions_are_shown_in_the_readers_language(client):
    admin = factories.admin()
    targets.ensure_default_targets()
    factories.commit()
    sign_in(client, admin)
    english = "Four approved promotion activities a year (one a quarter)."
    # The row keeps the English original, whatever language the page is in.
    assert (
        db.session.scalar(
            select(ProgramTarget.description).where(
                ProgramTarget.year == 2024, ProgramTarget.metric == T.PROMOTION_ACTIVITIES
            )
        )
        == english
    )

    page = client.get("/admin/targets/").get_data(as_text=True)  # Vietnamese, the default

    assert "Mỗi năm bốn hoạt động xúc tiến được duyệt (mỗi quý một hoạt động)." in page
    assert "Mỗi năm ít nhất một lớp tập huấn cho sáng lập viên và cán bộ hợp tác xã." in page
    assert english not in page and "At least one training class" not in page
    client.get("/lang/en")
    assert english in client.get("/admin/targets/").get_data(as_text=True)


def test_saving_a_shown_default_keeps_it_translated_and_an_own_text_stays_as_typed(client):
    admin = factories.admin()
    targets.ensure_default_targets()
    factories.commit()
    target = db.session.scalar(
        select(ProgramTarget).where(ProgramTarget.year == 2024, ProgramTarget.metric == T.PROMOTION_ACTIVITIES)
    )
    sign_in(client, admin)
    form = client.get(f"/admin/targets/{target.id}/edit").get_data(as_text=True)
    shown = "Mỗi năm bốn hoạt động xúc tiến được duyệt (mỗi quý một hoạt động)."
    assert shown in form

    assert client.post(f"/admin/targets/{target.id}/edit", data={"value": "5", "description": shown}).status_code == 302
    db.session.expire_all()
    assert db.session.get(ProgramTarget, target.id).description == (
        "Four approved promotion activities a year (one a quarter)."
    )
    client.post(f"/admin/targets/{target.id}/edit", data={"value": "5", "description": "Năm hoạt động"})
    db.session.expire_all()
    assert db.session.get(ProgramTarget, target.id).description == "Năm hoạt động"
