"""Evidence files of promotion activities: photos (JPEG, PNG, WebP) and PDF minutes.

The type is checked by content, never by the name or the browser's word (core.files: Pillow
must read a photo as JPEG, PNG or WebP, and a PDF must start with the `%PDF-` signature).
Files are kept as sent (they are evidence) under UPLOAD_FOLDER/promotion with a random
name; the original file name is kept for the download. Only agency staff download them.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _

from marketplace.accounts.models import User
from marketplace.core import files
from marketplace.core.errors import Refused
from marketplace.core.models import utcnow
from marketplace.extensions import db
from marketplace.promotion import services
from marketplace.promotion.models import (
    ActivityEvidence,
    EvidenceKind,
    PromotionActivity,
)

logger = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = files.DEFAULT_MAX_BYTES


def folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "promotion"


def max_bytes() -> int:
    return int(current_app.config.get("PROMOTION_EVIDENCE_MAX_BYTES") or DEFAULT_MAX_BYTES)


def path_of(evidence: ActivityEvidence) -> Path:
    return folder() / evidence.stored_name


def add_evidence(activity: PromotionActivity, stream: BinaryIO, filename: str | None, user: User) -> ActivityEvidence:
    """Check and store an uploaded file; recorded in the history. Flushes, never commits."""
    if not services.can_edit(user, activity):
        raise Refused(_("Evidence can be added only by the organisers, while the activity is a draft or returned."))
    checked = files.read_checked(stream, filename, max_bytes())
    stored_name = checked.store(folder())
    evidence = ActivityEvidence(
        activity=activity,
        kind=EvidenceKind(checked.kind),
        stored_name=stored_name,
        original_filename=checked.filename,
        content_type=checked.content_type,
        size_bytes=len(checked.data),
        uploaded_by_id=user.id,
        uploaded_at=utcnow(),
    )
    db.session.add(evidence)
    services.record(activity, user, "evidence_added", "evidence", "", evidence.original_filename)
    db.session.flush()
    logger.info("Evidence %s added to promotion activity %s", stored_name, activity.id)
    return evidence


def delete_evidence(evidence: ActivityEvidence, user: User) -> None:
    activity = evidence.activity
    if not services.can_edit(user, activity):
        raise Refused(_("Evidence can be removed only by the organisers, while the activity is a draft or returned."))
    path = path_of(evidence)
    services.record(activity, user, "evidence_removed", "evidence", evidence.original_filename, "")
    activity.evidence.remove(evidence)
    db.session.flush()
    path.unlink(missing_ok=True)


def discard_file(stored_name: str) -> None:
    """A file written for an upload whose row was rolled back."""
    (folder() / stored_name).unlink(missing_ok=True)
