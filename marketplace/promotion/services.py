"""Promotion activities: create, edit, submit, approve or return; the edit history.

Plain functions: they validate, change rows, flush, and raise Refused naming the field.
They never commit; the view (or the import command) does, once per request.

Who may do what:
- edit and submit: admins, the creator, and staff of an organising agency, while the
  activity is a draft or was returned;
- approve and return: see approval_rule() — an admin always; never the person who
  recorded it or made its latest change; for one organising agency, staff of an agency that
  neither organised it nor employs its creator (the "other agency" checks the report); for a
  joint activity, staff of an agency other than the one whose member made its latest change
  (so the other organising agency checks what its partner wrote).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from marketplace.accounts.models import Agency, User
from marketplace.catalog.models import Product
from marketplace.cooperatives.models import Cooperative
from marketplace.core import geo
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Fair
from marketplace.promotion.models import (
    RESULT_FIELDS,
    ActivityChange,
    ActivityStatus,
    ActivityType,
    PromotionActivity,
)

MAX_TITLE = 200
MAX_UNIT = 200
MAX_NOTES = 10_000
MAX_COMMENT = 5_000
# Upper bounds catch typos (an extra zero or three) and keep values inside the columns.
MAX_COUNT = 100_000_000
MAX_VND = 1_000_000_000_000_000

TYPE_LABELS = {
    ActivityType.CONFERENCE: _l("Trade-promotion conference"),
    ActivityType.FAIR: _l("Fair or exhibition participation"),
    ActivityType.ECOMMERCE: _l("E-commerce onboarding or listing support"),
    ActivityType.LIVESTREAM: _l("Livestream sale"),
    ActivityType.MEDIA: _l("Product introduction or media campaign"),
    ActivityType.OTHER: _l("Other"),
}

STATUS_LABELS = {
    ActivityStatus.DRAFT: _l("Draft"),
    ActivityStatus.SUBMITTED: _l("Submitted"),
    ActivityStatus.APPROVED: _l("Approved"),
    ActivityStatus.RETURNED: _l("Returned"),
}

FIELD_LABELS = {
    "type": _l("Type"),
    "title": _l("Title"),
    "start_date": _l("Start date"),
    "end_date": _l("End date"),
    "province_code": _l("Province or city"),
    "ward_code": _l("Ward or commune"),
    "agencies": _l("Organising agencies"),
    "organising_unit": _l("Organising unit"),
    "fair": _l("Linked fair"),
    "cooperatives": _l("Participating cooperatives"),
    "products": _l("Products introduced"),
    "budget_vnd": _l("Budget (VND)"),
    "visitors": _l("Visitors"),
    "business_contacts": _l("Business contacts"),
    "contracts_count": _l("Contracts or MoUs signed"),
    "contracts_value_vnd": _l("Value of contracts (VND)"),
    "sales_vnd": _l("Direct sales (VND)"),
    "media_items": _l("Media items"),
    "notes": _l("Notes"),
    "status": _l("Status"),
    "evidence": _l("Evidence"),
}

NUMBER_FIELDS = ("budget_vnd", *RESULT_FIELDS)
_MONEY_FIELDS = {"budget_vnd", "contracts_value_vnd", "sales_vnd"}


@dataclass
class ActivityInput:
    """Everything a person enters for an activity; the service checks it all."""

    type: ActivityType | str | None
    title: str
    start_date: date | None
    end_date: date | None
    agencies: list[Agency] = field(default_factory=list)
    province_code: int | None = None
    ward_code: int | None = None
    organising_unit: str = ""
    fair: Fair | None = None
    cooperatives: list[Cooperative] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    budget_vnd: int | None = 0
    visitors: int | None = 0
    business_contacts: int | None = 0
    contracts_count: int | None = 0
    contracts_value_vnd: int | None = 0
    sales_vnd: int | None = 0
    media_items: int | None = 0
    notes: str = ""


# --- who may do what ---------------------------------------------------------------------


def _organiser_ids(activity: PromotionActivity) -> set[int]:
    return {a.id for a in activity.agencies}


def can_edit(user: User, activity: PromotionActivity) -> bool:
    """May change this activity's content (only while it is a draft or returned)."""
    if not user.is_agency_staff or not activity.is_editable:
        return False
    return can_work_on(user, activity)


