"""Product photos and cooperative logos: checked by content, re-encoded, resized.

Uploads are never stored as sent. Pillow must recognise the bytes as JPEG, PNG,
WebP or GIF; the picture is turned upright (EXIF), converted to RGB and saved as
WebP copies under random names, so nothing a user sends is ever served back as is.
Pillow is imported by the functions that decode or write a picture: every web process
imports this module (the media views serve the stored copies), few of them process one.
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

from marketplace.catalog.models import Product, ProductImage
from marketplace.extensions import db

if TYPE_CHECKING:
    from PIL import Image

logger = logging.getLogger(__name__)

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP", "GIF"}
# A decompression bomb (a tiny file that unpacks into a huge bitmap) is refused early.
MAX_PIXELS = 40_000_000
LOGO_SIZES = ("thumb", "medium")
WEBP_QUALITY = 82


class ImageRejected(ValueError):
    """The upload is not a picture we accept; the message is shown to the person."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def image_sizes() -> dict[str, int]:
    return dict(current_app.config["IMAGE_SIZES"])


def products_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "products"


def logos_folder() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"]) / "logos"


def new_stem() -> str:
    return secrets.token_hex(16)


def _max_bytes() -> int:
    return int(current_app.config.get("MAX_IMAGE_BYTES") or current_app.config.get("MAX_CONTENT_LENGTH") or 8 * 1024 * 1024)


def load_picture(stream: BinaryIO) -> Image.Image:
    """Read, verify and decode an uploaded picture; raises ImageRejected with a clear message."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    limit = _max_bytes()
    data = stream.read(limit + 1)
    if not data:
        raise ImageRejected(_("The file is empty."))
    if len(data) > limit:
        raise ImageRejected(
            _("The image is too large: at most %(size)s MB.", size=round(limit / (1024 * 1024), 1))
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.format not in ALLOWED_FORMATS:
                    raise ImageRejected(_("Only JPEG, PNG, WebP or GIF pictures are accepted."))
                if probe.width * probe.height > MAX_PIXELS:
                    raise _too_many_pixels()
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


def _too_many_pixels() -> ImageRejected:
    return ImageRejected(
        _("The picture has too many pixels (at most %(megapixels)s megapixels).", megapixels=MAX_PIXELS // 1_000_000)
    )


def _save_copies(picture: Image.Image, folder: Path, stem: str, sizes: dict[str, int]) -> dict[str, tuple[int, int]]:
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


def _remove_copies(folder: Path, stem: str, names) -> None:
    for name in names:
        (folder / f"{stem}-{name}.webp").unlink(missing_ok=True)


def add_product_image(product: Product, stream: BinaryIO, alt_text: str) -> ProductImage:
    """Check and store a photo as the product's last image. Flushes; the caller commits."""
    picture = load_picture(stream)
    stem = new_stem()
    sizes = image_sizes()
    dimensions = _save_copies(picture, products_folder(), stem, sizes)
    largest = max(sizes, key=sizes.get)
    width, height = dimensions[largest]
    position = max((i.position for i in product.images), default=-1) + 1
    image = ProductImage(
        product=product,
        stem=stem,
        alt_text=(alt_text or product.name or "").strip()[:200],
        position=position,
        width=width,
        height=height,
    )
    db.session.add(image)
    db.session.flush()
    logger.info("Image %s added to product %s", stem, product.id)
    return image


def delete_product_image(image: ProductImage) -> None:
    """Remove the row and its files. Files go at once: an orphan row is worse than a missing file."""
    product = image.product
    stem = image.stem
    if product is not None and image in product.images:
        product.images.remove(image)
    db.session.delete(image)
    db.session.flush()
    _remove_copies(products_folder(), stem, image_sizes())
    logger.info("Image %s deleted", stem)


def discard_product_files(stems) -> None:
    """Files written for photos whose rows were rolled back."""
    for stem in stems:
        _remove_copies(products_folder(), stem, image_sizes())


def move_image(image: ProductImage, direction: str) -> bool:
    """Swap with the previous ("up") or next ("down") photo. Returns False when it cannot move."""
    if direction not in ("up", "down"):
        raise ValueError(direction)
    ordered = sorted(image.product.images, key=lambda i: (i.position, i.id))
    index = ordered.index(image)
    other = index - 1 if direction == "up" else index + 1
    if other < 0 or other >= len(ordered):
        return False
    ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    db.session.flush()
    db.session.expire(image.product, ["images"])
    return True


def save_cooperative_logo(cooperative, stream: BinaryIO) -> str:
    """Store a new logo as `<stem>-thumb/medium.webp`; the old files are removed. Flushes."""
    picture = load_picture(stream)
    stem = new_stem()
    sizes = image_sizes()
    _save_copies(picture, logos_folder(), stem, {name: sizes[name] for name in LOGO_SIZES})
    old = cooperative.logo_filename
    cooperative.logo_filename = stem
    db.session.flush()
    if old:
        _remove_copies(logos_folder(), old, LOGO_SIZES)
    logger.info("Logo %s saved for cooperative %s", stem, cooperative.id)
    return stem
