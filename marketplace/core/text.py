"""Vietnamese text helpers: accent folding and URL slugs."""

from __future__ import annotations

import re
import unicodedata

# đ/Đ is a letter of its own, not d plus a combining mark, so NFD leaves it alone.
_SPECIAL = str.maketrans({"đ": "d", "Đ": "D"})


def fold_accents(text: str) -> str:
    """'Đường phèn Vải thiều' -> 'Duong phen Vai thieu'."""
    decomposed = unicodedata.normalize("NFD", text.translate(_SPECIAL))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def slugify(text: str, max_length: int = 80) -> str:
    """'Gà đồi Yên Thế' -> 'ga-doi-yen-the'."""
    folded = fold_accents(text).lower()
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    return slug[:max_length].rstrip("-") or "item"


def normalize_name(text: str) -> str:
    """Comparison key for names typed by people: case, accents and spacing ignored."""
    return " ".join(fold_accents(text).lower().split())