def can_work_on(user: User, activity: PromotionActivity) -> bool:
    """Is on the organising side: admin, creator, or staff of an organising agency."""
    if user.is_admin:
        return True
    if not user.is_agency_staff:
        return False
    return activity.created_by_id == user.id or (
        user.agency_id is not None and user.agency_id in _organiser_ids(activity)
    )


# Changes to what an activity says (its fields and its evidence), not to its status.
CONTENT_ACTIONS = ("created", "imported", "updated", "evidence_added", "evidence_removed")


class Verdict(NamedTuple):
    allowed: bool
    reason: str = ""


def last_editor(activity: PromotionActivity) -> User | None:
    """The person who made the latest change to the activity's content (fields or evidence)."""
    for change in reversed(activity.changes):
        if change.action in CONTENT_ACTIONS and change.changed_by_id is not None:
            return db.session.get(User, change.changed_by_id)
    return activity.created_by


def is_joint(activity: PromotionActivity) -> bool:
    return len(activity.agencies) > 1


def _writing_agency_id(activity: PromotionActivity) -> int | None:
    """For a joint activity, the agency whose member made its latest change (else its creator's)."""
    for person in (last_editor(activity), activity.created_by):
        if person is not None and person.agency_id is not None:
            return person.agency_id
    return None


def _excluded_agency_ids(activity: PromotionActivity) -> set[int]:
    """The agencies whose staff may not approve this activity."""
    if is_joint(activity):
        writer = _writing_agency_id(activity)
        return {writer} if writer is not None else set()
    excluded = _organiser_ids(activity)
    if activity.created_by is not None and activity.created_by.agency_id is not None:
        excluded.add(activity.created_by.agency_id)
    return excluded


def approval_rule(user: User, activity: PromotionActivity) -> Verdict:
    """May this person approve (or return) the activity? If not, the reason, for them to read.

    - An admin may, always.
    - Otherwise only agency staff with an agency, and never the person who recorded the activity
      or made its latest change (fields or evidence): someone else checks it.
    - One organising agency: staff of an agency that neither organised it nor employs its creator.
    - Several organising agencies (a joint activity): staff of an agency other than the one whose
      member made its latest change — in practice the partner organising agency checks it.
    """
    if user.is_admin:
        return Verdict(True)
    if not user.is_agency_staff or user.agency_id is None:
        return Verdict(False, _("Only staff of an agency, or an admin, can approve activities."))
    if activity.created_by_id == user.id:
        return Verdict(False, _("You recorded this activity, so someone else approves it."))
    editor = last_editor(activity)
    if editor is not None and editor.id == user.id:
        return Verdict(False, _("You made the latest change to this activity, so someone else approves it."))
    if user.agency_id not in _excluded_agency_ids(activity):
        return Verdict(True)
    if is_joint(activity):
        return Verdict(
            False,
            _(
                "Your agency made the latest change to this joint activity, so the other organising agency"
                " approves it, or an admin."
            ),
        )
    return Verdict(
        False, _("An activity is approved by another agency than the ones that organised it, or by an admin.")
    )


def approvers_note(activity: PromotionActivity) -> str:
    """Who can approve this activity as it stands, in a sentence for its page."""
    excluded = _excluded_agency_ids(activity)
    names = [a.name for a in db.session.scalars(select(Agency).order_by(Agency.name)) if a.id not in excluded]
    if not names:
        return _("Only an admin can approve this activity.")
    if is_joint(activity):
        return _(
            "Joint activity: staff of %(agencies)s approve it (not the person who recorded it or made its latest"
            " change), or an admin.",
            agencies=", ".join(names),
        )
    return _("Staff of %(agencies)s approve it, or an admin.", agencies=", ".join(names))


def may_decide(user: User, activity: PromotionActivity) -> bool:
    """May approve or return (whatever the status): see approval_rule()."""
    return approval_rule(user, activity).allowed


