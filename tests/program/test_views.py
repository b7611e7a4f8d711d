"""The programme dashboard (/agency/program) and the public summary (/program): the figures on the
page, drill-downs whose records match the numbers, no personal data in public, who may see what."""

from __future__ import annotations

import re
from datetime import date
from html import unescape

import pytest
from sqlalchemy import func, select

from marketplace.extensions import db
from marketplace.program.models import ProgramTarget, SupportedCooperative, TargetMetric
from tests.cooperatives.helpers import sign_in
from tests.program.helpers import EXPECTED, build_programme

T = TargetMetric


@pytest.fixture
def programme(app):
    world = build_programme()
    db.session.commit()
    return world


def cells(html: str) -> dict:
    """{(metric, year or 'all'): (actual, target or None)} from the data attributes of the page."""
    found = {}
    for match in re.finditer(
        r'data-metric="([a-z_]+)" data-year="(\w+)"\s+data-actual="(\d+)" data-target="(\d*)"', html
    ):
        metric, year, actual, target = match.groups()
        found[metric, year] = (int(actual), int(target) if target else None)
    return found


def expected_cells() -> dict:
    return {
        (metric.value, "all" if year is None else str(year)): figures
        for metric, per_year in EXPECTED.items()
        for year, figures in per_year.items()
    }


def test_the_dashboard_shows_every_figure_of_the_dataset(client, programme):
    sign_in(client, programme.staff)

    response = client.get("/agency/program/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert cells(html) == expected_cells()
    assert html.count('<svg class="progress-bar"') == 17  # every cell with a target
    assert 'id="commitment-2"' in html and 'id="commitment-3"' in html and 'id="commitment-4"' in html


def test_every_drill_down_lists_the_records_it_counts(client, programme):
    sign_in(client, programme.staff)
    html = client.get("/agency/program/").get_data(as_text=True)
    links = re.findall(r'data-metric="([a-z_]+)" data-year="(\w+)".*?<a href="([^"]+)" data-drill', html, re.DOTALL)
    assert len(links) == 20

    for metric, year, url in links:
        url = unescape(url)
        page = client.get(url)
        assert page.status_code == 200, url
        body = page.get_data(as_text=True)
        actual = expected_cells()[metric, year][0]
        if metric == T.TRAINING_CLASSES.value:
            listed = len(re.findall(r'data-training-id="', body))
        elif metric == T.NEW_YOUTH_COOPERATIVES.value:
            listed = len(re.findall(r'data-supported-id="', body))
        else:
            listed = len(re.findall(r'data-activity-id="', body))
            assert "status=approved" in url
        if year == "all" and metric not in (T.TRAINING_CLASSES.value, T.NEW_YOUTH_COOPERATIVES.value):
            assert listed == 7, url  # the activity list has no range: every approved activity (A8 and A9 too)
        elif (
            metric in (T.TRAINING_CLASSES.value, T.NEW_YOUTH_COOPERATIVES.value, T.PROMOTION_ACTIVITIES.value)
            or year == "all"
        ):
            assert listed == actual, url
        else:  # cooperatives and sales: the activities behind them
            assert listed == EXPECTED[T.PROMOTION_ACTIVITIES][int(year)][0], url


def test_the_dashboard_adds_the_default_targets_when_there_are_none(client, app):
    build_programme(targets=False)
    db.session.commit()
    from marketplace.accounts.models import Role, User

    staff = db.session.scalar(select(User).where(User.role == Role.AGENCY_STAFF))
    sign_in(client, staff)

    html = client.get("/agency/program/").get_data(as_text=True)

    assert db.session.scalar(select(func.count()).select_from(ProgramTarget)) == 13
    assert cells(html)["new_youth_cooperatives", "all"] == (3, 6)
    assert cells(html)["sales_vnd", "2025"] == (600_000_000, 500_000_000)


def test_admins_see_the_link_to_change_targets_and_staff_do_not(client, programme):
    sign_in(client, programme.staff)
    assert "/admin/targets" not in client.get("/agency/program/").get_data(as_text=True)
    sign_in(client, programme.admin)
    assert "/admin/targets/" in client.get("/agency/program/").get_data(as_text=True)


@pytest.mark.parametrize("who", ["customer", "manager"])
def test_only_agency_staff_and_admins_open_the_dashboard(client, programme, who):
    sign_in(client, getattr(programme, who))
    assert client.get("/agency/program/").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, programme):
    response = client.get("/agency/program/")
    assert response.status_code == 302 and "/account/login" in response.location


def test_the_public_summary_has_the_counts_and_no_personal_data(client, programme):
    linked = programme.cooperatives[0]
    supported = db.session.scalar(
        select(SupportedCooperative)
        .where(
            SupportedCooperative.founded_on.between(date(2023, 1, 1), date(2025, 12, 31)),
            SupportedCooperative.is_youth.is_(True),
        )
        .limit(1)
    )
    supported.cooperative = linked
    db.session.commit()

    response = client.get("/program/")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert cells(html) == expected_cells()
    assert "data-drill" not in html and "/agency/" not in html
    for private in (
        programme.staff.full_name,
        programme.staff.email,
        programme.admin.email,
        "Lớp tập huấn 2023-05-10",
        "Ban Thanh niên",
        "HTX mới số",
    ):
        assert private not in html, private
    assert f'href="/cooperatives/{linked.slug}"' in html and linked.name in html


def test_the_public_summary_names_no_cooperative_that_is_not_public(client, programme):
    from marketplace.cooperatives.models import CooperativeStatus

    pending = programme.cooperatives[1]
    pending.status = CooperativeStatus.PENDING
    supported = db.session.scalar(
        select(SupportedCooperative).where(SupportedCooperative.founded_on == date(2024, 7, 7))
    )
    supported.cooperative = pending
    db.session.commit()

    assert pending.name not in client.get("/program/").get_data(as_text=True)


def test_a_year_that_is_over_is_met_or_not_met_and_only_the_current_one_is_behind(monkeypatch, client, programme):
    from marketplace.program import progress

    # A fixed clock: 30 June 2025. 2024 is over (training 0 of 1: not met); the whole programme is
    # under way (new youth cooperatives 3 of 6, pace 4.99: behind).
    monkeypatch.setattr(progress, "today_in_vietnam", lambda: date(2025, 6, 30))
    sign_in(client, programme.staff)

    html = client.get("/agency/program/").get_data(as_text=True)

    def cell(metric: str, year: str) -> str:
        match = re.search(rf'data-metric="{metric}" data-year="{year}"(.*?)</td>', html, re.DOTALL)
        return match[0]

    over = cell("training_classes", "2024")
    assert 'data-status="not_met"' in over and "Không đạt" in over and "Chậm tiến độ" not in over
    assert "Đạt" in cell("training_classes", "2023") and 'data-status="met"' in cell("training_classes", "2023")
    under_way = cell("new_youth_cooperatives", "all")
    assert 'data-status="behind"' in under_way and "Chậm tiến độ" in under_way
    # No closed year says "behind".
    for year in ("2023", "2024"):
        assert not re.search(rf'data-year="{year}"\s+data-actual="\d+" data-target="\d*" data-status="behind"', html)
    assert 'data-status-count="not_met"' in html

    # Once the programme is over nothing is "behind" any more.
    monkeypatch.setattr(progress, "today_in_vietnam", lambda: date(2026, 1, 2))
    after = client.get("/agency/program/").get_data(as_text=True)
    assert 'data-status="behind"' not in after and 'data-status="not_met"' in after
