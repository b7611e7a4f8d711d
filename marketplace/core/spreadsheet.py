"""Cells of the CSV and XLSX files people open in a spreadsheet.

A text cell starting with = + - @ (or a tab or carriage return) is read by Excel,
LibreOffice and Google Sheets as a formula: a product name or a cooperative's
description could then run one on the computer of whoever opens an export
(CSV injection). CSV exports write such text with a leading apostrophe, which the
spreadsheets show as plain text; the importers take that apostrophe off again, so
an exported file imports back unchanged. XLSX cells carry their type, so there the
text is simply stored as text (append_xlsx_row), exactly as it reads.
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


def append_xlsx_row(sheet, values) -> None:
    """Append a row to an openpyxl sheet: whole numbers as numbers, everything else as text
    cells (openpyxl would store text starting with = as a formula)."""
    sheet.append(
        [
            value
            if isinstance(value, (int, float)) and not isinstance(value, bool)
            else ("" if value is None else str(value))
            for value in values
        ]
    )
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str):
            cell.data_type = "s"


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx_download(workbook, filename: str):
    """An openpyxl workbook as a download named `filename`, never cached (exports hold private figures)."""
    import io

    from flask import Response

    out = io.BytesIO()
    workbook.save(out)
    return Response(
        out.getvalue(),
        mimetype=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )
