"""Where the catalogue's public pages get a product's certificates and OCOP stars.

The certificates live above the catalogue (traceability); it registers its readers here in its
init_app. Without them (a catalogue alone) a product shows no certificate and its stored stars.
"""

from __future__ import annotations

from collections.abc import Callable

_readers: dict[str, Callable] = {}


def register(**readers: Callable) -> None:
    _readers.update(readers)


def for_product(product) -> tuple[list, int | None]:
    """The product's valid certificates today (its own, then its cooperative's) and the OCOP
    stars they give it (one query)."""
    reader = _readers.get("for_product")
    return reader(product) if reader else ([], product.ocop_stars)


def cooperative_certificates(cooperative) -> list:
    reader = _readers.get("cooperative_certificates")
    return reader(cooperative) if reader else []
