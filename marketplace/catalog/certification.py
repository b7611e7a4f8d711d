"""Where the catalogue's public pages get a product's certificates and OCOP stars.

The certificates live above the catalogue (traceability); it registers its readers here in its
init_app. Without them (a catalogue alone) a product shows no certificate and its stored stars.
"""

from __future__ import annotations

from collections.abc import Callable

_readers: dict[str, Callable] = {}


def register(**readers: Callable) -> None:
    _readers.update(readers)


def certificates(product) -> list:
    """The product's valid certificates (its own, then its cooperative's), today."""
    reader = _readers.get("certificates")
    return reader(product) if reader else []


def cooperative_certificates(cooperative) -> list:
    reader = _readers.get("cooperative_certificates")
    return reader(cooperative) if reader else []


def ocop_stars(product) -> int | None:
    """The OCOP stars a valid certificate gives the product today."""
    reader = _readers.get("ocop_stars")
    return reader(product) if reader else product.ocop_stars
