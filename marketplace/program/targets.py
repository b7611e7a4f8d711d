"""The programme's targets: defaults from the coordination programme, kept as data an admin edits.

`ensure_default_targets()` inserts the defaults that are missing (by metric and year) and never
touches a row that exists, so an admin's edit always wins. The demo calls it, and the dashboard
and the admin page call it lazily so a fresh installation has targets to show.

Plain functions: they validate, change rows, flush, and raise Refused naming the field; they never commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from marketplace.accounts.models import User
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.program.models import PROGRAM_YEARS, ProgramTarget, TargetMetric


def N_(text: str) -> str:
    """Marks a default description for translation (pybabel extracts N_) while the row keeps the
    English text: description_text shows it in the reader's language, whatever language the
    installation first ran in."""
    return text


MAX_DESCRIPTION = 300
MAX_COUNT = 1_000_000
MAX_VND = 1_000_000_000_000_000

# The commitment each metric belongs to (a target row stores it too, for reports).
COMMITMENT = {
    TargetMetric.TRAINING_CLASSES: 2,
    TargetMetric.NEW_YOUTH_COOPERATIVES: 3,
    TargetMetric.PROMOTION_ACTIVITIES: 4,
    TargetMetric.COOPERATIVES_REACHED: 4,
    TargetMetric.SALES_VND: 4,
}

METRIC_LABELS = {
    TargetMetric.TRAINING_CLASSES: _l("Training classes for founders and cooperative staff"),
    TargetMetric.NEW_YOUTH_COOPERATIVES: _l("New youth cooperatives founded with the programme's support"),
    TargetMetric.PROMOTION_ACTIVITIES: _l("Approved promotion activities"),
    TargetMetric.COOPERATIVES_REACHED: _l("Cooperatives taking part in promotion activities"),
    TargetMetric.SALES_VND: _l("Sales reported by promotion activities (VND)"),
}

COMMITMENT_LABELS = {
    2: _l("Commitment 2: training founders and cooperative staff"),
    3: _l("Commitment 3: new youth cooperatives"),
    4: _l("Commitment 4: connecting, introducing, promoting and selling products"),
}

# Metrics whose yearly figures add up to the whole programme's (distinct cooperatives do not).
ADDITIVE = {
    TargetMetric.TRAINING_CLASSES,
    TargetMetric.NEW_YOUTH_COOPERATIVES,
    TargetMetric.PROMOTION_ACTIVITIES,
    TargetMetric.SALES_VND,
}


@dataclass(frozen=True)
class DefaultTarget:
    metric: TargetMetric
    year: int | None  # None: the whole programme
    value: int
    description: str

    @property
    def commitment(self) -> int:
        return COMMITMENT[self.metric]


def _defaults() -> list[DefaultTarget]:
    items = [
        DefaultTarget(
            TargetMetric.TRAINING_CLASSES,
            year,
            1,
            N_("At least one training class a year for cooperative founders and staff."),
        )
        for year in PROGRAM_YEARS
    ]
    items.append(
        DefaultTarget(
            TargetMetric.NEW_YOUTH_COOPERATIVES,
            None,
            6,
            N_("At least six new youth cooperatives founded with the programme's support by the end of 2025."),
        )
    )
    for year in PROGRAM_YEARS:
        items += [
            DefaultTarget(
                TargetMetric.PROMOTION_ACTIVITIES,
                year,
                4,
                N_("Four approved promotion activities a year (one a quarter)."),
            ),
            DefaultTarget(
                TargetMetric.COOPERATIVES_REACHED,
                year,
                10,
                N_("Ten different cooperatives taking part in the year's promotion activities."),
            ),
            DefaultTarget(
                TargetMetric.SALES_VND,
                year,
                500_000_000,
                N_("500,000,000 VND of direct sales reported by the year's approved activities."),
            ),
        ]
    return items


# The programme's defaults (commitments 2, 3 and 4). Commitment-4 figures are this platform's
# choice, documented in the README; admins change them at /admin/targets.
DEFAULT_TARGETS: list[DefaultTarget] = _defaults()


DEFAULT_DESCRIPTIONS = frozenset(item.description for item in DEFAULT_TARGETS)


def description_text(description: str | None) -> str:
    """A target's description as shown: a default one (stored in English) in the reader's language,
    an admin's own text as typed."""
    text = description or ""
    return _(text) if text in DEFAULT_DESCRIPTIONS else text


