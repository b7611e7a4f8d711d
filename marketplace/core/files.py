"""Documents people send to back what they say: photos (JPEG, PNG, WebP) and PDFs.

The type is checked by content, never by the name or the browser's word: Pillow must read a
photo as JPEG, PNG or WebP (and not too many pixels), and a PDF must start with the `%PDF-`
signature. Files are kept as sent (they are evidence) under a folder of UPLOAD_FOLDER with a
random name; the original file name is kept for the download. Used by promotion evidence and by
a cooperative's answer to a request for documents; the caller decides who may download.
"""

from __future__ import annotations

import io
import logging
import secrets
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _

from marketplace.core.errors import Refused

logger = logging.getLogger(__name__)

PHOTO, PDF = "photo", "pdf"
PHOTO_FORMATS = {"JPEG": ("jpg", "image/jpeg"), "PNG": ("png", "image/png"), "WEBP": ("webp", "image/webp")}
PDF_SIGNATURE = b"%PDF-"
MAX_PIXELS = 60_000_000
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class CheckedFile:
    """A file read and accepted, not yet stored."""

    data: bytes
    kind: str  # PHOTO or PDF
    extension: str
    content_type: str
    filename: str  # cleaned

    def store(self, folder: Path) -> str:
        """Write it under `folder` with a random name; returns that name."""
        stored_name = f"{secrets.token_hex(16)}.{self.extension}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / stored_name).write_bytes(self.data)
        return stored_name


def clean_filename(name: str | None) -> str:
    """The name the person's computer gave the file, without folders or control characters."""
    name = unicodedata.normalize("NFC", (name or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip()
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) <= 10 else name[:255]
    return name or "file"


def identify(data: bytes, field: str = "file") -> tuple[str, str, str]:
    """(kind, extension, content type) of an accepted file; Refused otherwise."""
    if data.startswith(PDF_SIGNATURE):
        return PDF, "pdf", "application/pdf"
    # Here, not at the top: Pillow is needed only when a photo is uploaded (see catalog.images).
    from PIL import Image, UnidentifiedImageError

    refusal = Refused(_("Only photos (JPEG, PNG or WebP) and PDF documents are accepted."), field=field)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in PHOTO_FORMATS:
                    raise refusal
                if probe.width * probe.height > MAX_PIXELS:
                    raise Refused(_("The photo has too many pixels."), field=field)
                probe.verify()
            with Image.open(io.BytesIO(data)) as picture:
                picture.load()
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(_("The photo has too many pixels."), field=field) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        logger.info("Rejected document upload: %s", error)
        raise refusal from None
    extension, content_type = PHOTO_FORMATS[probe.format]
    return PHOTO, extension, content_type


def read_checked(stream: BinaryIO, filename: str | None, limit: int, field: str = "file") -> CheckedFile:
    """Read at most `limit` bytes of an upload and check it; Refused (at `field`) when it is
    empty, too large or neither a photo nor a PDF. Changes nothing."""
    data = stream.read(limit + 1)
    if not data:
        raise Refused(_("The file is empty."), field=field)
    if len(data) > limit:
        raise Refused(
            _("The file is too large: at most %(size)s MB.", size=round(limit / (1024 * 1024), 1)), field=field
        )
    kind, extension, content_type = identify(data, field)
    return CheckedFile(data, kind, extension, content_type, clean_filename(filename))
