"""Training classes (commitment 2) and new cooperatives founded with the programme's support
(commitment 3): create, change, delete, and the history of every change.

Agency staff and admins record them. A record is owned by the recording agency (the agency of
the staff member who created it): its staff and admins may change or delete it; everyone else
at the agencies only reads it. A record without an owner (its creator had no agency, or was
unknown when ownership was introduced) is changed by admins only.
Every creation, change and deletion adds lines to program_record_changes; a deletion keeps the
record's last state there, so the trace remains after the row is gone.

Plain functions: they validate, change rows, flush, and raise Refused naming the field. They never
commit; the request does, once, after the view (core.transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Agency, User
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.program.models import ProgramRecordChange, RecordKind, SupportedCooperative, TrainingClass

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


# The fields a history line may name, in the order pages show them.
FIELD_LABELS = {
    "held_on": _l("Date held"),
    "title": _l("Title"),
    "name": _l("Cooperative name"),
    "founded_on": _l("Date founded"),
    "is_youth": _l("Youth cooperative"),
    "cooperative": _l("On this platform as"),
    "agency": _l("Agency"),
    "organiser": _l("Organiser"),
    "participants": _l("Participants"),
    "province_code": _l("Province or city"),
    "ward_code": _l("Ward or commune"),
    "street": _l("Venue or street"),
    "notes": _l("Notes"),
    "owner_agency": _l("Recording agency"),
}
TRAINING_FIELDS = (
    "held_on",
    "title",
    "agency",
    "organiser",
    "participants",
    "province_code",
    "ward_code",
    "street",
    "notes",
)
SUPPORTED_FIELDS = (
    "name",
    "founded_on",
    "is_youth",
    "cooperative",
    "agency",
    "province_code",
    "ward_code",
    "street",
    "notes",
)

Record = TrainingClass | SupportedCooperative


def _require_staff(user: User) -> None:
    if not user.is_agency_staff:
        raise Refused(_("Only agency staff record the programme's work."))


# --- who may change a record ---------------------------------------------------------------


def can_change(user: User, record: Record) -> bool:
    """May edit or delete `record`: an admin, or staff of the agency that recorded it."""
    if not user.is_authenticated or not user.is_agency_staff:
        return False
    if user.is_admin:
        return True
    return record.owner_agency_id is not None and user.agency_id == record.owner_agency_id


def _require_owner(record: Record, user: User) -> None:
    _require_staff(user)
    if not can_change(user, record):
        raise Refused(_("Only staff of the agency that recorded it, or an admin, can change this record."))


def reassign_owner(record: Record, agency: Agency | None, user: User) -> bool:
    """Admins only: give `record` to another recording agency (None: to no agency, so that only
    admins change it). One history line, "owner_agency" before and after. False when it already
    belongs there (nothing recorded). Flushes."""
    if not user.is_authenticated or not user.is_admin:
        raise Refused(_("Only admins can change which agency a record belongs to."), field="owner_agency_id")
    new_id = agency.id if agency is not None else None
    if record.owner_agency_id == new_id:
        return False
    before = record.owner_agency.name if record.owner_agency is not None else ""
    record.owner_agency_id, record.owner_agency = new_id, agency
    _log(record, user, utcnow(), "updated", "owner_agency", before, agency.name if agency is not None else "")
    db.session.flush()
    return True


# --- history -------------------------------------------------------------------------------


def shown_value(name: str, value) -> str:
    """A field's value as the history stores it: readable, stable text."""
    if value is None:
        return ""
    if name in ("held_on", "founded_on"):
        return value.isoformat()
    if name == "is_youth":
        return "yes" if value else "no"
    if name == "province_code":
        return geo.province_name(value)
    if name == "ward_code":
        return geo.ward_name(value)
    if name in ("agency", "owner_agency", "cooperative"):
        return value.name
    return str(value)


def _kind(record: Record) -> RecordKind:
    return RecordKind.TRAINING if isinstance(record, TrainingClass) else RecordKind.SUPPORTED


def _fields(record: Record) -> tuple[str, ...]:
    return TRAINING_FIELDS if isinstance(record, TrainingClass) else SUPPORTED_FIELDS


def snapshot(record: Record) -> dict[str, str]:
    """The record's fields as the history shows them, in page order."""
    return {name: shown_value(name, getattr(record, name)) for name in _fields(record)}


def record_name(record: Record) -> str:
    return record.title if isinstance(record, TrainingClass) else record.name


def _log(
    record: Record, user: User, when: datetime, action: str, field_name: str = "", old: str = "", new: str = ""
) -> None:
    """One history line; the lines of one change share `when` (pages list them in field order)."""
    db.session.add(
        ProgramRecordChange(
            record_kind=_kind(record),
            record_id=record.id,
            record_name=record_name(record),
            owner_agency_id=record.owner_agency_id,
            action=action,
            field=field_name,
            old_value=old,
            new_value=new,
            changed_by_id=user.id,
            changed_at=when,
        )
    )


def _created(record: Record, user: User) -> None:
    db.session.flush()  # the record's id
    _log(record, user, utcnow(), "created")
    db.session.flush()


def _update(record: Record, values: dict, user: User) -> list[str]:
    """Set `values`; one history line per changed field. Returns the changed fields' names."""
    before = snapshot(record)
    for name, value in values.items():
        setattr(record, name, value)
    after = snapshot(record)
    changed = [name for name in before if before[name] != after[name]]
    when = utcnow()
    for name in changed:
        _log(record, user, when, "updated", name, before[name], after[name])
    db.session.flush()
    return changed


def _delete(record: Record, user: User) -> None:
    """Delete, keeping the last state in the history: one line per field that had a value."""
    last = snapshot(record)
    if record.owner_agency is not None:
        last["owner_agency"] = record.owner_agency.name
    lines = [(name, value) for name, value in last.items() if value] or [("", "")]
    when = utcnow()
    for name, value in lines:
        _log(record, user, when, "deleted", name, value, "")
    db.session.delete(record)
    db.session.flush()


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
    """A new class, owned by the recording user's agency. Flushes."""
    _require_staff(user)
    training = TrainingClass(
        created_by_id=user.id, created_at=utcnow(), owner_agency_id=user.agency_id, **_check_training(data)
    )
    db.session.add(training)
    _created(training, user)
    return training


def update_training(training: TrainingClass, data: TrainingInput, user: User) -> list[str]:
    """Change a class (its agency's staff or an admin); returns the changed fields. Flushes."""
    _require_owner(training, user)
    return _update(training, _check_training(data), user)


def delete_training(training: TrainingClass, user: User) -> None:
    _require_owner(training, user)
    _delete(training, user)


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
    """A new record, owned by the recording user's agency. Flushes."""
    _require_staff(user)
    supported = SupportedCooperative(
        created_by_id=user.id, created_at=utcnow(), owner_agency_id=user.agency_id, **_check_supported(data, None)
    )
    db.session.add(supported)
    _created(supported, user)
    return supported


def update_supported(supported: SupportedCooperative, data: SupportedInput, user: User) -> list[str]:
    """Change a record (its agency's staff or an admin); returns the changed fields. Flushes."""
    _require_owner(supported, user)
    return _update(supported, _check_supported(data, supported), user)


def delete_supported(supported: SupportedCooperative, user: User) -> None:
    _require_owner(supported, user)
    _delete(supported, user)
