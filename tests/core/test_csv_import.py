"""RowCheck.place: the province and ward columns of both importers, read by name."""

from __future__ import annotations

import pytest

from marketplace.core import geo
from marketplace.core.csv_import import RowCheck

BAC_NINH = geo.find_province("Bắc Ninh")


def place(province: str, ward: str, *, required: bool):
    cells = RowCheck({"province": province, "ward": ward})
    codes = cells.place(required=required)
    return codes, [(e.column, e.message) for e in cells.errors]


def test_names_become_codes():
    assert place("Tỉnh Bắc Ninh", "Lục Ngạn", required=True) == ((BAC_NINH, geo.find_ward(BAC_NINH, "Xã Lục Ngạn")), [])
    assert place("", "", required=False) == ((None, None), [])


@pytest.mark.parametrize(
    ("province", "ward", "required", "errors"),
    [
        ("", "Lục Ngạn", True, [("province", "a value is required")]),
        ("", "Lục Ngạn", False, [("province", "a ward needs its province")]),
        ("Atlantis", "Lục Ngạn", False, [("province", "unknown province Atlantis")]),
        ("Bắc Ninh", "Phường Ba Đình", True, [("ward", "Phường Ba Đình is not a ward or commune of Bắc Ninh")]),
        ("Bắc Ninh", "", True, [("ward", "a value is required")]),
    ],
)
def test_each_problem_is_reported_once_in_its_column(province, ward, required, errors):
    assert place(province, ward, required=required)[1] == errors


def test_a_nul_character_is_its_cells_problem_and_the_other_rows_are_still_read():
    from marketplace.core.csv_import import CsvFile, ImportFailed, ImportProblem, check_rows

    file = CsvFile("name,stock\nVải,1\nMật\x00ong,2\nChè,3\n", ["name", "stock"])

    records = list(file.records())

    assert [r["name"] for r in records if not isinstance(r, ImportProblem)] == ["Vải", "Chè"]
    assert [(p.row, p.column, p.message) for p in records if isinstance(p, ImportProblem)] == [
        (3, "name", "contains a NUL character")
    ]
    with pytest.raises(ImportFailed) as failed:
        check_rows(file, lambda row: None)
    assert [(p.row, p.column) for p in failed.value.problems] == [(3, "name")]


@pytest.mark.parametrize("cell", [str(2**31), "9" * 40, "9" * 5000])
def test_a_whole_number_past_an_integer_column_is_refused_without_a_maximum_given(cell):
    cells = RowCheck({"stock": cell})
    assert cells.whole_number("stock") is None
    assert [(e.column, e.message) for e in cells.errors] == [("stock", f"must be at most {2**31 - 1}")]
