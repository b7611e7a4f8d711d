"""Uploaded pictures: checked by content, re-encoded, resized (product photos, fair banners,
review photos, cooperative logos; each package stores its own in its folder).

Uploads are never stored as sent. Pillow must recognise the bytes as JPEG, PNG,
WebP or GIF; the picture is turned upright (EXIF), converted to RGB and saved as
WebP copies under random names, so nothing a user sends is ever served back as is.
Pillow is imported by the functions that decode or write a picture: every web process
imports this module (the media views serve the stored copies), few of them process one.
The products' and logos' own functions: catalog.images, cooperatives.logos.
"""

from __future__ import annotations

import io
import logging
import secrets
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from flask import current_app
from flask_babel import gettext as _

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
WEBP_QUALITY = 82


class ImageRejected(ValueError):
    """The upload is not a picture we accept; the message is shown to the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def image_sizes() -> dict[str, int]:
    return dict(current_app.config["IMAGE_SIZES"])


def upload_folder(name: str) -> Path:
    """Where pictures of one kind are stored: UPLOAD_FOLDER/<name>."""
    return Path(current_app.config["UPLOAD_FOLDER"]) / name


def new_stem() -> str:
    return secrets.token_hex(16)


def max_megapixels() -> int:
    """The most pixels a picture may have (MAX_IMAGE_MEGAPIXELS), in millions. Decoding costs
    time and memory in proportion to the pixels, not to the file's size: a 12 KB PNG of one
    colour may unpack into 40 million pixels (2 s, 300 MB). A photo of a product needs far fewer."""
    return int(current_app.config.get("MAX_IMAGE_MEGAPIXELS") or 25)


def _max_bytes() -> int:
    return int(
        current_app.config.get("MAX_IMAGE_BYTES") or current_app.config.get("MAX_CONTENT_LENGTH") or 8 * 1024 * 1024
    )


def load_picture(stream: BinaryIO) -> Image.Image:
    """Read, verify and decode an uploaded picture; raises ImageRejected with a clear message.

    The format and the size in pixels come from the header (Image.open reads nothing more):
    a picture with too many pixels is refused before a single one is decoded."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    limit = _max_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise ImageRejected(_("The file is empty."))
    if len(data) > limit:
        raise ImageRejected(_("The image is too large: at most %(size)s MB.", size=round(limit / (1024 * 1024), 1)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise ImageRejected(_("Only JPEG, PNG, WebP or GIF pictures are accepted."))
                if probe.width * probe.height > max_megapixels() * 1_000_000:
                    raise _too_many_pixels(probe.size)
                probe.verify()
            # verify() leaves the image unusable: open again and decode every pixel.
            picture = Image.open(io.BytesIO(data))
            picture.load()
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as error:
        logger.info("Rejected upload: %s", error)
        raise ImageRejected(
            _("This file is not a picture we can read (JPEG, PNG, WebP or GIF), or it is damaged.")
        ) from None
    try:
        picture = ImageOps.exif_transpose(picture)
    except Exception:  # a broken EXIF block should not lose the photo; keep it as stored
        logger.info("Ignored unreadable EXIF orientation")
    return picture.convert("RGB")


def _too_many_pixels(size: tuple[int, int] | None = None) -> ImageRejected:
    if size is None:  # Pillow's own bound (a bomb it caught before we could look)
        return ImageRejected(
            _("The picture has too many pixels (at most %(megapixels)s megapixels).", megapixels=max_megapixels())
        )
    return ImageRejected(
        _(
            "The picture is %(width)s × %(height)s pixels, more than the %(megapixels)s megapixels accepted. "
            "Make it smaller and send it again.",
            width=size[0],
            height=size[1],
            megapixels=max_megapixels(),
        )
    )


def save_copies(picture: Image.Image, folder: Path, stem: str, sizes: dict[str, int]) -> dict[str, tuple[int, int]]:
    """Save `<stem>-<size>.webp` copies no larger than each bound (never upscaled)."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    dimensions = {}
    written = []
    try:
        for name, bound in sizes.items():
            copy = picture.copy()
            copy.thumbnail((bound, bound), Image.Resampling.LANCZOS)
            path = folder / f"{stem}-{name}.webp"
            copy.save(path, "WEBP", quality=WEBP_QUALITY, method=4)
            written.append(path)
            dimensions[name] = copy.size
    except OSError:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return dimensions


def remove_copies(folder: Path, stem: str, names) -> None:
    for name in names:
        (folder / f"{stem}-{name}.webp").unlink(missing_ok=True)
