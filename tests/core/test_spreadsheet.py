"""Export cells guarded against spreadsheet formulas, and the import taking the guard off."""

from __future__ import annotations

import pytest

from marketplace.core.spreadsheet import append_xlsx_row, safe_cell, unguarded


@pytest.mark.parametrize("text", ["=1+1", "+84912345678", "-5", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe_and_comes_back(text):
    assert safe_cell(text) == "'" + text
    assert unguarded(safe_cell(text)) == text


@pytest.mark.parametrize(
    "value, cell",
    [(120_000, 120_000), (-3, -3), (None, ""), ("Vải thiều", "Vải thiều"), ("a=b", "a=b"), ("'quoted'", "'quoted'")],
)
def test_numbers_and_plain_text_are_left_as_they_are(value, cell):
    assert safe_cell(value) == cell
    if isinstance(cell, str):
        assert unguarded(cell) == cell


def test_xlsx_rows_keep_formula_like_text_as_text():
    from openpyxl import Workbook

    sheet = Workbook().active
    append_xlsx_row(sheet, ["=1+1", 120_000, None, "-5 kg"])

    cells = list(sheet[1])
    assert [c.value for c in cells] == ["=1+1", 120_000, "", "-5 kg"]
    assert [c.data_type for c in cells] == ["s", "n", "s", "s"]
