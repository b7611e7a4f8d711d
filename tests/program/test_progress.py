"""progress.dashboard() on the hand-computed dataset of tests/program/helpers.py: every figure,
every status, the whole programme, and the number of queries."""

from __future__ import annotations

import importlib.util
from datetime import date

import pytest
from sqlalchemy import event

from marketplace.extensions import db
from marketplace.program import progress
from marketplace.program.models import ProgramTarget, TargetMetric
from tests.program.helpers import EXPECTED, M, build_programme

T = TargetMetric
AFTER = date(2026, 3, 1)  # the programme is over


@pytest.fixture
def programme(app):
    return build_programme()


def figures(board) -> dict:
    return {m.metric: {key: (cell.actual, cell.target) for key, cell in m.cells.items()} for m in board.metrics}


def statuses(board) -> dict:
    return {m.metric: {key: cell.status for key, cell in m.cells.items()} for m in board.metrics}


def test_every_figure_per_year_and_for_the_whole_programme(programme):
    board = progress.dashboard(today=AFTER)

    assert board.years == [2023, 2024, 2025]
    assert figures(board) == EXPECTED


def test_statuses_once_the_programme_is_over(programme):
    board = progress.dashboard(today=AFTER)

    assert statuses(board) == {
        T.TRAINING_CLASSES: {2023: "met", 2024: "not_met", 2025: "met", None: "met"},
        T.NEW_YOUTH_COOPERATIVES: {2023: "no_target", 2024: "no_target", 2025: "no_target", None: "not_met"},
        T.PROMOTION_ACTIVITIES: {2023: "met", 2024: "not_met", 2025: "met", None: "not_met"},
        T.COOPERATIVES_REACHED: {2023: "met", 2024: "not_met", 2025: "not_met", None: "met"},
        T.SALES_VND: {2023: "met", 2024: "not_met", 2025: "met", None: "not_met"},
    }
    assert board.counts() == {"met": 9, "not_met": 8}


def test_statuses_in_the_middle_of_2024(programme):
    # 30 June 2024: day 182 of 366. 2024 activities 2 of 4 (pace 1.99): on track; cooperatives 1 of 2
    # (pace 0.99): on track; sales 40M of 50M (pace 24.9M): on track; training 0 of 1: behind.
    # 2025 cells not met are not yet due; whole programme (day 547 of 1,096): new cooperatives
    # 3 of 6 (pace 2.99): on track; activities 5 of 7: on track; sales 990M of 1,000M: on track.
    board = progress.dashboard(today=date(2024, 6, 30))

    assert statuses(board) == {
        T.TRAINING_CLASSES: {2023: "met", 2024: "behind", 2025: "met", None: "met"},
        T.NEW_YOUTH_COOPERATIVES: {2023: "no_target", 2024: "no_target", 2025: "no_target", None: "on_track"},
        T.PROMOTION_ACTIVITIES: {2023: "met", 2024: "on_track", 2025: "met", None: "on_track"},
        T.COOPERATIVES_REACHED: {2023: "met", 2024: "on_track", 2025: "not_yet_due", None: "met"},
        T.SALES_VND: {2023: "met", 2024: "on_track", 2025: "met", None: "on_track"},
    }


def test_pace_from_the_first_day_of_a_period(app):
    assert progress.status_of(0, 3, 2025, date(2024, 12, 31)) == "not_yet_due"
    assert progress.status_of(0, 3, 2025, date(2025, 1, 1)) == "behind"  # needs 3 x 1/365 already
    assert progress.status_of(1, 3, 2025, date(2025, 1, 1)) == "on_track"
    assert progress.status_of(1, 3, 2025, date(2025, 7, 1)) == "behind"  # day 182: needs 1.5
    assert progress.status_of(2, 3, 2025, date(2025, 7, 1)) == "on_track"
    assert progress.status_of(2, 3, 2025, date(2026, 1, 1)) == "not_met"  # over: not met, not "behind"
    assert progress.status_of(2, 3, 2025, date(2025, 12, 31)) == "behind"  # its last day: still under way
    assert progress.status_of(3, 3, 2025, date(2024, 1, 1)) == "met"  # met before it started
    assert progress.status_of(5, None, 2025, date(2025, 7, 1)) == "no_target"


def test_one_year_only(programme):
    board = progress.dashboard(year=2024, today=AFTER)

    assert board.years == [2024]
    assert figures(board) == {metric: {2024: cells[2024]} for metric, cells in EXPECTED.items()}
    with pytest.raises(ValueError):
        progress.dashboard(year=2022)


def test_whole_programme_targets_without_an_explicit_one(programme):
    db.session.query(ProgramTarget).filter(ProgramTarget.year.is_(None)).delete()
    db.session.flush()

    board = progress.dashboard(today=AFTER)

    whole = {m.metric: m.cells[None].target for m in board.metrics}
    assert whole == {
        T.TRAINING_CLASSES: 3,  # 1 + 1 + 1
        T.NEW_YOUTH_COOPERATIVES: None,  # no target at all
        T.PROMOTION_ACTIVITIES: 7,  # 2 + 4 + 1
        T.COOPERATIVES_REACHED: 3,  # the largest yearly target, not the sum
        T.SALES_VND: 950 * M,  # 300M + 50M + 600M
    }
    assert board.metric(T.NEW_YOUTH_COOPERATIVES).cells[None].status == "no_target"


def test_a_target_of_zero_is_met_and_shows_a_full_bar(app):
    cell = progress.Cell(actual=0, target=0, status=progress.status_of(0, 0, 2024, AFTER))
    assert (cell.status, cell.percent) == ("met", 100)
    assert progress.Cell(actual=3, target=4, status="behind").percent == 75
    assert progress.Cell(actual=9, target=4, status="met").percent == 100


def test_measured_sales_beside_the_reported_ones(programme):
    board = progress.dashboard(today=AFTER)

    sales = board.metric(T.SALES_VND)
    if importlib.util.find_spec("marketplace.promotion.reports") is None:
        assert not board.measured_available and sales.cells[2023].measured is None
    else:
        # Nothing is linked to a fair or a tracking link here: nothing measured.
        assert board.measured_available
        assert {key: cell.measured for key, cell in sales.cells.items()} == {2023: 0, 2024: 0, 2025: 0, None: 0}
    assert all(m.cells[2023].measured is None for m in board.metrics if m.metric != T.SALES_VND)


def test_the_number_of_queries_does_not_grow_with_the_records(app):
    def count_queries() -> int:
        statements = []

        def before(*_args):
            statements.append(1)

        event.listen(db.engine, "before_cursor_execute", before)
        try:
            progress.dashboard(today=AFTER)
        finally:
            event.remove(db.engine, "before_cursor_execute", before)
        return len(statements)

    build_programme()
    small = count_queries()
    build_programme(targets=False, copy="-2")  # twice the records of every kind
    assert count_queries() == small


def test_sales_measured_through_an_activitys_tracking_link_show_beside_the_reported(programme):
    from tests import factories

    activity = programme.activities["A4"]  # approved, 2024, cooperative c1
    activity.tracking_code = "dash2024"
    product = factories.product(programme.cooperatives[0], price_vnd=120_000, stock=10)
    order = factories.order([(product, 2)])
    order.source_activity_id = activity.id
    db.session.flush()

    board = progress.dashboard(today=AFTER)

    sales = board.metric(T.SALES_VND).cells
    assert {key: cell.measured for key, cell in sales.items()} == {2023: 0, 2024: 240_000, 2025: 0, None: 240_000}
    assert (sales[2024].actual, sales[2024].status) == (40 * M, "not_met")  # the target counts what was reported
