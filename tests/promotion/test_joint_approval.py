"""Who may approve an activity (services.approval_rule), for every combination of organising
agencies, the creator's and the last editor's agency, and the approver; and the joint
activity's round trip through the pages: recorded by one agency, approved by the other."""

from __future__ import annotations

import re
from datetime import date

import pytest

from marketplace.accounts.models import AgencyKind
from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.promotion import services
from marketplace.promotion.models import ActivityStatus, PromotionActivity
from tests import factories
from tests.cooperatives.helpers import csrf_token, sign_in
from tests.promotion.helpers import activity_input, build_world
from tests.promotion.test_views import form_data

APPROVERS = ("creator", "editor", "colleague", "other", "third", "admin")

# organisers, creator's agency, last editor's agency (the creator when the same), then for each
# approver in APPROVERS order whether they may approve (Y) or not (N):
#   creator and editor: the people who recorded it and made its latest change;
#   colleague: someone else of the last editor's agency; other: someone of the other of the two
#   agencies (not the creator); third: staff of an agency outside the programme; admin.
CASES = [
    # One organising agency: today's rule, staff of an agency that neither organised it nor
    # employs its creator.
    ("yu", "yu", "yu", "NNNYYY"),
    ("yu", "ca", "ca", "NNNNYY"),  # recorded for the Youth Union by Alliance staff
    ("yu", "ca", "yu", "NNNNYY"),
    ("ca", "ca", "ca", "NNNYYY"),
    ("ca", "yu", "yu", "NNNNYY"),
    ("ca", "yu", "ca", "NNNNYY"),
    # Joint: the organising agency other than the one that made the latest change approves.
    ("both", "yu", "yu", "NNNYYY"),
    ("both", "ca", "ca", "NNNYYY"),
    ("both", "yu", "ca", "NNNYYY"),  # the Youth Union (not its creator) checks the Alliance's edit
    ("both", "ca", "yu", "NNNYYY"),
]


@pytest.fixture
def world(app):
    world = build_world()
    world.ca_staff2 = factories.staff(world.alliance, email="lienminh2@example.vn")
    return world


def _people(world, creator_agency: str, editor_agency: str) -> dict:
    first = {"yu": world.yu_staff, "ca": world.ca_staff}
    second = {"yu": world.yu_staff2, "ca": world.ca_staff2}
    other_agency = "ca" if editor_agency == "yu" else "yu"
    return {
        "creator": first[creator_agency],
        "editor": first[editor_agency],
        "colleague": second[editor_agency],
        "other": second[other_agency],
        "third": world.other_staff,
        "admin": world.admin,
    }


def _submitted(world, organisers: str, creator_agency: str, editor_agency: str) -> tuple[PromotionActivity, dict]:
    agencies = {"yu": [world.youth_union], "ca": [world.alliance], "both": [world.youth_union, world.alliance]}
    people = _people(world, creator_agency, editor_agency)
    activity = services.create_activity(activity_input(world, agencies=agencies[organisers]), people["creator"])
    if editor_agency != creator_agency:
        services.update_activity(
            activity, activity_input(world, agencies=agencies[organisers], visitors=1800), people["editor"]
        )
    services.submit(activity, people["editor"])
    return activity, people


@pytest.mark.parametrize("approver", APPROVERS)
@pytest.mark.parametrize(("organisers", "creator_agency", "editor_agency", "expected"), CASES)
def test_who_may_approve(world, organisers, creator_agency, editor_agency, expected, approver):
    activity, people = _submitted(world, organisers, creator_agency, editor_agency)
    assert services.last_editor(activity).id == people["editor"].id
    person = people[approver]
    may = expected[APPROVERS.index(approver)] == "Y"

    allowed, reason = services.approval_rule(person, activity)

    assert allowed is may
    assert bool(reason) is not may  # a refusal always says why
    if may:
        services.approve(activity, person)
        assert activity.status == ActivityStatus.APPROVED
    else:
        with pytest.raises(Refused, match=re.escape(reason)):
            services.approve(activity, person)
        with pytest.raises(Refused):
            services.return_activity(activity, person, "Thiếu ảnh")
        assert activity.status == ActivityStatus.SUBMITTED