def stored_description(text: str, current: str | None) -> str:
    """What to store for an edited description: when the admin left the (translated) default as it
    was shown, keep the English original so it stays translated for every reader."""
    if current in DEFAULT_DESCRIPTIONS and text == description_text(current):
        return current
    return text


def ensure_default_targets() -> int:
    """Insert the default targets that are missing; returns how many. Flushes, never commits.
    A row for the same metric and year is left as it is (an admin may have changed it)."""
    existing = {(t.metric, t.year) for t in db.session.execute(select(ProgramTarget.metric, ProgramTarget.year))}
    missing = [d for d in DEFAULT_TARGETS if (d.metric, d.year) not in existing]
    if not missing:
        return 0
    try:
        with db.session.begin_nested():
            for item in missing:
                db.session.add(
                    ProgramTarget(
                        commitment=item.commitment,
                        metric=item.metric,
                        year=item.year,
                        value=item.value,
                        description=item.description,
                    )
                )
    except IntegrityError:
        # Another request inserted them at the same moment: theirs stand.
        return 0
    return len(missing)


def all_targets() -> list[ProgramTarget]:
    order = {metric: n for n, metric in enumerate(TargetMetric)}
    rows = list(db.session.scalars(select(ProgramTarget)))
    return sorted(rows, key=lambda t: (t.commitment, order[t.metric], t.year is None, t.year or 0))


def check_value(metric: TargetMetric, value) -> int:
    if value is None:
        raise Refused(_("Enter the target value."), field="value")
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refused(_("Enter a whole number."), field="value")
    if value < 0:
        raise Refused(_("This number cannot be negative."), field="value")
    if value > (MAX_VND if metric == TargetMetric.SALES_VND else MAX_COUNT):
        raise Refused(_("This number is too large."), field="value")
    return value


def _description(text: str | None) -> str:
    text = (text or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise Refused(
            _("The description is too long (at most %(max)s characters).", max=MAX_DESCRIPTION), field="description"
        )
    return text


def update_target(target: ProgramTarget, value, description: str | None, user: User) -> None:
    """An admin changes a target's value and description. Flushes."""
    if not user.is_admin:
        raise Refused(_("Only an admin can change the programme's targets."))
    value, description = (
        check_value(target.metric, value),
        stored_description(_description(description), target.description),
    )
    target.value = value
    target.description = description
    target.updated_by_id = user.id
    target.updated_at = utcnow()
    db.session.flush()


def create_target(metric, year: int | None, value, description: str | None, user: User) -> ProgramTarget:
    """An admin adds a target for a metric and year (None: the whole programme). Flushes."""
    if not user.is_admin:
        raise Refused(_("Only an admin can change the programme's targets."))
    try:
        metric = TargetMetric(metric.value if isinstance(metric, TargetMetric) else metric)
    except ValueError:
        raise Refused(_("Choose what the target counts."), field="metric") from None
    if year is not None and year not in PROGRAM_YEARS:
        raise Refused(_("Choose a year of the programme, or the whole programme."), field="year")
    clash = select(ProgramTarget.id).where(ProgramTarget.metric == metric)
    clash = clash.where(ProgramTarget.year.is_(None) if year is None else ProgramTarget.year == year)
    if db.session.scalar(clash) is not None:
        raise Refused(_("This target already exists for that year: change it instead."), field="year")
    target = ProgramTarget(
        commitment=COMMITMENT[metric],
        metric=metric,
        year=year,
        value=check_value(metric, value),
        description=_description(description),
        updated_by_id=user.id,
        updated_at=utcnow(),
    )
    db.session.add(target)
    db.session.flush()
    return target