def can_decide(user: User, activity: PromotionActivity) -> bool:
    return activity.status == ActivityStatus.SUBMITTED and may_decide(user, activity)


# --- validation ------------------------------------------------------------------------


def _check(data: ActivityInput) -> dict:
    """The checked values, ready to set on the activity; Refused on the first problem."""
    try:
        kind = ActivityType(data.type.value if isinstance(data.type, ActivityType) else data.type)
    except ValueError:
        raise Refused(_("Choose the type of activity."), field="type") from None
    title = (data.title or "").strip()
    if not title:
        raise Refused(_("Enter the activity's title."), field="title")
    if len(title) > MAX_TITLE:
        raise Refused(_("The title is too long (at most %(max)s characters).", max=MAX_TITLE), field="title")
    if data.start_date is None:
        raise Refused(_("Enter the start date."), field="start_date")
    if data.end_date is None:
        raise Refused(_("Enter the end date."), field="end_date")
    if data.end_date < data.start_date:
        raise Refused(_("The end date cannot be before the start date."), field="end_date")
    province, ward = geo.check_place(data.province_code, data.ward_code)
    agencies = _unique(data.agencies)
    if not agencies:
        raise Refused(_("Choose at least one organising agency."), field="agencies")
    unit = (data.organising_unit or "").strip()
    if len(unit) > MAX_UNIT:
        raise Refused(
            _("The organising unit is too long (at most %(max)s characters).", max=MAX_UNIT), field="organising_unit"
        )
    cooperatives = _unique(data.cooperatives)
    for cooperative in cooperatives:
        if not cooperative.is_approved:
            raise Refused(_("%(name)s is not an approved cooperative.", name=cooperative.name), field="cooperatives")
    cooperative_ids = {c.id for c in cooperatives}
    products = _unique(data.products)
    for product in products:
        if product.cooperative_id not in cooperative_ids:
            raise Refused(
                _("%(product)s belongs to a cooperative that is not taking part.", product=product.name),
                field="products",
            )
    values = {}
    for name in NUMBER_FIELDS:
        number = getattr(data, name)
        if number is None:
            number = 0
        if isinstance(number, bool) or not isinstance(number, int):
            raise Refused(_("Enter a whole number."), field=name)
        if number < 0:
            raise Refused(_("This number cannot be negative."), field=name)
        if number > (MAX_VND if name in _MONEY_FIELDS else MAX_COUNT):
            raise Refused(_("This number is too large."), field=name)
        values[name] = number
    notes = (data.notes or "").strip()
    if len(notes) > MAX_NOTES:
        raise Refused(_("The notes are too long (at most %(max)s characters).", max=MAX_NOTES), field="notes")
    return {
        "type": kind,
        "title": title,
        "start_date": data.start_date,
        "end_date": data.end_date,
        "province_code": province,
        "ward_code": ward,
        "agencies": agencies,
        "organising_unit": unit,
        "fair": data.fair,
        "cooperatives": cooperatives,
        "products": products,
        **values,
        "notes": notes,
    }


def _unique(items) -> list:
    seen, result = set(), []
    for item in items or ():
        if item.id not in seen:
            seen.add(item.id)
            result.append(item)
    return result


# --- history -----------------------------------------------------------------------------


def shown_value(name: str, value) -> str:
    """A field's value as the history stores it: readable, stable text."""
    if value is None:
        return ""
    if name == "type":
        return ActivityType(value).value
    if name == "status":
        return ActivityStatus(value).value
    if name in ("start_date", "end_date"):
        return value.isoformat()
    if name == "province_code":
        return geo.province_name(value)
    if name == "ward_code":
        return geo.ward_name(value)
    if name == "fair":
        return value.name
    if name in ("agencies", "cooperatives"):
        return "; ".join(sorted(item.name for item in value))
    if name == "products":
        return "; ".join(sorted(f"{p.cooperative.slug}:{p.sku}" for p in value))
    return str(value)


