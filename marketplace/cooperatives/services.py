"""Business actions on cooperatives: register, edit the profile, and the agency's review:
approve, suspend, refuse, ask for more documents (which the managers answer), reopen.

Each function validates, changes objects and flushes; the request commits once. The
notify_* functions queue their emails in that same transaction (marketplace.mail.queue):
no mail leaves for a change that was rolled back, and none is lost for one that was
committed, whatever the mail server does.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from marketplace.accounts.models import Role, User
from marketplace.cooperatives import catalogue
from marketplace.cooperatives.models import (
    Cooperative,
    CooperativeDocument,
    CooperativeStatus,
    CooperativeStatusChange,
)
from marketplace.core import files, geo
from marketplace.core.banks import is_known_bank, normalise_account_name
from marketplace.core.errors import Refused
from marketplace.core.mail import send_email
from marketplace.core.models import unique_slug, utcnow
from marketplace.extensions import db
from marketplace.mail.queue import Gone, queue_email, register

if TYPE_CHECKING:
    from marketplace.catalog.models import Product

logger = logging.getLogger(__name__)

# Fields a manager fills in on registration and on the profile page.
PROFILE_FIELDS = (
    "name",
    "registration_code",
    "province_code",
    "ward_code",
    "street",
    "founded_on",
    "is_youth",
    "member_count",
    "youth_member_count",
    "representative",
    "phone",
    "email",
    "description",
)

# The form's InputRequired says "Choose a province." for an empty list; a value that is not a
# province code is one the list did not offer.
PLACE_MESSAGES = geo.PlaceMessages(
    no_province=_l("Choose a province from the list."),
    ward_elsewhere=_l("This ward or commune is not in the chosen province."),
)


class CooperativeError(Refused):
    """A refused change; the message is shown to the person."""


def unique_cooperative_slug(name: str, exclude_id: int | None = None) -> str:
    return unique_slug(Cooperative, name, max_length=90, exclude_id=exclude_id)


def registration_code_taken(code: str | None, exclude_id: int | None = None) -> bool:
    if not code:
        return False
    query = select(Cooperative.id).where(func.lower(Cooperative.registration_code) == code.strip().lower())
    if exclude_id is not None:
        query = query.where(Cooperative.id != exclude_id)
    return db.session.scalar(query) is not None


def _apply_profile(cooperative: Cooperative, data: dict) -> None:
    for name in PROFILE_FIELDS:
        if name in data:
            value = data[name]
            if isinstance(value, str):
                value = value.strip()
            setattr(cooperative, name, value)
    for optional in ("registration_code", "street", "representative", "phone", "email"):
        if getattr(cooperative, optional) == "":
            setattr(cooperative, optional, None)
    _check_profile(cooperative)


def _check_profile(cooperative: Cooperative) -> None:
    if not (cooperative.name or "").strip():
        raise CooperativeError(_("The cooperative needs a name."))
    geo.check_place(cooperative.province_code, cooperative.ward_code, required=True, messages=PLACE_MESSAGES)
    if cooperative.member_count < 0 or cooperative.youth_member_count < 0:
        raise CooperativeError(_("Member counts cannot be negative."))
    if cooperative.youth_member_count > cooperative.member_count:
        raise CooperativeError(_("Youth members cannot outnumber all members."))
    if registration_code_taken(cooperative.registration_code, cooperative.id):
        raise CooperativeError(_("Another cooperative already uses this registration code."))


def register_cooperative(user: User, data: dict) -> Cooperative:
    """A signed-in person registers a cooperative: it is pending and they manage it."""
    cooperative = Cooperative(status=CooperativeStatus.PENDING, created_by=user, description="")
    _apply_profile(cooperative, data)
    cooperative.slug = unique_cooperative_slug(cooperative.name)
    cooperative.managers.append(user)
    if user.role == Role.CUSTOMER:
        # Agency staff and admins keep their role; they simply manage this cooperative too.
        user.role = Role.COOPERATIVE_MANAGER
    db.session.add(cooperative)
    db.session.flush()
    logger.info("Cooperative %s registered by user %s", cooperative.slug, user.id)
    return cooperative


def update_cooperative(cooperative: Cooperative, data: dict) -> Cooperative:
    """Edit the profile. The slug stays: links to the cooperative page keep working."""
    _apply_profile(cooperative, data)
    db.session.flush()
    logger.info("Cooperative %s profile updated", cooperative.slug)
    return cooperative


# Managers may look at these cooperatives' records but not change them (admins may).
LOCKED = frozenset({CooperativeStatus.SUSPENDED, CooperativeStatus.REFUSED})


def can_edit(user: User, cooperative: Cooperative) -> bool:
    """Managers edit their own cooperatives unless suspended or refused; admins always."""
    if not user.can_manage(cooperative):
        return False
    return user.is_admin or cooperative.status not in LOCKED


def _change_status(cooperative: Cooperative, to_status: CooperativeStatus, by: User, reason: str) -> None:
    change = CooperativeStatusChange(
        cooperative=cooperative,
        from_status=cooperative.status,
        to_status=to_status,
        reason=reason,
        changed_by=by,
    )
    db.session.add(change)
    cooperative.status = to_status
    cooperative.status_changed_at = utcnow()
    cooperative.status_changed_by = by
    cooperative.status_reason = reason or None
    db.session.flush()
    logger.info(
        "Cooperative %s: %s -> %s by user %s", cooperative.slug, change.from_status.value, to_status.value, by.id
    )


def update_payment_settings(cooperative, data: dict) -> None:
    """Set the delivery fee, free-delivery threshold, pickup and bank account the checkout offers.

    The form checks each field; this keeps the rules whoever calls it: amounts not negative,
    and the bank account given whole (bank, number, holder) or not at all. Raises Refused.
    """
    fee, free_from = data.get("delivery_fee_vnd"), data.get("free_delivery_from_vnd")
    if fee is None or fee < 0:
        raise Refused(_("Enter the delivery fee, 0 if delivery is free."), "delivery_fee_vnd")
    if free_from is not None and free_from < 0:
        raise Refused(_("The number cannot be negative."), "free_delivery_from_vnd")
    bank_bin = data.get("bank_bin") or None
    number = data.get("bank_account_number") or None
    holder = normalise_account_name(data.get("bank_account_name") or "") or None
    if any((bank_bin, number, holder)) and not all((bank_bin, number, holder)):
        raise Refused(_("Give the bank, the account number and the account holder, or none of them."), "bank_bin")
    if bank_bin and not is_known_bank(bank_bin):
        raise Refused(_("Choose a bank from the list."), "bank_bin")
    if number and not re.fullmatch(r"[0-9]{6,19}", number):
        raise Refused(_("Enter the account number: 6 to 19 digits, no letters."), "bank_account_number")
    cooperative.delivery_fee_vnd = fee
    cooperative.free_delivery_from_vnd = free_from
    cooperative.offers_pickup = bool(data.get("offers_pickup"))
    cooperative.bank_bin, cooperative.bank_account_number, cooperative.bank_account_name = bank_bin, number, holder


def _refuse_if_refused(cooperative: Cooperative) -> None:
    if cooperative.status == CooperativeStatus.REFUSED:
        raise CooperativeError(_("This cooperative's application is refused. Reopen it first."))


def approve_cooperative(cooperative: Cooperative, by: User, note: str = "") -> None:
    """Pending, waiting for documents or suspended -> approved. Approving an approved
    cooperative is refused, and so is approving a refused one (reopen it first)."""
    if cooperative.status == CooperativeStatus.APPROVED:
        raise CooperativeError(_("This cooperative is already approved."))
    _refuse_if_refused(cooperative)
    _change_status(cooperative, CooperativeStatus.APPROVED, by, (note or "").strip())


def suspend_cooperative(cooperative: Cooperative, by: User, reason: str) -> None:
    """Pending, waiting for documents or approved -> suspended, always with a reason the
    managers will read."""
    reason = (reason or "").strip()
    if not reason:
        raise CooperativeError(_("Give a reason for the suspension."))
    if cooperative.status == CooperativeStatus.SUSPENDED:
        raise CooperativeError(_("This cooperative is already suspended."))
    _refuse_if_refused(cooperative)
    _change_status(cooperative, CooperativeStatus.SUSPENDED, by, reason)


def refuse_cooperative(cooperative: Cooperative, by: User, reason: str) -> None:
    """An application (pending or waiting for documents) -> refused, with the reason the
    managers read. Final: the cooperative cannot be approved, sell or be edited by its
    managers until staff reopen it."""
    reason = (reason or "").strip()
    if not reason:
        raise CooperativeError(_("Give the reason for the refusal."))
    _refuse_if_refused(cooperative)
    if not cooperative.awaiting_approval:
        raise CooperativeError(_("Only a cooperative waiting for approval can be refused; suspend it instead."))
    _change_status(cooperative, CooperativeStatus.REFUSED, by, reason)


def request_documents(cooperative: Cooperative, by: User, message: str) -> None:
    """Pending -> needs documents: the managers see the message in their workspace and answer."""
    message = (message or "").strip()
    if not message:
        raise CooperativeError(_("Say which documents or information are missing."))
    if cooperative.status == CooperativeStatus.NEEDS_DOCUMENTS:
        raise CooperativeError(_("This cooperative is already asked for more documents; wait for the answer."))
    if cooperative.status != CooperativeStatus.PENDING:
        raise CooperativeError(_("Documents can be requested only from a cooperative waiting for approval."))
    _change_status(cooperative, CooperativeStatus.NEEDS_DOCUMENTS, by, message)


def documents_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "cooperative-documents"


def document_path(document: CooperativeDocument) -> Path:
    return documents_folder() / document.stored_name


def check_documents(uploads: list[tuple[BinaryIO, str | None]]) -> list[files.CheckedFile]:
    """Read and check the files of an answer (photos or PDFs, each within the size limit, at most
    COOPERATIVE_DOCUMENTS_PER_ANSWER); Refused at the "documents" field. Changes nothing."""
    most = current_app.config["COOPERATIVE_DOCUMENTS_PER_ANSWER"]
    if len(uploads) > most:
        raise Refused(_("Attach at most %(num)s files to one answer.", num=most), field="documents")
    limit = current_app.config["COOPERATIVE_DOCUMENT_MAX_BYTES"]
    checked = []
    for stream, filename in uploads:
        try:
            checked.append(files.read_checked(stream, filename, limit, field="documents"))
        except Refused as error:
            name = files.clean_filename(filename)
            raise Refused(_("%(name)s: %(problem)s", name=name, problem=error.message), field="documents") from None
    return checked


def answer_request(
    cooperative: Cooperative, by: User, answer: str, documents: list[files.CheckedFile] = ()
) -> list[CooperativeDocument]:
    """A manager answers the agency's request: needs documents -> pending, the answer recorded
    in the history for staff to review, with the documents attached to it (checked by
    check_documents; written to disk last, after every check). The caller checks that `by`
    manages the cooperative and removes the written files if the request then fails."""
    answer = (answer or "").strip()
    if not answer:
        raise CooperativeError(_("Write your answer to the agency's request."))
    if cooperative.status != CooperativeStatus.NEEDS_DOCUMENTS:
        raise CooperativeError(_("The agency is not waiting for documents from this cooperative."))
    _change_status(cooperative, CooperativeStatus.PENDING, by, answer)
    change = _latest_change(cooperative)
    stored = []
    try:
        for checked in documents:
            stored.append(
                CooperativeDocument(
                    status_change_id=change.id,
                    kind=checked.kind,
                    stored_name=checked.store(documents_folder()),
                    original_filename=checked.filename,
                    content_type=checked.content_type,
                    size_bytes=len(checked.data),
                    uploaded_by_id=by.id,
                    uploaded_at=utcnow(),
                )
            )
        db.session.add_all(stored)
        db.session.flush()
    except Exception:  # a full disk or a failing flush: no file of this answer stays behind
        discard_documents(stored)
        raise
    if stored:
        logger.info("Cooperative %s answered with %s documents", cooperative.slug, len(stored))
    return stored


def discard_documents(documents: list[CooperativeDocument]) -> None:
    """The files of an answer whose rows were rolled back."""
    for document in documents:
        document_path(document).unlink(missing_ok=True)


def may_download_document(user: User, cooperative: Cooperative) -> bool:
    """Agency staff, admins and the cooperative's own managers."""
    return user.role in (Role.AGENCY_STAFF, Role.ADMIN) or user.can_manage(cooperative)


