"""A promotion activity's own tracking link /f/<code> (like a fair's QR link).

Agency staff create it for an approved activity ("Create tracking link"); a scan remembers
the activity for the browser (fairs.attribution, Source.activity_id) and orders placed within
the attribution window store Order.source_activity_id, which the reports count as the
activity's measured sales; fairs.attribution reads the link, and `credit` (registered with
the orders' source hook by promotion.init_app) turns it into the order's credit. Codes share the fairs' alphabet and never collide with a fair's or
a booth's code.
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from flask_babel import gettext as _

from marketplace.core.errors import Refused
from marketplace.extensions import db
from marketplace.fairs.models import Booth, Fair
from marketplace.fairs.services import CODE_ALPHABET, CODE_LENGTH
from marketplace.orders.sources import Credit
from marketplace.promotion.models import ActivityStatus, PromotionActivity


def new_code() -> str:
    """A random code used by no fair, booth or activity."""
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        taken = (
            db.session.scalar(sa.select(Fair.id).where(Fair.code == code))
            or db.session.scalar(sa.select(Booth.id).where(Booth.code == code))
            or db.session.scalar(sa.select(PromotionActivity.id).where(PromotionActivity.tracking_code == code))
        )
        if not taken:
            return code


def credit(source) -> Credit | None:
    """What an order placed with `source` is credited to (orders.sources): the activity whose
    tracking link it holds; None for a fair's link, or when the activity is gone."""
    activity_id = getattr(source, "activity_id", None)
    if activity_id is None:
        return None
    activity = db.session.get(PromotionActivity, activity_id)
    return Credit("activity", activity, {"source_activity_id": activity.id}) if activity is not None else None


def create_tracking_link(activity: PromotionActivity, user=None) -> str:
    """Give an approved activity its tracking code (kept if it has one already); never commits."""
    if activity.status != ActivityStatus.APPROVED:
        raise Refused(_("Only an approved activity gets a tracking link."))
    if activity.tracking_code:
        return activity.tracking_code
    activity.tracking_code = new_code()
    from marketplace.promotion.services import record

    record(activity, user, "tracking_link", "tracking_code", "", activity.tracking_code)
    db.session.flush()
    return activity.tracking_code
