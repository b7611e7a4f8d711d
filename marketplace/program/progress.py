"""Progress against the programme's targets: what was done, per year and for the whole programme.

What counts (only what is recorded here, so every number drills down to its records):
- training classes: classes held in the year (commitment 2);
- new youth cooperatives: supported cooperatives marked youth, founded in the year; the whole
  programme counts those founded from 1 January 2023 to 31 December 2025 (commitment 3);
- promotion activities: APPROVED activities whose start date is in the year (commitment 4);
- cooperatives taking part: distinct cooperatives of those activities (over the whole programme,
  a cooperative taking part in several years counts once);
- sales: direct sales reported by those activities. The platform's measured sales of the same
  activities are shown beside them when the report service (marketplace.promotion.reports) is
  installed; the target is checked against the reported figure.

A whole-programme target is the admin's explicit one (year empty) when there is one; otherwise the
sum of the yearly targets (for distinct cooperatives: the largest yearly target).

Status of a cell: met (actual >= target); not met (the period is over and the target was not
reached: a closed year is met or not met, never "behind"); not yet due (the period has not
started); behind (under way and the actual is below the pace target x elapsed share of the
period); on track (under way and at or above that pace); no target (nothing to compare with).

Six small aggregate queries (plus the report service's own), whatever the number of records.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import distinct, extract, func, select

from marketplace.extensions import db
from marketplace.program.models import (
    PROGRAM_YEARS,
    ProgramTarget,
    SupportedCooperative,
    TargetMetric,
    TrainingClass,
)
from marketplace.program.targets import (
    ADDITIVE,
    COMMITMENT,
    COMMITMENT_LABELS,
    METRIC_LABELS,
)
from marketplace.promotion.models import (
    ActivityStatus,
    PromotionActivity,
    promotion_cooperatives,
)

logger = logging.getLogger(__name__)

PROGRAM_START = date(PROGRAM_YEARS[0], 1, 1)
PROGRAM_END = date(PROGRAM_YEARS[-1], 12, 31)
WHOLE = None  # the key of the whole-programme cell
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

MET, ON_TRACK, BEHIND, NOT_YET_DUE, NO_TARGET = "met", "on_track", "behind", "not_yet_due", "no_target"
NOT_MET = "not_met"  # the period is over and the target was not reached
# Below the target while the period is under way or over: what a review lists as not (yet) achieved.
SHORT = frozenset({NOT_MET, BEHIND, ON_TRACK})


@dataclass
class Cell:
    """One metric over one period (a year, or the whole programme)."""

    actual: int
    target: int | None
    status: str
    measured: int | None = None  # sales measured by the platform (sales only, when available)

    @property
    def percent(self) -> int:
        """Share of the target reached, 0-100 (for the bar); 100 when the target is 0."""
        if self.target is None:
            return 0
        if self.target == 0:
            return 100
        return min(100, self.actual * 100 // self.target)


@dataclass
class MetricProgress:
    metric: TargetMetric
    commitment: int
    label: str
    cells: dict[int | None, Cell] = field(default_factory=dict)

    @property
    def is_money(self) -> bool:
        return self.metric == TargetMetric.SALES_VND


@dataclass
class Dashboard:
    years: list[int]
    metrics: list[MetricProgress]
    today: date
    measured_available: bool = False

    def commitments(self) -> list[tuple[int, str, list[MetricProgress]]]:
        groups: dict[int, list[MetricProgress]] = {}
        for item in self.metrics:
            groups.setdefault(item.commitment, []).append(item)
        return [(n, str(COMMITMENT_LABELS.get(n, n)), items) for n, items in sorted(groups.items())]

    def metric(self, metric: TargetMetric) -> MetricProgress:
        return next(m for m in self.metrics if m.metric == metric)

    def counts(self) -> dict[str, int]:
        """Statuses of every cell with a target, e.g. {"met": 9, "not_met": 1}."""
        result: dict[str, int] = {}
        for item in self.metrics:
            for cell in item.cells.values():
                if cell.status != NO_TARGET:
                    result[cell.status] = result.get(cell.status, 0) + 1
        return result


def today_in_vietnam() -> date:
    return datetime.now(UTC).astimezone(VIETNAM).date()


def _period(key: int | None) -> tuple[date, date]:
    return (PROGRAM_START, PROGRAM_END) if key is None else (date(key, 1, 1), date(key, 12, 31))


def status_of(actual: int, target: int | None, key: int | None, today: date) -> str:
    """Met / not met / on track / behind / not yet due / no target of one cell: the single rule
    behind the dashboard, the public summary and the review documents' "Đánh giá" column."""
    if target is None:
        return NO_TARGET
    if actual >= target:
        return MET
    start, end = _period(key)
    if today < start:
        return NOT_YET_DUE
    if today > end:
        return NOT_MET
    elapsed = (today - start).days + 1
    length = (end - start).days + 1
    # actual / target >= elapsed / length, in integers.
    return ON_TRACK if actual * length >= target * elapsed else BEHIND


def _by_year(rows) -> dict[int, tuple]:
    return {int(row[0]): tuple(int(v or 0) for v in row[1:]) for row in rows if row[0] is not None}