def reopen_cooperative(cooperative: Cooperative, by: User, reason: str) -> None:
    """Staff reopen a refused application: refused -> pending, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise CooperativeError(_("Give the reason for reopening the application."))
    if cooperative.status != CooperativeStatus.REFUSED:
        raise CooperativeError(_("Only a refused application can be reopened."))
    _change_status(cooperative, CooperativeStatus.PENDING, by, reason)


def pending_request(cooperative: Cooperative) -> CooperativeStatusChange | None:
    """The agency's request the managers have to answer (None unless waiting for documents)."""
    if cooperative.status != CooperativeStatus.NEEDS_DOCUMENTS:
        return None
    return _latest_change(cooperative)


@dataclass
class Dashboard:
    counts: dict[str, int]
    low_stock: list[Product]


def dashboard(cooperative: Cooperative) -> Dashboard:
    """The dashboard's products: counted by status, and those running low (cooperatives.catalogue)."""
    figures = catalogue.figures()
    return Dashboard(figures.products_by_status(cooperative), figures.running_low(cooperative))


def agency_recipients() -> list[User]:
    """Active agency staff; admins when an installation has no staff yet, so someone hears."""
    staff = db.session.scalars(
        select(User).where(User.role == Role.AGENCY_STAFF, User.active.is_(True)).order_by(User.id)
    ).all()
    if staff:
        return list(staff)
    return list(db.session.scalars(select(User).where(User.role == Role.ADMIN, User.active.is_(True))).all())


