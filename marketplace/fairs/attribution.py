"""Which fair (and booth) a browser came from, after scanning a short link /f/<code>.

A scan stores the source in its own signed cookie (`fair_source`), kept for
FAIR_ATTRIBUTION_DAYS days; `current_source()` reads it back for as long as the window
lasts, and checkout stores it on the order (Order.source_fair_id/source_booth_id) through
the orders' source hook, with which fairs.init_app registers `credit`.
A later scan replaces an earlier one. Attribution never changes prices or who may buy:
it only tells the fair's results where an order came from.

A visit is counted per scan with a random visitor id from a long-lived cookie
(`fair_visitor`), so results can count scans in total and by unique visitor; nothing
personal is stored. HEAD requests and well-known bots are not counted.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer

from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.fairs.models import Booth, BoothStatus, Fair, FairStatus, FairVisit
from marketplace.orders.sources import Credit

SOURCE_COOKIE = "fair_source"
VISITOR_COOKIE = "fair_visitor"
VISITOR_COOKIE_DAYS = 365
_VISITOR_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Link previews and crawlers fetch the link without a person behind it.
_BOTS = re.compile(
    r"bot|crawl|spider|slurp|preview|facebookexternalhit|embedly|whatsapp|zalo-?link|curl|wget|python-requests",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Source:
    """Where this browser's orders are credited: a fair, and the booth whose link it was;
    or (fair_id None) a promotion activity's own tracking link."""

    fair_id: int | None
    booth_id: int | None
    scanned_at: datetime  # naive UTC
    activity_id: int | None = None


@dataclass(frozen=True)
class Target:
    """What a short link points at: a fair (and booth), or an approved promotion activity
    (fair None; its scans are not fair visits)."""

    fair: Fair | None
    booth: Booth | None
    activity: object | None = None  # promotion.models.PromotionActivity


def attribution_days() -> int:
    return int(current_app.config.get("FAIR_ATTRIBUTION_DAYS", 7))


def find_code(code: str) -> Target | None:
    """The public fair or approved booth whose short link is `code` (any case), or None
    (unknown, a draft fair, a booth not approved)."""
    code = (code or "").strip().upper()
    if not code or len(code) > 16:
        return None
    # Codes are made in capitals (fairs.services.new_code): the unique index finds them; a code
    # typed in by hand in another case is then looked up case-insensitively.
    fair = db.session.scalar(sa.select(Fair).where(Fair.code == code))
    booth = None if fair is not None else db.session.scalar(sa.select(Booth).where(Booth.code == code))
    if fair is None and booth is None:
        fair = db.session.scalar(sa.select(Fair).where(sa.func.upper(Fair.code) == code))
        if fair is None:
            booth = db.session.scalar(sa.select(Booth).where(sa.func.upper(Booth.code) == code))
    if fair is None and booth is None:
        return _activity_target(code)
    if fair is not None:
        return Target(fair, None) if fair.is_public else None
    if booth is None or booth.status != BoothStatus.APPROVED or booth.fair.status == FairStatus.DRAFT:
        return None
    return Target(booth.fair, booth)


def _activity_target(code: str) -> Target | None:
    """An approved promotion activity whose tracking code is `code` (any case), or None."""
    from marketplace.promotion.models import ActivityStatus, PromotionActivity

    activity = db.session.scalar(sa.select(PromotionActivity).where(PromotionActivity.tracking_code == code))
    if activity is None:
        activity = db.session.scalar(
            sa.select(PromotionActivity).where(sa.func.upper(PromotionActivity.tracking_code) == code)
        )
    if activity is None or activity.status != ActivityStatus.APPROVED:
        return None
    return Target(None, None, activity)


def credit(source) -> Credit | None:
    """What an order placed with `source` is credited to (orders.sources): its fair, and its
    booth when that booth is of the fair; None for a promotion activity's link, or when the
    fair is gone or still a draft."""
    if getattr(source, "fair_id", None) is None:
        return None
    fair = db.session.get(Fair, source.fair_id)
    if fair is None or fair.status == FairStatus.DRAFT:
        return None
    booth = db.session.get(Booth, source.booth_id) if getattr(source, "booth_id", None) else None
    if booth is not None and booth.fair_id != fair.id:
        booth = None
    return Credit("fair", (fair, booth), {"source_fair_id": fair.id, "source_booth_id": booth.id if booth else None})


def is_bot(user_agent: str | None) -> bool:
    return not user_agent or bool(_BOTS.search(user_agent))


def visitor_id(existing: str | None) -> str:
    """The browser's random visitor id, or a new one if it has none (or a malformed one)."""
    if existing and _VISITOR_ID.match(existing):
        return existing
    return secrets.token_urlsafe(18)


def record_visit(target: Target, visitor: str, now: datetime | None = None) -> FairVisit:
    visit = FairVisit(
        fair_id=target.fair.id,
        booth_id=target.booth.id if target.booth else None,
        visitor=visitor,
        created_at=now or utcnow(),
    )
    db.session.add(visit)
    db.session.flush()
    return visit


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="fair-source")


def encode_source(source: Source) -> str:
    values = [source.fair_id, source.booth_id, source.scanned_at.isoformat(timespec="seconds")]
    if source.activity_id is not None:
        values.append(source.activity_id)
    return _serializer().dumps(values)


def decode_source(value: str | None, now: datetime | None = None) -> Source | None:
    """The source a cookie holds, if its signature is good and its window not over."""
    if not value:
        return None
    try:
        fair_id, booth_id, scanned, *rest = _serializer().loads(value)
        activity_id = int(rest[0]) if rest and rest[0] is not None else None
        source = Source(
            int(fair_id) if fair_id is not None else None,
            int(booth_id) if booth_id is not None else None,
            datetime.fromisoformat(scanned),
            activity_id,
        )
        if source.fair_id is None and source.activity_id is None:
            return None
    except (BadSignature, TypeError, ValueError):
        return None
    now = now or utcnow()
    if source.scanned_at > now + timedelta(minutes=5):  # a clock from the future: ignore it
        return None
    if now - source.scanned_at >= timedelta(days=attribution_days()):
        return None
    return source


def current_source(now: datetime | None = None) -> Source | None:
    """What a /f/<code> scan stored for this browser, while the attribution window lasts
    (FAIR_ATTRIBUTION_DAYS days from the scan); None outside a request or without one."""
    if not has_request_context():
        return None
    return decode_source(request.cookies.get(SOURCE_COOKIE), now)


def remember(response, source: Source, visitor: str) -> None:
    """Set the source and visitor cookies on `response`."""
    secure = bool(current_app.config.get("SESSION_COOKIE_SECURE"))
    response.set_cookie(
        SOURCE_COOKIE,
        encode_source(source),
        max_age=attribution_days() * 86400,
        httponly=True,
        secure=secure,
        samesite="Lax",
    )
    response.set_cookie(
        VISITOR_COOKIE,
        visitor,
        max_age=VISITOR_COOKIE_DAYS * 86400,
        httponly=True,
        secure=secure,
        samesite="Lax",
    )