def _targets() -> dict[TargetMetric, dict[int | None, int]]:
    result: dict[TargetMetric, dict[int | None, int]] = {m: {} for m in TargetMetric}
    for metric, year, value in db.session.execute(
        select(ProgramTarget.metric, ProgramTarget.year, ProgramTarget.value)
    ):
        result[metric][year] = int(value)
    return result


def _whole_target(metric: TargetMetric, targets: dict[int | None, int]) -> int | None:
    if WHOLE in targets:
        return targets[WHOLE]
    yearly = [targets[y] for y in PROGRAM_YEARS if y in targets]
    if not yearly:
        return None
    return sum(yearly) if metric in ADDITIVE else max(yearly)


def _actuals() -> tuple[dict[TargetMetric, dict[int | None, int]], int]:
    """Every metric per programme year and for the whole programme; also the whole programme's
    distinct cooperatives (not the sum of the years')."""
    training_year = extract("year", TrainingClass.held_on)
    training = _by_year(
        db.session.execute(
            select(training_year, func.count(TrainingClass.id))
            .where(TrainingClass.held_on.between(PROGRAM_START, PROGRAM_END))
            .group_by(training_year)
        )
    )
    founded_year = extract("year", SupportedCooperative.founded_on)
    founded = _by_year(
        db.session.execute(
            select(founded_year, func.count(SupportedCooperative.id))
            .where(
                SupportedCooperative.is_youth.is_(True),
                SupportedCooperative.founded_on.between(PROGRAM_START, PROGRAM_END),
            )
            .group_by(founded_year)
        )
    )
    approved = (
        PromotionActivity.status == ActivityStatus.APPROVED,
        PromotionActivity.start_date.between(PROGRAM_START, PROGRAM_END),
    )
    start_year = extract("year", PromotionActivity.start_date)
    activities = _by_year(
        db.session.execute(
            select(
                start_year, func.count(PromotionActivity.id), func.coalesce(func.sum(PromotionActivity.sales_vnd), 0)
            )
            .where(*approved)
            .group_by(start_year)
        )
    )
    taking_part = (
        select(start_year, func.count(distinct(promotion_cooperatives.c.cooperative_id)))
        .select_from(PromotionActivity)
        .join(promotion_cooperatives, promotion_cooperatives.c.activity_id == PromotionActivity.id)
        .where(*approved)
    )
    reached = _by_year(db.session.execute(taking_part.group_by(start_year)))
    reached_whole = (
        db.session.scalar(taking_part.with_only_columns(func.count(distinct(promotion_cooperatives.c.cooperative_id))))
        or 0
    )

    def per_year(source: dict[int, tuple], index: int = 0) -> dict[int | None, int]:
        return {year: source.get(year, (0, 0))[index] for year in PROGRAM_YEARS}

    result = {
        TargetMetric.TRAINING_CLASSES: per_year(training),
        TargetMetric.NEW_YOUTH_COOPERATIVES: per_year(founded),
        TargetMetric.PROMOTION_ACTIVITIES: per_year(activities, 0),
        TargetMetric.COOPERATIVES_REACHED: per_year(reached),
        TargetMetric.SALES_VND: per_year(activities, 1),
    }
    return result, int(reached_whole)


def measured_sales() -> dict[int | None, int]:
    """The platform's measured sales of approved activities per programme year and in total,
    from the report service (its rules, not a copy of them)."""
    from marketplace.promotion.reports import ReportQuery, promotion_report

    report = promotion_report(
        ReportQuery(date_from=PROGRAM_START, date_to=PROGRAM_END, group_by="year"), previous_year=False
    )
    result: dict[int | None, int] = {year: 0 for year in PROGRAM_YEARS}
    for group in report.groups:
        try:
            year = int(group.key)
        except (TypeError, ValueError):
            continue
        if year in result:
            result[year] = int(group.figures.sales_measured_vnd)
    result[WHOLE] = int(report.totals.sales_measured_vnd)
    return result


def dashboard(year: int | None = None, today: date | None = None) -> Dashboard:
    """Progress for every metric: each programme year and the whole programme, or only `year`."""
    if year is not None and year not in PROGRAM_YEARS:
        raise ValueError(f"{year} is not a programme year")
    today = today or today_in_vietnam()
    targets = _targets()
    actuals, reached_whole = _actuals()
    measured = measured_sales()
    keys: list[int | None] = [year] if year is not None else [*PROGRAM_YEARS, WHOLE]
    metrics = []
    for metric in TargetMetric:
        item = MetricProgress(metric=metric, commitment=COMMITMENT[metric], label=str(METRIC_LABELS[metric]))
        for key in keys:
            if key is WHOLE:
                actual = reached_whole if metric == TargetMetric.COOPERATIVES_REACHED else sum(actuals[metric].values())
                target = _whole_target(metric, targets[metric])
            else:
                actual = actuals[metric][key]
                target = targets[metric].get(key)
            cell = Cell(actual=actual, target=target, status=status_of(actual, target, key, today))
            if metric == TargetMetric.SALES_VND and measured is not None:
                cell.measured = measured.get(key, 0)
            item.cells[key] = cell
        metrics.append(item)
    return Dashboard(
        years=[k for k in keys if k is not None], metrics=metrics, today=today, measured_available=measured is not None
    )
