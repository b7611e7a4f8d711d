"""A hand-computed programme dataset: the figures every dashboard cell must show.

Activities (only approved ones, by start date, count):
  2023: A1 approved 2023-03-01 {c1, c2} 100M; A2 approved 2023-11-20 {c2, c3} 250M;
        A3 submitted 2023-06-01 {c4} 999M (not counted)
  2024: A4 approved 2024-02-10 {c1} 40M; A5 approved 2024-12-31 {} 0
  2025: A6 approved 2025-01-01 {c4, c1} 600M; A7 returned 2025-05-05 {c2} 50M (not counted)
  outside: A8 approved 2022-12-31 {c3} 70M; A9 approved 2026-01-01 {c2} 10M
Training: 2022-12-31 (outside), 2023-05-10, 2025-01-15, 2025-12-31
Supported: youth 2022-06-06 (outside), youth 2023-04-01, youth 2024-07-07, NOT youth 2024-08-08,
  youth 2025-02-02
Targets (explicit):
  training 1/1/1 per year; new youth cooperatives 6 for the whole programme;
  activities 2/4/1; cooperatives 3/2/3; sales 300M/50M/600M and 1,000M for the whole programme.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from marketplace.accounts.models import AgencyKind
from marketplace.extensions import db
from marketplace.program.models import (
    ProgramTarget,
    SupportedCooperative,
    TargetMetric,
    TrainingClass,
)
from marketplace.program.targets import COMMITMENT
from marketplace.promotion.models import ActivityStatus, ActivityType, PromotionActivity
from tests import factories as make

M = 1_000_000
T = TargetMetric

TARGETS = {
    (T.TRAINING_CLASSES, 2023): 1,
    (T.TRAINING_CLASSES, 2024): 1,
    (T.TRAINING_CLASSES, 2025): 1,
    (T.NEW_YOUTH_COOPERATIVES, None): 6,
    (T.PROMOTION_ACTIVITIES, 2023): 2,
    (T.PROMOTION_ACTIVITIES, 2024): 4,
    (T.PROMOTION_ACTIVITIES, 2025): 1,
    (T.COOPERATIVES_REACHED, 2023): 3,
    (T.COOPERATIVES_REACHED, 2024): 2,
    (T.COOPERATIVES_REACHED, 2025): 3,
    (T.SALES_VND, 2023): 300 * M,
    (T.SALES_VND, 2024): 50 * M,
    (T.SALES_VND, 2025): 600 * M,
    (T.SALES_VND, None): 1_000 * M,
}

# (actual, target) per metric and year (None: whole programme), computed by hand from the above.
EXPECTED = {
    T.TRAINING_CLASSES: {2023: (1, 1), 2024: (0, 1), 2025: (2, 1), None: (3, 3)},
    T.NEW_YOUTH_COOPERATIVES: {2023: (1, None), 2024: (1, None), 2025: (1, None), None: (3, 6)},
    T.PROMOTION_ACTIVITIES: {2023: (2, 2), 2024: (2, 4), 2025: (1, 1), None: (5, 7)},
    T.COOPERATIVES_REACHED: {2023: (3, 3), 2024: (1, 2), 2025: (2, 3), None: (4, 3)},
    T.SALES_VND: {
        2023: (350 * M, 300 * M),
        2024: (40 * M, 50 * M),
        2025: (600 * M, 600 * M),
        None: (990 * M, 1_000 * M),
    },
}


@dataclass
class Programme:
    youth_union: object
    alliance: object
    staff: object
    admin: object
    customer: object
    manager: object
    cooperatives: list
    activities: dict


def activity(title, start, status, cooperatives, sales, agency):
    row = PromotionActivity(
        type=ActivityType.CONFERENCE,
        title=title,
        status=status,
        start_date=start,
        end_date=start,
        sales_vnd=sales,
        agencies=[agency],
        cooperatives=list(cooperatives),
    )
    db.session.add(row)
    return row


def build_programme(*, targets: bool = True, copy: str = "") -> Programme | None:
    """The dataset; `copy` names a second copy of its records (without targets, no people)."""
    youth_union = make.agency("Tỉnh đoàn Bắc Ninh" + copy, AgencyKind.YOUTH_UNION)
    alliance = make.agency("Liên minh HTX tỉnh Bắc Ninh" + copy, AgencyKind.COOPERATIVE_ALLIANCE)
    c1, c2, c3, c4 = (
        make.cooperative(f"HTX Thanh niên {name}{copy}", slug=f"htx-{slug}{copy}")
        for name, slug in (("Một", "mot"), ("Hai", "hai"), ("Ba", "ba"), ("Bốn", "bon"))
    )
    ok, sub, ret = ActivityStatus.APPROVED, ActivityStatus.SUBMITTED, ActivityStatus.RETURNED
    activities = {
        "A1": activity("A1", date(2023, 3, 1), ok, [c1, c2], 100 * M, youth_union),
        "A2": activity("A2", date(2023, 11, 20), ok, [c2, c3], 250 * M, alliance),
        "A3": activity("A3", date(2023, 6, 1), sub, [c4], 999 * M, youth_union),
        "A4": activity("A4", date(2024, 2, 10), ok, [c1], 40 * M, youth_union),
        "A5": activity("A5", date(2024, 12, 31), ok, [], 0, alliance),
        "A6": activity("A6", date(2025, 1, 1), ok, [c4, c1], 600 * M, alliance),
        "A7": activity("A7", date(2025, 5, 5), ret, [c2], 50 * M, youth_union),
        "A8": activity("A8", date(2022, 12, 31), ok, [c3], 70 * M, youth_union),
        "A9": activity("A9", date(2026, 1, 1), ok, [c2], 10 * M, youth_union),
    }
    for day in (date(2022, 12, 31), date(2023, 5, 10), date(2025, 1, 15), date(2025, 12, 31)):
        db.session.add(
            TrainingClass(
                held_on=day,
                title=f"Lớp tập huấn {day.isoformat()}",
                organiser="Ban Thanh niên",
                participants=30,
                agency=youth_union,
            )
        )
    for n, (day, youth) in enumerate(
        (
            (date(2022, 6, 6), True),
            (date(2023, 4, 1), True),
            (date(2024, 7, 7), True),
            (date(2024, 8, 8), False),
            (date(2025, 2, 2), True),
        )
    ):
        db.session.add(SupportedCooperative(name=f"HTX mới số {n}", founded_on=day, is_youth=youth, agency=alliance))
    if targets:
        for (metric, year), value in TARGETS.items():
            db.session.add(ProgramTarget(commitment=COMMITMENT[metric], metric=metric, year=year, value=value))
    db.session.flush()
    if copy:
        return None
    staff = make.staff(youth_union, email="doan@example.vn", full_name="Nguyễn Thị Cán Bộ")
    return Programme(
        youth_union=youth_union,
        alliance=alliance,
        staff=staff,
        admin=make.admin(email="admin@example.vn"),
        customer=make.user(email="khach@example.vn"),
        manager=make.manager(c1, email="quanly@example.vn"),
        cooperatives=[c1, c2, c3, c4],
        activities=activities,
    )
