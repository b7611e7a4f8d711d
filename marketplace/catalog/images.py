"""Product photos: stored as WebP copies in the products folder (core.images checks and
re-encodes them), ordered, removed with their files. Fair banners and review photos are
stored beside them (`store_picture`) and served by the same media route.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _

from marketplace.catalog.models import Product, ProductImage, ProductStatus
from marketplace.core.errors import Refused
from marketplace.core.images import image_sizes, load_picture, new_stem, remove_copies, save_copies, upload_folder
from marketplace.extensions import db

logger = logging.getLogger(__name__)


def products_folder() -> Path:
    return upload_folder("products")


def store_picture(stream: BinaryIO) -> tuple[str, tuple[int, int]]:
    """Check a picture and store its copies in the products folder, at every size: its stem
    and the (width, height) of its largest copy. Raises core.images.ImageRejected."""
    picture = load_picture(stream)
    stem = new_stem()
    sizes = image_sizes()
    dimensions = save_copies(picture, products_folder(), stem, sizes)
    return stem, dimensions[max(sizes, key=sizes.get)]


def check_may_add_photos(product: Product, user) -> None:
    """Nobody has vetted a cooperative awaiting approval yet: its managers add photos only to
    its draft products, which they are preparing (staff to any). Refused, on the photos field."""
    if user.is_admin or not product.cooperative.awaiting_approval:
        return
    if product.status != ProductStatus.DRAFT:
        raise Refused(
            _("While the cooperative awaits approval, photos can be added only to draft products."), field="photos"
        )


def add_product_image(product: Product, stream: BinaryIO, alt_text: str) -> ProductImage:
    """Check and store a photo as the product's last image. Flushes; the caller commits."""
    stem, (width, height) = store_picture(stream)
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
    remove_copies(products_folder(), stem, image_sizes())
    logger.info("Image %s deleted", stem)


def discard_product_files(stems) -> None:
    """Files written for photos whose rows were rolled back."""
    for stem in stems:
        remove_copies(products_folder(), stem, image_sizes())


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
