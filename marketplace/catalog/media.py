"""Serving uploaded pictures: only our own re-encoded WebP copies, by strict name."""

from __future__ import annotations

import re

from flask import Blueprint, abort, current_app, send_from_directory

from marketplace.catalog.images import products_folder
from marketplace.cooperatives.logos import LOGO_SIZES, logos_folder

bp = Blueprint("media", __name__, url_prefix="/media")

# Stems are secrets.token_hex(16); anything else (dots, slashes, "..") never reaches the disk.
STEM = re.compile(r"[0-9a-f]{32}")
ONE_YEAR = 365 * 24 * 3600


def _send(folder, stem: str, size: str, allowed) -> object:
    if not STEM.fullmatch(stem) or size not in allowed:
        abort(404)
    response = send_from_directory(
        folder, f"{stem}-{size}.webp", mimetype="image/webp", max_age=ONE_YEAR, conditional=True
    )
    # Names are random and never reused, so a copy can be cached for good.
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/products/<stem>-<size>.webp")
def image(stem: str, size: str):
    return _send(products_folder(), stem, size, current_app.config["IMAGE_SIZES"])


@bp.get("/logos/<stem>-<size>.webp")
def logo(stem: str, size: str):
    return _send(logos_folder(), stem, size, LOGO_SIZES)
