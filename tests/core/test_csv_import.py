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