def test_the_reasons_name_what_stops_the_person(world):
    activity, people = _submitted(world, "both", "yu", "ca")
    with app_english():
        assert services.approval_rule(people["creator"], activity).reason == (
            "You recorded this activity, so someone else approves it."
        )
        assert services.approval_rule(people["editor"], activity).reason == (
            "You made the latest change to this activity, so someone else approves it."
        )
        assert "joint activity" in services.approval_rule(people["colleague"], activity).reason
        assert services.approval_rule(world.lone_staff, activity).reason == (
            "Only staff of an agency, or an admin, can approve activities."
        )
        assert services.approval_rule(world.customer, activity).allowed is False


def test_adding_evidence_counts_as_the_latest_change(world):
    activity, people = _submitted(world, "both", "yu", "yu")
    services.record(activity, world.ca_staff, "evidence_added", "evidence", "", "bien-ban.pdf")
    db.session.flush()

    assert services.last_editor(activity).id == world.ca_staff.id
    assert services.approval_rule(world.yu_staff2, activity).allowed is True
    assert services.approval_rule(world.ca_staff2, activity).allowed is False


def test_the_page_note_says_who_can_approve(world):
    joint, _ = _submitted(world, "both", "yu", "yu")
    single, _ = _submitted(world, "yu", "yu", "yu")
    stuck, _ = _submitted(world, "yu", "ca", "ca")
    with app_english():
        assert services.approvers_note(joint) == (
            "Joint activity: staff of Liên minh HTX Bắc Ninh, Sở Công Thương approve it"
            " (not the person who recorded it or made its latest change), or an admin."
        )
        assert (
            services.approvers_note(single)
            == "Staff of Liên minh HTX Bắc Ninh, Sở Công Thương approve it, or an admin."
        )
        assert services.approvers_note(stuck) == "Staff of Sở Công Thương approve it, or an admin."


def test_with_only_the_two_programme_agencies_the_note_warns_when_only_an_admin_can(app):
    youth_union = factories.agency("Tỉnh đoàn", AgencyKind.YOUTH_UNION)
    alliance = factories.agency("Liên minh HTX", AgencyKind.COOPERATIVE_ALLIANCE)
    coop = factories.cooperative("HTX Một", slug="htx-mot")
    day = date(2025, 1, 1)
    data = services.ActivityInput("livestream_sale", "Livestream", day, day, cooperatives=[coop])
    # Alliance staff record an activity organised by the Youth Union alone.
    data.agencies = [youth_union]
    recorded_for_another = services.create_activity(data, factories.staff(alliance, email="a@example.vn"))
    data.agencies = [youth_union, alliance]
    joint = services.create_activity(data, factories.staff(youth_union, email="b@example.vn"))

    with app_english():
        assert services.approvers_note(recorded_for_another) == "Only an admin can approve this activity."
        assert services.approvers_note(joint).startswith("Joint activity: staff of Liên minh HTX approve it")


def app_english():
    from flask_babel import force_locale

    return force_locale("en")


# --- through the pages ------------------------------------------------------------------