def notify_agency_of_registration(cooperative: Cooperative) -> None:
    """In the registration's transaction: queue the email telling agency staff a cooperative
    waits for approval (sent after the commit; a failing mail server is retried by the queue,
    never shown to the person registering)."""
    if cooperative.id is None:
        db.session.flush()
    queue_email(COOPERATIVE_REGISTERED, cooperative.id)


def _latest_change(cooperative: Cooperative) -> CooperativeStatusChange | None:
    db.session.flush()
    return db.session.scalar(
        select(CooperativeStatusChange)
        .where(CooperativeStatusChange.cooperative_id == cooperative.id)
        .order_by(CooperativeStatusChange.id.desc())
        .limit(1)
    )


def notify_managers_of_status(cooperative: Cooperative) -> None:
    """In the status change's transaction: queue the email telling the managers of its latest
    change (approved, suspended, refused, documents requested, reopened), sent after the commit."""
    change = _latest_change(cooperative)
    if change is not None:
        queue_email(COOPERATIVE_STATUS, change.id)


def notify_agency_of_answer(cooperative: Cooperative) -> None:
    """In the answer's transaction: queue the email telling agency staff that the managers
    answered their request and the cooperative waits for review again."""
    change = _latest_change(cooperative)
    if change is not None:
        queue_email(COOPERATIVE_ANSWERED, change.id)


