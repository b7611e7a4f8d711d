"""Running fairs and their booths: the business rules, as plain functions.

Agency staff create a fair (a draft), open it for booth applications, publish it and
close it. Cooperatives apply for one booth per fair with the products they will showcase
(each with an optional fair price), change them while the booth is pending or approved
and the fair has not ended, and withdraw a pending application. Agency staff approve a
booth (giving it a number) or reject it (with a reason); nobody decides on a booth of a
cooperative they manage.

Each function checks, changes objects and flushes; it never commits. A refused action
raises `Refused` naming the form field it belongs to; the view rolls back and shows it.
Emails (notify_booth_decision) are queued in the decision's transaction and sent after the commit.

Times: the forms take Vietnam wall-clock times; everything is stored naive UTC.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from marketplace.accounts.models import Agency, User
from marketplace.catalog import images
from marketplace.catalog.models import Product, ProductStatus
from marketplace.cooperatives.models import Cooperative, CooperativeStatus
from marketplace.core import geo
from marketplace.core.errors import Refused
from marketplace.core.mail import send_email
from marketplace.core.models import unique_slug, utcnow
from marketplace.core.routing import MAX_ID
from marketplace.extensions import db
from marketplace.fairs.models import (
    Booth,
    BoothProduct,
    BoothStatus,
    Fair,
    FairKind,
    FairStatus,
)
from marketplace.mail.queue import Gone, queue_email, register

logger = logging.getLogger(__name__)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# Short-link codes: no 0/O, 1/I/L, so a code read off a poster is typed right.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 7

MAX_SHOWCASED = 50
MIN_YEAR, MAX_YEAR = 2000, 2100  # a typo like 0026 is refused, not stored (or overflowed)
MAX_FAIR_PRICE = 10_000_000_000
BOOTH_NUMBER = re.compile(r"^[0-9A-Za-z][0-9A-Za-z./-]{0,19}$")

# The moves agency staff may make, in order: a fair only goes forward.
TRANSITIONS: dict[FairStatus, tuple[FairStatus, ...]] = {
    FairStatus.DRAFT: (FairStatus.ACCEPTING,),
    FairStatus.ACCEPTING: (FairStatus.PUBLISHED,),
    FairStatus.PUBLISHED: (FairStatus.CLOSED,),
    FairStatus.CLOSED: (),
}

FAIR_FIELDS = (
    "name",
    "kind",
    "venue",
    "province_code",
    "ward_code",
    "street",
    "starts_at",
    "ends_at",
    "applications_close_at",
    "description",
    "organiser_ids",
)
# Where a fair takes place: required unless it is online.
PLACE_MESSAGES = geo.PlaceMessages(
    no_province=_l("Choose the province where the fair takes place."),
    no_ward=_l("Choose the ward or commune where the fair takes place."),
    ward_without_province=_l("This ward or commune is not in the chosen province."),
    ward_elsewhere=_l("This ward or commune is not in the chosen province."),
)


# --- codes and times ---------------------------------------------------------------------------


def new_code() -> str:
    """A random short code for a fair's or a booth's /f/<code> link, used by no fair or booth."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = db.session.scalar(sa.select(Fair.id).where(Fair.code == code)) or db.session.scalar(
            sa.select(Booth.id).where(Booth.code == code)
        )
        if not taken:
            return code


def vietnam_to_utc(value: datetime | None) -> datetime | None:
    """A wall-clock time in Vietnam (naive), or any aware time -> naive UTC for storage."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=VIETNAM)
    return value.astimezone(UTC).replace(tzinfo=None)


def utc_to_vietnam(value: datetime | None) -> datetime | None:
    """A stored naive UTC time -> the naive wall-clock time in Vietnam (to fill a form)."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC).astimezone(VIETNAM).replace(tzinfo=None)


# --- fairs -------------------------------------------------------------------------------------


def _require_staff(by: User | None) -> None:
    if by is None or not by.is_agency_staff:
        raise Refused(_("Only agency staff can run fairs and decide on booths."))


def _kind(value) -> FairKind:
    try:
        return value if isinstance(value, FairKind) else FairKind(value)
    except ValueError:
        raise Refused(_("Choose the kind of event."), "kind") from None