def _snapshot(activity: PromotionActivity) -> dict[str, str]:
    names = [n for n in FIELD_LABELS if n not in ("status", "evidence")]
    return {name: shown_value(name, getattr(activity, name)) for name in names}


def record(
    activity: PromotionActivity, user: User | None, action: str, field_name: str = "", old: str = "", new: str = ""
) -> ActivityChange:
    change = ActivityChange(
        activity=activity,
        action=action,
        field=field_name,
        old_value=old,
        new_value=new,
        changed_by_id=user.id if user is not None else None,
        changed_at=utcnow(),
    )
    db.session.add(change)
    return change


# --- create and edit ---------------------------------------------------------------------


def _assign(activity: PromotionActivity, values: dict) -> None:
    for name, value in values.items():
        setattr(activity, name, value)


def create_activity(data: ActivityInput, user: User) -> PromotionActivity:
    """A new draft; its creator must be agency staff. Flushes."""
    if not user.is_agency_staff:
        raise Refused(_("Only agency staff record promotion activities."))
    values = _check(data)
    activity = PromotionActivity(status=ActivityStatus.DRAFT, created_by=user, created_at=utcnow())
    _assign(activity, values)
    db.session.add(activity)
    db.session.flush()
    record(activity, user, "created")
    db.session.flush()
    return activity


def update_activity(activity: PromotionActivity, data: ActivityInput, user: User) -> list[str]:
    """Change a draft or returned activity; one history row per changed field.
    Returns the names of the changed fields (empty: nothing changed). Flushes."""
    _require_editable(activity, user)
    values = _check(data)
    before = _snapshot(activity)
    _assign(activity, values)
    after = _snapshot(activity)
    changed = [name for name in before if before[name] != after[name]]
    for name in changed:
        record(activity, user, "updated", name, before[name], after[name])
    db.session.flush()
    return changed


def _require_editable(activity: PromotionActivity, user: User) -> None:
    if not activity.is_editable:
        raise Refused(_("Only a draft or a returned activity can be changed."))
    if not can_work_on(user, activity):
        raise Refused(_("Only the organising agencies can change this activity."))


# --- workflow ----------------------------------------------------------------------------


def _move(activity: PromotionActivity, user: User, action: str, to: ActivityStatus, comment: str = "") -> None:
    old = activity.status
    activity.status = to
    record(activity, user, action, "status", old.value, to.value)
    if comment:
        record(activity, user, action, "return_comment", "", comment)


def submit(activity: PromotionActivity, user: User) -> None:
    """Send a draft (or a returned activity, once corrected) for approval. Flushes."""
    _require_editable(activity, user)
    now = utcnow()
    activity.submitted_at = now
    activity.submitted_by_id = user.id
    _move(activity, user, "submitted", ActivityStatus.SUBMITTED)
    db.session.flush()


def _require_decider(activity: PromotionActivity, user: User) -> None:
    if activity.status != ActivityStatus.SUBMITTED:
        raise Refused(_("Only a submitted activity can be approved or returned."))
    verdict = approval_rule(user, activity)
    if not verdict.allowed:
        raise Refused(verdict.reason)


def approve(activity: PromotionActivity, user: User) -> None:
    _require_decider(activity, user)
    activity.decided_at = utcnow()
    activity.decided_by_id = user.id
    activity.return_comment = ""
    _move(activity, user, "approved", ActivityStatus.APPROVED)
    db.session.flush()


def return_activity(activity: PromotionActivity, user: User, comment: str) -> None:
    """Send back to the organisers with a comment saying what to correct. Flushes."""
    _require_decider(activity, user)
    comment = (comment or "").strip()
    if not comment:
        raise Refused(_("Say what needs correcting."), field="comment")
    if len(comment) > MAX_COMMENT:
        raise Refused(_("The comment is too long (at most %(max)s characters).", max=MAX_COMMENT), field="comment")
    activity.decided_at = utcnow()
    activity.decided_by_id = user.id
    activity.return_comment = comment
    _move(activity, user, "returned", ActivityStatus.RETURNED, comment)
    db.session.flush()