def send_registration_notice(cooperative_id: int) -> None:
    """Queue handler: the new-registration email to agency staff (admins when there are none)."""
    cooperative = db.session.get(Cooperative, cooperative_id)
    if cooperative is None:
        raise Gone(f"cooperative {cooperative_id} no longer exists")
    link = url_for("agency.cooperative", slug=cooperative.slug, _external=True)
    for person in agency_recipients():
        with force_locale("vi"):
            subject = _("New cooperative waiting for approval: %(name)s", name=cooperative.name)
            send_email(
                person.email, subject, "cooperative_registered", cooperative=cooperative, person=person, link=link
            )


def _status_mail(change: CooperativeStatusChange) -> tuple[str, str] | None:
    """(template, subject) of the managers' email for a recorded change; None: no email (the
    managers' own answer)."""
    name = change.cooperative.name
    to = change.to_status
    if to == CooperativeStatus.APPROVED:
        return "cooperative_approved", _("Your cooperative %(name)s is approved", name=name)
    if to == CooperativeStatus.SUSPENDED:
        return "cooperative_suspended", _("Your cooperative %(name)s is suspended", name=name)
    if to == CooperativeStatus.REFUSED:
        return "cooperative_refused", _("The application of %(name)s is refused", name=name)
    if to == CooperativeStatus.NEEDS_DOCUMENTS:
        return "cooperative_needs_documents", _("%(name)s: the agency asks for more documents", name=name)
    if to == CooperativeStatus.PENDING and change.from_status == CooperativeStatus.REFUSED:
        return "cooperative_reopened", _("The application of %(name)s is reopened", name=name)
    return None


def send_status_notice(change_id: int) -> None:
    """Queue handler: tell the active managers of one recorded status change (as it was
    recorded, even if the cooperative has moved on since)."""
    change = db.session.get(CooperativeStatusChange, change_id)
    if change is None:
        raise Gone(f"cooperative status change {change_id} no longer exists")
    cooperative = change.cooperative
    link = url_for("workspace.dashboard", slug=cooperative.slug, _external=True)
    for person in cooperative.managers:
        if not person.active:
            continue
        with force_locale("vi"):
            mail = _status_mail(change)
            if mail is None:
                return
            template, subject = mail
            send_email(
                person.email, subject, template, cooperative=cooperative, person=person, link=link, reason=change.reason
            )


def send_answer_notice(change_id: int) -> None:
    """Queue handler: tell agency staff (admins when there are none) that the managers
    answered the request for documents; the answer is in the email and the history."""
    change = db.session.get(CooperativeStatusChange, change_id)
    if change is None:
        raise Gone(f"cooperative status change {change_id} no longer exists")
    cooperative = change.cooperative
    link = url_for("agency.cooperative", slug=cooperative.slug, _external=True)
    for person in agency_recipients():
        with force_locale("vi"):
            subject = _("%(name)s answered the request for documents", name=cooperative.name)
            send_email(
                person.email,
                subject,
                "cooperative_answered",
                cooperative=cooperative,
                person=person,
                link=link,
                answer=change.reason,
                answered_by=change.changed_by,
                documents=[d.original_filename for d in change.documents],
            )


COOPERATIVE_REGISTERED = "cooperative_registered"
COOPERATIVE_STATUS = "cooperative_status"
COOPERATIVE_ANSWERED = "cooperative_answered"
register(COOPERATIVE_REGISTERED, send_registration_notice)
register(COOPERATIVE_STATUS, send_status_notice)
register(COOPERATIVE_ANSWERED, send_answer_notice)
