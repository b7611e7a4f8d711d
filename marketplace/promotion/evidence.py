"""Evidence files of promotion activities: photos (JPEG, PNG, WebP) and PDF minutes.

The type is checked by content, never by the name or the browser's word: Pillow must
read a photo as JPEG, PNG or WebP, and a PDF must start with the `%PDF-` signature.
Files are kept as sent (they are evidence) under UPLOAD_FOLDER/promotion with a random
name; the original file name is kept for the download. Only agency staff download them.
"""

from __future__ import annotations

import io
import logging
import secrets
import unicodedata
import warnings
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _

from marketplace.accounts.models import User
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

PHOTO_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
PDF_SIGNATURE = b"%PDF-"
MAX_PIXELS = 60_000_000
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


def folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "promotion"


def max_bytes() -> int:
    return int(current_app.config.get("PROMOTION_EVIDENCE_MAX_BYTES") or DEFAULT_MAX_BYTES)


def path_of(evidence: ActivityEvidence) -> Path:
    return folder() / evidence.stored_name


def clean_filename(name: str | None) -> str:
    """The name the person's computer gave the file, without folders or control characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name or "file"


def _identify(data: bytes) -> tuple[EvidenceKind, str, str]:
    """(kind, extension, content type) of an accepted file; Refused otherwise."""
    if data.startswith(PDF_SIGNATURE):
        return EvidenceKind.PDF, "pdf", "application/pdf"
    # Here, not at the top: Pillow is needed only when a photo is uploaded (see catalog.images).
    from PIL import Image, UnidentifiedImageError

    refusal = Refused(_("Only photos (JPEG, PNG or WebP) and PDF documents are accepted."), field="file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in PHOTO_FORMATS:
                    raise refusal
                if probe.width * probe.height > MAX_PIXELS:
                    raise Refused(_("The photo has too many pixels."), field="file")
                probe.verify()
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(_("The photo has too many pixels."), field="file") from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        logger.info("Rejected evidence upload: %s", error)
        raise refusal from None
    extension, content_type = PHOTO_FORMATS[probe.format]
    return EvidenceKind.PHOTO, extension, content_type


def add_evidence(activity: PromotionActivity, stream: BinaryIO, filename: str | None, user: User) -> ActivityEvidence:
    """Check and store an uploaded file; recorded in the history. Flushes, never commits."""
    if not services.can_edit(user, activity):
        raise Refused(_("Evidence can be added only by the organisers, while the activity is a draft or returned."))
    limit = max_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise Refused(_("The file is empty."), field="file")
    if len(data) > limit:
        raise Refused(
            _("The file is too large: at most %(size)s MB.", size=round(limit / (1024 * 1024), 1)), field="file"
        )
    kind, extension, content_type = _identify(data)
    stored_name = f"{secrets.token_hex(16)}.{extension}"
    folder().mkdir(parents=True, exist_ok=True)
    (folder() / stored_name).write_bytes(data)
    evidence = ActivityEvidence(
        activity=activity,
        kind=kind,
        stored_name=stored_name,
        original_filename=clean_filename(filename),
        content_type=content_type,
        size_bytes=len(data),
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