def _organisers(ids) -> list[Agency]:
    try:
        wanted = {int(i) for i in (ids or ())}
    except (TypeError, ValueError):
        raise Refused(_("Choose organising agencies from the list."), "organiser_ids") from None
    if not wanted:
        raise Refused(_("Choose at least one organising agency."), "organiser_ids")
    if any(not 0 < i <= MAX_ID for i in wanted):  # would overflow the driver; no such row anyway
        raise Refused(_("Choose organising agencies from the list."), "organiser_ids")
    agencies = db.session.scalars(sa.select(Agency).where(Agency.id.in_(wanted)).order_by(Agency.name)).all()
    if len(agencies) != len(wanted):
        raise Refused(_("Choose organising agencies from the list."), "organiser_ids")
    return list(agencies)


def _apply_fair(fair: Fair, data: Mapping) -> None:
    name = (data.get("name") or "").strip()
    if not name:
        raise Refused(_("Enter the fair's name."), "name")
    if len(name) > 200:
        raise Refused(_("The name is too long: at most 200 characters."), "name")
    kind = _kind(data.get("kind"))
    venue = (data.get("venue") or "").strip()
    street = (data.get("street") or "").strip()
    if len(venue) > 200:
        raise Refused(_("The venue is too long: at most 200 characters."), "venue")
    if len(street) > 200:
        raise Refused(_("The street address is too long: at most 200 characters."), "street")
    if kind != FairKind.ONLINE and not venue:
        raise Refused(_("Enter the venue, e.g. the exhibition hall's name."), "venue")
    province_code, ward_code = geo.check_place(
        data.get("province_code") or None,
        data.get("ward_code") or None,
        required=kind != FairKind.ONLINE,
        messages=PLACE_MESSAGES,
    )

    for field in ("starts_at", "ends_at", "applications_close_at"):
        value = data.get(field)
        if value is not None and not (MIN_YEAR <= value.year <= MAX_YEAR):
            raise Refused(_("Enter a date between %(first)s and %(last)s.", first=MIN_YEAR, last=MAX_YEAR), field)
    starts_at = vietnam_to_utc(data.get("starts_at"))
    ends_at = vietnam_to_utc(data.get("ends_at"))
    closes_at = vietnam_to_utc(data.get("applications_close_at"))
    if starts_at is None:
        raise Refused(_("Enter when the fair starts."), "starts_at")
    if ends_at is None:
        raise Refused(_("Enter when the fair ends."), "ends_at")
    if ends_at <= starts_at:
        raise Refused(_("The fair must end after it starts."), "ends_at")
    if closes_at is not None and closes_at > starts_at:
        raise Refused(_("Applications must close no later than the fair starts."), "applications_close_at")

    description = (data.get("description") or "").strip()
    if len(description) > 20_000:
        raise Refused(_("The description is too long: at most 20,000 characters."), "description")

    fair.name = name
    fair.kind = kind
    fair.venue = venue
    fair.street = street
    fair.province_code = province_code
    fair.ward_code = ward_code
    fair.starts_at = starts_at
    fair.ends_at = ends_at
    fair.applications_close_at = closes_at
    fair.description = description
    fair.organisers = _organisers(data.get("organiser_ids"))


def create_fair(data: Mapping, by: User) -> Fair:
    """A new draft fair from `data` (FAIR_FIELDS; times as Vietnam wall-clock times)."""
    _require_staff(by)
    fair = Fair(status=FairStatus.DRAFT, created_by=by)
    _apply_fair(fair, data)
    fair.slug = unique_slug(Fair, fair.name, max_length=100)
    fair.code = new_code()
    db.session.add(fair)
    db.session.flush()
    logger.info("Fair %s created by user %s", fair.slug, by.id)
    return fair


def update_fair(fair: Fair, data: Mapping, by: User) -> Fair:
    """Edit a fair that is not closed. The slug stays, so links keep working."""
    _require_staff(by)
    if fair.status == FairStatus.CLOSED:
        raise Refused(_("This fair is closed: it can no longer be changed."))
    _apply_fair(fair, data)
    db.session.flush()
    logger.info("Fair %s updated by user %s", fair.slug, by.id)
    return fair


def allowed_moves(fair: Fair) -> tuple[FairStatus, ...]:
    return TRANSITIONS[fair.status]


