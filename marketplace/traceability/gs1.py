"""GS1 identifiers: GTINs (with their check digit) and GS1 Digital Link URIs of a batch.

A GTIN is 8, 12, 13 or 14 digits whose last digit is the GS1 check digit; we store and
compare it as 14 digits (GTIN-8/12/13 padded with zeros on the left, as GS1 does).

A batch's Digital Link is `https://<host>/01/<GTIN-14>/10/<lot>`: application identifier
(AI) 01 the GTIN, AI 10 the batch or lot number. A lot is 1 to 20 characters of the GS1 AI
encodable character set 82; in the URI every character outside the URI's unreserved set
(letters, digits, "-", ".", "_") is percent-encoded, as the GS1 Digital Link standard asks.
Parsing accepts any host and path prefix before /01/, ignores further AIs in the path
(/21/<serial>, …) and the query string (?17=YYMMDD, …).
"""

from __future__ import annotations

import re
import string
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

GTIN_LENGTHS = (8, 12, 13, 14)
LOT_MAX_LENGTH = 20
# GS1 AI encodable character set 82 (GS1 General Specifications, figure 7.11-1).
CSET82 = frozenset(string.ascii_letters + string.digits + "!\"%&'()*+,-./:;<=>?_")
_DIGITS = re.compile(r"^[0-9]+$")


class InvalidGtin(ValueError):
    """Not a GTIN: the message says why (in English; views show their own words)."""


class InvalidDigitalLink(ValueError):
    """Not a GS1 Digital Link of a product (and batch) that we can read."""


class DigitalLink(NamedTuple):
    gtin: str  # 14 digits
    lot: str | None  # the batch or lot number (AI 10), decoded; None when the link has none


def check_digit(digits: str) -> int:
    """The GS1 check digit of `digits` (a GTIN without its last digit): weights 3, 1, 3, …
    from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def normalise_gtin(value: str) -> str:
    """A GTIN-8, -12, -13 or -14 (spaces and dashes allowed between digits) as 14 digits;
    InvalidGtin when it is not one or its check digit is wrong."""
    text = re.sub(r"[\s-]", "", value or "")
    if not _DIGITS.match(text):
        raise InvalidGtin("A GTIN has only digits.")
    if len(text) not in GTIN_LENGTHS:
        raise InvalidGtin("A GTIN has 8, 12, 13 or 14 digits.")
    if check_digit(text[:-1]) != int(text[-1]):
        raise InvalidGtin("The GTIN's check digit is wrong.")
    return text.zfill(14)


def is_valid_gtin(value: str) -> bool:
    try:
        normalise_gtin(value)
    except InvalidGtin:
        return False
    return True


def is_valid_lot(lot: str) -> bool:
    """1 to 20 characters of the GS1 AI encodable character set 82."""
    return bool(lot) and len(lot) <= LOT_MAX_LENGTH and all(c in CSET82 for c in lot)


def encode_lot(lot: str) -> str:
    """The lot as a URI path segment: everything but letters, digits, "-", "." and "_" percent-encoded."""
    if not is_valid_lot(lot):
        raise ValueError(f"Not a GS1 lot: {lot!r}")
    return quote(lot, safe="")


def digital_link_path(gtin: str, lot: str | None = None) -> str:
    """`/01/<GTIN-14>` and `/10/<lot>` when there is a lot."""
    path = f"/01/{normalise_gtin(gtin)}"
    if lot is not None:
        path += f"/10/{encode_lot(lot)}"
    return path


def build_digital_link(host_url: str, gtin: str, lot: str | None = None) -> str:
    """`https://example.vn` + /01/<GTIN-14>/10/<lot>. `host_url` is a scheme and host
    (a trailing slash is dropped)."""
    return host_url.rstrip("/") + digital_link_path(gtin, lot)


def parse_digital_link(uri: str) -> DigitalLink:
    """The GTIN (14 digits) and lot of a GS1 Digital Link URI, or of its path alone.

    The path may start with a prefix of its own (`/shop/01/…`); AIs after the lot (`/21/…`)
    and the query (`?17=261231`) are ignored. InvalidDigitalLink when there is no /01/<gtin>,
    the GTIN is not one, or the lot is not a GS1 lot.
    """
    path = urlsplit(uri or "").path
    segments = path.split("/")
    try:
        start = segments.index("01")
    except ValueError:
        raise InvalidDigitalLink("No /01/<GTIN> in the link.") from None
    rest = segments[start + 1 :]
    if not rest or not rest[0]:
        raise InvalidDigitalLink("No GTIN after /01/.")
    try:
        gtin = normalise_gtin(rest[0])
    except InvalidGtin as error:
        raise InvalidDigitalLink(str(error)) from None
    if not _DIGITS.match(rest[0]):  # no spaces or dashes in a link
        raise InvalidDigitalLink("A GTIN has only digits.")
    lot = None
    if len(rest) >= 3 and rest[1] == "10":
        lot = unquote(rest[2], errors="strict") if _well_encoded(rest[2]) else None
        if lot is None or not is_valid_lot(lot):
            raise InvalidDigitalLink("The lot is not a GS1 batch or lot number.")
    elif len(rest) >= 2 and rest[1] == "10":
        raise InvalidDigitalLink("No lot after /10/.")
    return DigitalLink(gtin, lot)


_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def _well_encoded(segment: str) -> bool:
    if _PERCENT.search(segment):
        return False
    try:
        unquote(segment, errors="strict")
    except UnicodeDecodeError:
        return False
    return True
