"""Export cells guarded against spreadsheet formulas, and the import taking the guard off."""
from __future__ import annotations

import pytest

from marketplace.core.spreadsheet import safe_cell, unguarded


@pytest.mark.parametrize("text", ["=1+1", "+84912345678", "-5", "@SUM(A1)", "\t=1", "\r=1"])
def test_text_a_spreadsheet_would_run_gets_an_apostrophe_and_comes_back(text):
    assert safe_cell(text) == "'" + text
    assert unguarded(safe_cell(text)) == text


@pytest.mark.parametrize("value, cell", [(120_000, 120_000), (-3, -3), (None, ""), ("Vải thiều", "Vải thiều"),
                                         ("a=b", "a=b"), ("'quoted'", "'quoted'")])
def test_numbers_and_plain_text_are_left_as_they_are(value, cell):
    assert safe_cell(value) == cell
    if isinstance(cell, str):
        assert unguarded(cell) == cell