def change_fair_status(fair: Fair, to_status: FairStatus | str, by: User, at: datetime | None = None) -> None:
    """draft → accepting_applications → published → closed, one step at a time."""
    _require_staff(by)
    try:
        to_status = FairStatus(to_status)
    except ValueError:
        raise Refused(_("Unknown status.")) from None
    at = at or utcnow()
    if to_status == fair.status:
        raise Refused(_("The fair already has this status."))
    if to_status not in TRANSITIONS[fair.status]:
        raise Refused(
            _(
                "A fair goes from draft to accepting applications, then published, then closed, one step at a "
                "time: it cannot go from %(current)s to %(wanted)s.",
                current=STATUS_LABELS[fair.status](),
                wanted=STATUS_LABELS[to_status](),
            )
        )
    if to_status == FairStatus.ACCEPTING and application_deadline(fair) <= at:
        raise Refused(_("The application deadline has passed: move it (or the start) later first."))
    if to_status == FairStatus.PUBLISHED and fair.ends_at <= at:
        raise Refused(_("This fair has already ended: close it instead."))
    old = fair.status
    fair.status = to_status
    db.session.flush()
    logger.info("Fair %s: %s -> %s by user %s", fair.slug, old.value, to_status.value, by.id)


# Lazy labels (called when shown, so in the reader's language).
STATUS_LABELS = {
    FairStatus.DRAFT: lambda: _("draft"),
    FairStatus.ACCEPTING: lambda: _("accepting applications"),
    FairStatus.PUBLISHED: lambda: _("published"),
    FairStatus.CLOSED: lambda: _("closed"),
}


def save_banner(fair: Fair, stream: BinaryIO) -> str:
    """Check and store a banner picture like product photos (WebP copies under a random
    name in the products folder, served at /media/products/<stem>-<size>.webp). The old
    copies are removed. Flushes; on rollback the caller calls discard_banner(stem)."""
    stem, _largest = images.store_picture(stream)
    old = fair.banner_stem
    fair.banner_stem = stem
    db.session.flush()
    if old:
        images.discard_product_files([old])
    logger.info("Banner %s saved for fair %s", stem, fair.id)
    return stem


def remove_banner(fair: Fair) -> None:
    old = fair.banner_stem
    fair.banner_stem = None
    db.session.flush()
    if old:
        images.discard_product_files([old])


def discard_banner(stem: str | None) -> None:
    """Files written for a banner whose row change was rolled back."""
    if stem:
        images.discard_product_files([stem])


# --- booths: the cooperative's side ------------------------------------------------------------


def application_deadline(fair: Fair) -> datetime:
    """When applications close: the deadline set, else the fair's start."""
    return fair.applications_close_at or fair.starts_at


def accepts_applications(fair: Fair, at: datetime | None = None) -> bool:
    at = at or utcnow()
    return fair.status == FairStatus.ACCEPTING and at < application_deadline(fair)


def can_change_booth(booth: Booth, at: datetime | None = None) -> bool:
    """The cooperative may change its showcased products and fair prices."""
    at = at or utcnow()
    return (
        booth.status in (BoothStatus.PENDING, BoothStatus.APPROVED)
        and booth.fair.status != FairStatus.CLOSED
        and at < booth.fair.ends_at
    )


def can_withdraw(booth: Booth) -> bool:
    return booth.status == BoothStatus.PENDING


def _require_manager(by: User | None, cooperative: Cooperative) -> None:
    if by is None or not by.can_manage(cooperative):
        raise Refused(_("Only the cooperative's managers can apply for and change its booth."))


def _showcase(cooperative: Cooperative, items) -> list[tuple[Product, int | None]]:
    """[(product, fair price or None)] checked: own active products, fair prices below the price."""
    pairs = list(items.items()) if isinstance(items, Mapping) else list(items or ())
    if not pairs:
        raise Refused(_("Choose at least one product to showcase."), "products")
    if len(pairs) > MAX_SHOWCASED:
        raise Refused(_("Choose at most %(count)s products.", count=MAX_SHOWCASED), "products")
    ids = []
    for product_id, _price in pairs:
        if isinstance(product_id, bool) or not isinstance(product_id, int) or not 0 < product_id <= MAX_ID:
            raise Refused(_("Choose products from the list."), "products")
        ids.append(product_id)
    if len(set(ids)) != len(ids):
        raise Refused(_("Each product can be showcased only once."), "products")
    products = {p.id: p for p in db.session.scalars(sa.select(Product).where(Product.id.in_(ids)))}
    checked = []
    for product_id, price in pairs:
        product = products.get(product_id)
        if product is None or product.cooperative_id != cooperative.id:
            raise Refused(_("Choose products of your own cooperative."), "products")
        if product.status != ProductStatus.ACTIVE:
            raise Refused(
                _("%(product)s is not on sale: only active products can be showcased.", product=product.name),
                "products",
            )
        field = f"fair_price_{product.id}"
        if price is not None:
            if isinstance(price, bool) or not isinstance(price, int):
                raise Refused(_("Enter the fair price as a whole number of đồng."), field)
            if price <= 0:
                raise Refused(_("The fair price must be more than 0 ₫."), field)
            if price >= product.price_vnd:
                raise Refused(
                    _("The fair price of %(product)s must be below its regular price.", product=product.name),
                    field,
                )
        checked.append((product, price))
    return checked


