"""Cells of the CSV and XLSX files people open in a spreadsheet.

A text cell starting with = + - @ (or a tab or carriage return) is read by Excel,
LibreOffice and Google Sheets as a formula: a product name or a cooperative's
description could then run one on the computer of whoever opens an export
(CSV injection). Exports write such text with a leading apostrophe, which the
spreadsheets show as plain text; the importers take that apostrophe off again, so
an exported file imports back unchanged.
"""
from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str | int:
    """An export cell: whole numbers as they are, None empty, text guarded against formulas."""
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unguarded(text: str) -> str:
    """An import cell as it was before safe_cell guarded it."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text