def test_a_joint_activity_recorded_by_one_agency_is_approved_by_the_other(csrf_app, world):
    client = csrf_app.test_client()
    factories.commit()
    sign_in(client, world.yu_staff)

    form = client.get("/agency/promotion/new").get_data(as_text=True)
    assert 'id="agencies-help"' in form and "hoạt động phối hợp" in form
    data = form_data(world, agencies=[str(world.youth_union.id), str(world.alliance.id)])
    response = client.post(
        "/agency/promotion/new", data={**data, "csrf_token": csrf_token(client, "/agency/promotion/new")}
    )
    assert response.status_code == 302
    activity = db.session.scalar(db.select(PromotionActivity))
    url = f"/agency/promotion/{activity.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Ai được duyệt:" in page and "Hoạt động phối hợp: cán bộ của Liên minh HTX Bắc Ninh" in page
    client.post(f"{url}/submit", data={"csrf_token": csrf_token(client, url)})

    # The creator is refused, and told why.
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}/approve"' not in page
    assert "Bạn không duyệt được: Bạn là người ghi nhận hoạt động này nên người khác sẽ duyệt." in page
    response = client.post(f"{url}/approve", data={"csrf_token": csrf_token(client, url)}, follow_redirects=True)
    assert "Bạn là người ghi nhận hoạt động này nên người khác sẽ duyệt." in response.get_data(as_text=True)
    db.session.expire_all()
    assert activity.status == ActivityStatus.SUBMITTED

    # Alliance staff, the other organiser, approve it.
    sign_in(client, world.ca_staff)
    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}/approve"' in page
    response = client.post(f"{url}/approve", data={"csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    db.session.expire_all()
    assert (activity.status, activity.decided_by_id) == (ActivityStatus.APPROVED, world.ca_staff.id)


def test_a_colleague_of_the_creator_cannot_approve_a_joint_activity_through_the_page(csrf_app, world):
    client = csrf_app.test_client()
    activity = services.create_activity(
        activity_input(world, agencies=[world.youth_union, world.alliance]), world.yu_staff
    )
    services.submit(activity, world.yu_staff)
    factories.commit()
    url = f"/agency/promotion/{activity.id}"
    sign_in(client, world.yu_staff2)

    page = client.get(url).get_data(as_text=True)
    assert f'action="{url}/approve"' not in page
    assert "cơ quan tổ chức còn lại sẽ duyệt" in page
    client.post(f"{url}/approve", data={"csrf_token": csrf_token(client, url)})
    db.session.expire_all()
    assert activity.status == ActivityStatus.SUBMITTED


# --- the ward list -----------------------------------------------------------------------


def test_the_activity_form_loads_the_script_that_fills_the_ward_list(world, client):
    # As on checkout and the fair form: without workspace.js the ward list stays empty.
    factories.commit()
    sign_in(client, world.yu_staff)

    for url in ("/agency/promotion/new", "/agency/program/training/new", "/agency/program/cooperatives/new"):
        page = client.get(url).get_data(as_text=True)
        assert 'data-ward-select="ward_code"' in page
        assert 'data-wards-url="/api/v1/provinces/{code}/wards"' in page
        assert "js/workspace.js" in page


# --- cooperatives and products in one checklist ----------------------------------------------


def test_cooperatives_and_their_products_are_one_checklist_on_the_first_visit(world, client):
    factories.commit()
    sign_in(client, world.yu_staff)

    page = client.get("/agency/promotion/new").get_data(as_text=True)

    checklist = page[page.index('id="cooperative-checklist"') :]
    coop_a = checklist.index(f'name="cooperatives" type="checkbox" value="{world.coop_a.id}"')
    product_a = checklist.index(f'name="products" type="checkbox" value="{world.product_a.id}"')
    coop_b = checklist.index(f'name="cooperatives" type="checkbox" value="{world.coop_b.id}"')
    product_b = checklist.index(f'name="products" type="checkbox" value="{world.product_b.id}"')
    # Alphabetical, each cooperative's products under it (HTX Gà đồi, then HTX Vải thiều Lục Ngạn).
    assert coop_b < product_b < coop_a < product_a
    assert f'value="{world.pending.id}"' not in checklist  # not approved, not offered
    assert '<select id="cooperatives"' not in page  # no Ctrl-click multi-select any more
    assert "data-checklist-filter hidden" in page and "js/checklist.js" in page  # search box, shown by JS


def test_ticking_a_cooperative_and_its_product_saves_both_in_one_step(world, client):
    factories.commit()
    sign_in(client, world.yu_staff)

    response = client.post(
        "/agency/promotion/new",
        data=form_data(world, cooperatives=[str(world.coop_b.id)], products=[str(world.product_b.id)]),
    )

    assert response.status_code == 302
    activity = db.session.scalar(db.select(PromotionActivity))
    assert ([c.id for c in activity.cooperatives], [p.id for p in activity.products]) == (
        [world.coop_b.id],
        [world.product_b.id],
    )
    page = client.get(f"/agency/promotion/{activity.id}/edit").get_data(as_text=True)
    assert re.search(
        rf'<input checked id="products-\d+" name="products" type="checkbox" value="{world.product_b.id}"', page
    )
    assert re.search(
        rf'<input checked id="cooperatives-\d+" name="cooperatives" type="checkbox" value="{world.coop_b.id}"', page
    )