def _set_products(booth: Booth, checked: list[tuple[Product, int | None]]) -> None:
    existing = {bp.product_id: bp for bp in booth.products}
    wanted = {product.id for product, _price in checked}
    for product_id, row in existing.items():
        if product_id not in wanted:
            booth.products.remove(row)
    for product, price in checked:
        row = existing.get(product.id)
        if row is None:
            booth.products.append(BoothProduct(product=product, fair_price_vnd=price))
        else:
            row.fair_price_vnd = price


def _message(message: str | None) -> str:
    message = (message or "").strip()
    if len(message) > 2000:
        raise Refused(_("The message is too long: at most 2,000 characters."), "message")
    return message


def booth_of(fair: Fair, cooperative: Cooperative) -> Booth | None:
    return db.session.scalar(sa.select(Booth).where(Booth.fair_id == fair.id, Booth.cooperative_id == cooperative.id))


def apply_for_booth(
    fair: Fair,
    cooperative: Cooperative,
    product_ids_with_fair_prices,
    message: str,
    by: User,
    at: datetime | None = None,
) -> Booth:
    """A cooperative applies for a booth: pending until agency staff decide.

    `product_ids_with_fair_prices` is {product id: fair price or None} or [(id, price)].
    A withdrawn application may be sent again (the same booth row, pending anew).
    """
    _require_manager(by, cooperative)
    at = at or utcnow()
    if cooperative.status != CooperativeStatus.APPROVED:
        raise Refused(_("Only approved cooperatives can apply for a booth."))
    if fair.status != FairStatus.ACCEPTING:
        raise Refused(_("This fair does not accept applications."))
    if at >= application_deadline(fair):
        raise Refused(_("Applications for this fair are closed."))
    booth = booth_of(fair, cooperative)
    if booth is not None and booth.status != BoothStatus.WITHDRAWN:
        raise Refused(_("Your cooperative has already applied for a booth at this fair."))
    checked = _showcase(cooperative, product_ids_with_fair_prices)
    text = _message(message)
    if booth is None:
        booth = Booth(fair=fair, cooperative=cooperative, code=new_code())
        db.session.add(booth)
    booth.status = BoothStatus.PENDING
    booth.number = None
    booth.message = text
    booth.rejection_reason = ""
    booth.applied_by = by
    booth.applied_at = at
    booth.decided_by = None
    booth.decided_at = None
    _set_products(booth, checked)
    db.session.flush()
    logger.info("Cooperative %s applied for a booth at fair %s (user %s)", cooperative.slug, fair.slug, by.id)
    return booth


def update_booth(
    booth: Booth, product_ids_with_fair_prices, message: str | None, by: User, at: datetime | None = None
) -> Booth:
    """The cooperative changes its showcased products, fair prices (and its message while
    pending) while the booth is pending or approved and the fair has not ended."""
    _require_manager(by, booth.cooperative)
    if not can_change_booth(booth, at):
        raise Refused(_("This booth can no longer be changed."))
    checked = _showcase(booth.cooperative, product_ids_with_fair_prices)
    if message is not None and booth.status == BoothStatus.PENDING:
        booth.message = _message(message)
    _set_products(booth, checked)
    db.session.flush()
    logger.info("Booth %s products changed by user %s", booth.id, by.id)
    return booth


def withdraw_booth(booth: Booth, by: User) -> None:
    """The cooperative takes back an application not yet decided."""
    _require_manager(by, booth.cooperative)
    if not can_withdraw(booth):
        raise Refused(_("Only an application still waiting for a decision can be withdrawn."))
    booth.status = BoothStatus.WITHDRAWN
    db.session.flush()
    logger.info("Booth %s withdrawn by user %s", booth.id, by.id)


# --- booths: the agency's decision -------------------------------------------------------------


