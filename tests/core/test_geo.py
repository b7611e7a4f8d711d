"""Provinces and wards, read from vietnam-provinces' data file: the same as the package's own objects."""

from __future__ import annotations

import pytest
import vietnam_provinces
from vietnam_provinces import Province, Ward

from marketplace.core import geo
from marketplace.core.errors import Refused
from marketplace.core.text import normalize_name


def test_the_data_file_is_the_one_the_package_documents():
    assert geo.data_file() == vietnam_provinces.NESTED_DIVISIONS_JSON_PATH


def test_provinces_are_the_packages_sorted_for_a_vietnamese_reader():
    expected = sorted(
        ((int(p.code), p.name) for p in Province.iter_all()),
        key=lambda cp: normalize_name(cp[1]).removeprefix("thanh pho ").removeprefix("tinh "),
    )
    assert geo.provinces() == expected
    assert len(expected) == 34
    for code, name in expected:
        assert geo.province_name(code) == name
        assert geo.is_valid_province(code)
        assert geo.find_province(name) == code


def test_every_ward_is_the_packages_with_its_province():
    by_province: dict[int, list[tuple[int, str]]] = {}
    for ward in Ward.iter_all():
        code, province = int(ward.code), int(ward.province_code)
        assert geo.ward_name(code) == ward.name
        assert geo.province_code_of_ward(code) == province
        assert geo.ward_belongs_to(code, province)
        by_province.setdefault(province, []).append((code, ward.name))
    for province, wards in by_province.items():
        # A stable sort of the package's order: wards with the same folded name keep theirs.
        assert geo.wards(province) == sorted(wards, key=lambda cw: normalize_name(cw[1]))


def test_unknown_codes_and_names():
    bac_ninh = geo.find_province("bac ninh")
    ba_dinh = geo.find_ward(geo.find_province("Hà Nội"), "Phường Ba Đình")
    assert bac_ninh == geo.find_province("Tỉnh Bắc Ninh") and ba_dinh is not None
    assert not geo.ward_belongs_to(ba_dinh, bac_ninh)
    assert geo.find_ward(bac_ninh, "Phường Ba Đình") is None
    assert geo.find_province("Atlantis") is None
    assert (geo.province_name(None), geo.ward_name(None), geo.province_name(99), geo.ward_name(99_999)) == ("",) * 4
    assert not geo.is_valid_province(None) and not geo.is_valid_province(99)
    assert geo.wards(99) == [] and geo.province_code_of_ward(99_999) is None
    assert not geo.ward_belongs_to(None, bac_ninh) and not geo.ward_belongs_to(ba_dinh, None)


@pytest.mark.parametrize("name", ["Xã Lục Ngạn", "Lục Ngạn", "xa luc ngan", "LỤC NGẠN"])
def test_find_ward_by_full_or_bare_name(name):
    bac_ninh = geo.find_province("Bắc Ninh")
    assert geo.ward_name(geo.find_ward(bac_ninh, name)) == "Xã Lục Ngạn"


def test_wards_returns_a_list_of_its_own():
    bac_ninh = geo.find_province("Bắc Ninh")
    geo.wards(bac_ninh).clear()
    assert geo.wards(bac_ninh)


BAC_NINH = geo.find_province("Bắc Ninh")
LUC_NGAN = geo.find_ward(BAC_NINH, "Lục Ngạn")
BA_DINH = geo.find_ward(geo.find_province("Hà Nội"), "Phường Ba Đình")


@pytest.mark.parametrize(
    ("province", "ward", "required", "refused"),
    [
        (None, None, True, ("province_code", "Choose a province.")),
        (99, LUC_NGAN, True, ("province_code", "Choose a province from the list.")),
        (BAC_NINH, None, True, ("ward_code", "Choose a ward or commune.")),
        (BAC_NINH, BA_DINH, True, ("ward_code", "Choose a ward or commune of that province.")),
        (BAC_NINH, 99_999, False, ("ward_code", "Choose a ward or commune of that province.")),
        (None, LUC_NGAN, False, ("province_code", "Choose the province first.")),
        (99, None, False, ("province_code", "Choose a province from the list.")),
    ],
)
def test_check_place_names_the_field_to_correct(province, ward, required, refused):
    with pytest.raises(Refused) as caught:
        geo.check_place(province, ward, required=required)
    assert (caught.value.field, caught.value.message) == refused


def test_check_place_returns_the_codes_to_store():
    assert geo.check_place(BAC_NINH, LUC_NGAN, required=True) == (BAC_NINH, LUC_NGAN)
    assert geo.check_place(BAC_NINH, None) == (BAC_NINH, None)
    assert geo.check_place(None, None) == (None, None)


@pytest.mark.parametrize(
    ("province", "ward", "refused"),
    [
        (99, LUC_NGAN, ("province_code", "Choose a province.")),
        (BAC_NINH, None, ("ward_code", "Choose a ward or commune of that province.")),
    ],
)
def test_a_delivery_address_says_one_thing_per_field(province, ward, refused):
    with pytest.raises(Refused) as caught:
        geo.check_place(province, ward, required=True, messages=geo.ADDRESS_MESSAGES)
    assert (caught.value.field, caught.value.message) == refused
