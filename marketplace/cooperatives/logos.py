"""Cooperative logos: a thumbnail and a medium WebP copy under a random name
(core.images checks and re-encodes the upload), served by the media blueprint.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import BinaryIO

from flask_babel import gettext as _

from marketplace.core.errors import Refused
from marketplace.core.images import image_sizes, load_picture, new_stem, remove_copies, save_copies, upload_folder
from marketplace.extensions import db

logger = logging.getLogger(__name__)

LOGO_SIZES = ("thumb", "medium")


def logos_folder() -> Path:
    return upload_folder("logos")


def check_may_add_logo(cooperative, user) -> None:
    """Until an agency approves the cooperative, its managers upload photos only to its draft
    products (catalog.images), not a logo (staff may). Refused, on the logo field."""
    if cooperative.awaiting_approval and not user.is_admin:
        raise Refused(_("The logo can be added once the cooperative is approved."), field="logo")


def save_cooperative_logo(cooperative, stream: BinaryIO) -> str:
    """Store a new logo as `<stem>-thumb/medium.webp`; the old files are removed. Flushes."""
    picture = load_picture(stream)
    stem = new_stem()
    sizes = image_sizes()
    save_copies(picture, logos_folder(), stem, {name: sizes[name] for name in LOGO_SIZES})
    old = cooperative.logo_filename
    cooperative.logo_filename = stem
    db.session.flush()
    if old:
        remove_copies(logos_folder(), old, LOGO_SIZES)
    logger.info("Logo %s saved for cooperative %s", stem, cooperative.id)
    return stem