def _require_decider(booth: Booth, by: User | None) -> None:
    _require_staff(by)
    if any(c.id == booth.cooperative_id for c in by.cooperatives):
        raise Refused(_("You manage this cooperative, so someone else must decide on its booth."))
    if booth.fair.status == FairStatus.CLOSED:
        raise Refused(_("This fair is closed: its booths can no longer be decided."))
    if booth.status != BoothStatus.PENDING:
        raise Refused(_("This application has already been decided or withdrawn."))


def approve_booth(booth: Booth, number: str, by: User, at: datetime | None = None) -> None:
    """Agency staff accept a pending application and give the booth its number (unique in the fair)."""
    _require_decider(booth, by)
    number = (number or "").strip().upper()
    if not number:
        raise Refused(_("Give the booth a number, e.g. A12."), "number")
    if not BOOTH_NUMBER.fullmatch(number):
        raise Refused(_("Use at most 20 letters and digits for the booth number, e.g. A12."), "number")
    taken = db.session.scalar(
        sa.select(Booth.id).where(
            Booth.fair_id == booth.fair_id, sa.func.upper(Booth.number) == number, Booth.id != booth.id
        )
    )
    if taken:
        raise Refused(_("Booth number %(number)s is already given at this fair.", number=number), "number")
    if booth.cooperative.status != CooperativeStatus.APPROVED:
        raise Refused(_("This cooperative is not approved any more, so its booth cannot be approved."))
    booth.status = BoothStatus.APPROVED
    booth.number = number
    booth.rejection_reason = ""
    booth.decided_by = by
    booth.decided_at = at or utcnow()
    db.session.flush()
    logger.info("Booth %s approved as %s by user %s", booth.id, number, by.id)


def reject_booth(booth: Booth, reason: str, by: User, at: datetime | None = None) -> None:
    """Agency staff refuse a pending application, always with a reason the cooperative reads."""
    _require_decider(booth, by)
    reason = (reason or "").strip()
    if not reason:
        raise Refused(_("Give the reason for the rejection: the cooperative reads it."), "reason")
    if len(reason) > 2000:
        raise Refused(_("The reason is too long: at most 2,000 characters."), "reason")
    booth.status = BoothStatus.REJECTED
    booth.number = None
    booth.rejection_reason = reason
    booth.decided_by = by
    booth.decided_at = at or utcnow()
    db.session.flush()
    logger.info("Booth %s rejected by user %s", booth.id, by.id)


def booth_recipients(cooperative: Cooperative) -> list[tuple[str, str]]:
    """(email, name to greet) of the cooperative's active managers, and its own address."""
    seen: set[str] = set()
    recipients = []
    for person in cooperative.managers:
        if person.active and person.email not in seen:
            seen.add(person.email)
            recipients.append((person.email, person.full_name))
    own = (cooperative.email or "").strip().lower()
    if own and own not in seen:
        recipients.append((own, cooperative.name))
    return recipients


def notify_booth_decision(booth: Booth) -> None:
    """In the decision's transaction: queue the email telling the cooperative its booth was
    approved or rejected (sent after the commit, retried by the queue if the mail server fails)."""
    if booth.id is None:
        db.session.flush()
    queue_email(BOOTH_DECISION, booth.id)


def send_booth_decision(booth_id: int) -> None:
    """Queue handler: the decision on a booth application, in Vietnamese, to the cooperative's
    active managers and its own address."""
    booth = db.session.get(Booth, booth_id)
    if booth is None:
        raise Gone(f"booth {booth_id} no longer exists")
    if booth.status not in (BoothStatus.APPROVED, BoothStatus.REJECTED):
        return
    approved = booth.status == BoothStatus.APPROVED
    link = url_for("fair_workspace.booth", coop_slug=booth.cooperative.slug, fair_slug=booth.fair.slug, _external=True)
    for email, name in booth_recipients(booth.cooperative):
        with force_locale("vi"):
            if approved:
                subject = _(
                    "Your booth at %(fair)s is approved: booth %(number)s", fair=booth.fair.name, number=booth.number
                )
            else:
                subject = _("Your booth application for %(fair)s was not accepted", fair=booth.fair.name)
            send_email(
                email,
                subject,
                "booth_approved" if approved else "booth_rejected",
                booth=booth,
                fair=booth.fair,
                cooperative=booth.cooperative,
                name=name,
                link=link,
            )


BOOTH_DECISION = "booth_decision"
register(BOOTH_DECISION, send_booth_decision)
