"""Training classes (commitment 2) and new cooperatives founded with the programme's support
(commitment 3): create, change, delete.

Agency staff and admins record them; the records are the programme's, shared by both agencies.
Plain functions: they validate, change rows, flush, and raise Refused naming the field. They never
commit; the request does, once, after the view (core.transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from marketplace.accounts.models import Agency, User
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.program.models import SupportedCooperative, TrainingClass

MAX_TEXT = 200
MAX_NOTES = 10_000
MAX_PARTICIPANTS = 100_000
# Dates outside this window are typos (2203 for 2023); a class may be planned up to a year ahead.
EARLIEST = date(2000, 1, 1)
PLANNING_DAYS = 366


def today() -> date:
    return utcnow().date()


@dataclass
class TrainingInput:
    held_on: date | None
    title: str
    organiser: str = ""
    agency: Agency | None = None
    participants: int | None = 0
    province_code: int | None = None
    ward_code: int | None = None
    street: str = ""
    notes: str = ""


@dataclass
class SupportedInput:
    name: str
    founded_on: date | None
    is_youth: bool = True
    cooperative: Cooperative | None = None
    agency: Agency | None = None
    province_code: int | None = None
    ward_code: int | None = None
    street: str = ""
    notes: str = ""


def _require_staff(user: User) -> None:
    if not user.is_agency_staff:
        raise Refused(_("Only agency staff record the programme's work."))


def _text(value: str | None, field: str, *, required_message: str | None = None, limit: int = MAX_TEXT) -> str:
    text = (value or "").strip()
    if required_message and not text:
        raise Refused(required_message, field=field)
    if len(text) > limit:
        raise Refused(_("This is too long (at most %(max)s characters).", max=limit), field=field)
    return text


def _day(value: date | None, field: str, *, latest: date, missing: str) -> date:
    if value is None:
        raise Refused(missing, field=field)
    if value < EARLIEST or value > latest:
        raise Refused(
            _(
                "Enter a date between %(first)s and %(last)s.",
                first=EARLIEST.strftime("%d/%m/%Y"),
                last=latest.strftime("%d/%m/%Y"),
            ),
            field=field,
        )
    return value


# --- training classes ----------------------------------------------------------------------


def _check_training(data: TrainingInput) -> dict:
    held_on = _day(
        data.held_on,
        "held_on",
        latest=today() + timedelta(days=PLANNING_DAYS),
        missing=_("Enter the day the class was held."),
    )
    title = _text(data.title, "title", required_message=_("Enter the class's title."))
    participants = 0 if data.participants is None else data.participants
    if isinstance(participants, bool) or not isinstance(participants, int):
        raise Refused(_("Enter a whole number."), field="participants")
    if participants < 0:
        raise Refused(_("This number cannot be negative."), field="participants")
    if participants > MAX_PARTICIPANTS:
        raise Refused(_("This number is too large."), field="participants")
    province, ward = geo.check_place(data.province_code, data.ward_code)
    return {
        "held_on": held_on,
        "title": title,
        "organiser": _text(data.organiser, "organiser"),
        "agency": data.agency,
        "participants": participants,
        "province_code": province,
        "ward_code": ward,
        "street": _text(data.street, "street"),
        "notes": _text(data.notes, "notes", limit=MAX_NOTES),
    }


def create_training(data: TrainingInput, user: User) -> TrainingClass:
    _require_staff(user)
    training = TrainingClass(created_by_id=user.id, created_at=utcnow(), **_check_training(data))
    db.session.add(training)
    db.session.flush()
    return training


def update_training(training: TrainingClass, data: TrainingInput, user: User) -> None:
    _require_staff(user)
    for name, value in _check_training(data).items():
        setattr(training, name, value)
    db.session.flush()


def delete_training(training: TrainingClass, user: User) -> None:
    _require_staff(user)
    db.session.delete(training)
    db.session.flush()


# --- supported new cooperatives ------------------------------------------------------------


def _check_supported(data: SupportedInput, current: SupportedCooperative | None) -> dict:
    name = _text(data.name, "name", required_message=_("Enter the cooperative's name."))
    founded_on = _day(data.founded_on, "founded_on", latest=today(), missing=_("Enter the day it was founded."))
    if data.cooperative is not None:
        taken = db.session.scalar(
            select(SupportedCooperative.id).where(SupportedCooperative.cooperative_id == data.cooperative.id)
        )
        if taken is not None and (current is None or taken != current.id):
            raise Refused(
                _("%(name)s is already recorded as a supported cooperative.", name=data.cooperative.name),
                field="cooperative_id",
            )
    province, ward = geo.check_place(data.province_code, data.ward_code)
    return {
        "name": name,
        "founded_on": founded_on,
        "is_youth": bool(data.is_youth),
        "cooperative": data.cooperative,
        "agency": data.agency,
        "province_code": province,
        "ward_code": ward,
        "street": _text(data.street, "street"),
        "notes": _text(data.notes, "notes", limit=MAX_NOTES),
    }


def create_supported(data: SupportedInput, user: User) -> SupportedCooperative:
    _require_staff(user)
    supported = SupportedCooperative(created_by_id=user.id, created_at=utcnow(), **_check_supported(data, None))
    db.session.add(supported)
    db.session.flush()
    return supported


def update_supported(supported: SupportedCooperative, data: SupportedInput, user: User) -> None:
    _require_staff(user)
    for name, value in _check_supported(data, supported).items():
        setattr(supported, name, value)
    db.session.flush()


def delete_supported(supported: SupportedCooperative, user: User) -> None:
    _require_staff(user)
    db.session.delete(supported)
    db.session.flush()
