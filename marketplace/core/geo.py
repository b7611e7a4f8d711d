"""Vietnam's administrative units since the 2025 reform: province, then ward/commune.

The list comes from the maintained `vietnam-provinces` package, never typed by hand.
Units are stored by their official numeric codes; names are looked up for display.
"""
from __future__ import annotations

from functools import lru_cache

from vietnam_provinces import Province, ProvinceCode, Ward, WardCode

from marketplace.core.text import normalize_name

_PROVINCE_PREFIXES = ("thanh pho ", "tinh ")


@lru_cache(maxsize=1)
def _provinces() -> dict[int, Province]:
    return {int(p.code): p for p in Province.iter_all()}


@lru_cache(maxsize=1)
def _wards() -> dict[int, Ward]:
    return {int(w.code): w for w in Ward.iter_all()}


@lru_cache(maxsize=1)
def _wards_by_province() -> dict[int, list[Ward]]:
    grouped: dict[int, list[Ward]] = {}
    for ward in _wards().values():
        grouped.setdefault(int(ward.province_code), []).append(ward)
    for wards in grouped.values():
        wards.sort(key=lambda w: normalize_name(w.name))
    return grouped


def provinces() -> list[tuple[int, str]]:
    """(code, name) of every province, sorted as a Vietnamese reader expects."""
    return sorted(((c, p.name) for c, p in _provinces().items()), key=lambda cp: normalize_name(_short(cp[1])))


def wards(province_code: int) -> list[tuple[int, str]]:
    return [(int(w.code), w.name) for w in _wards_by_province().get(int(province_code), [])]


def province_name(code: int | None) -> str:
    province = _provinces().get(int(code)) if code is not None else None
    return province.name if province else ""


def ward_name(code: int | None) -> str:
    ward = _wards().get(int(code)) if code is not None else None
    return ward.name if ward else ""


def is_valid_province(code: int | None) -> bool:
    return code is not None and int(code) in _provinces()


def ward_belongs_to(ward_code: int | None, province_code: int | None) -> bool:
    ward = _wards().get(int(ward_code)) if ward_code is not None else None
    return ward is not None and province_code is not None and int(ward.province_code) == int(province_code)


def _short(name: str) -> str:
    key = normalize_name(name)
    for prefix in _PROVINCE_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def find_province(name: str) -> int | None:
    """'Bắc Ninh', 'Tỉnh Bắc Ninh' or 'bac ninh' -> code; None when unknown."""
    wanted = _short(name)
    for code, province in _provinces().items():
        if _short(province.name) == wanted:
            return code
    return None


def find_ward(province_code: int, name: str) -> int | None:
    """'Xã Lục Ngạn' or 'Lục Ngạn' within the province -> code; None when unknown or ambiguous."""
    wanted = normalize_name(name)
    exact = [w for w in _wards_by_province().get(int(province_code), []) if normalize_name(w.name) == wanted]
    if len(exact) == 1:
        return int(exact[0].code)
    bare = [
        w
        for w in _wards_by_province().get(int(province_code), [])
        if normalize_name(w.name).split(" ", 1)[-1] == wanted
    ]
    return int(bare[0].code) if len(bare) == 1 else None


def province_code_of_ward(ward_code: int) -> int | None:
    ward = _wards().get(int(ward_code))
    return int(ward.province_code) if ward else None


# Re-exported for type hints elsewhere.
__all__ = [
    "ProvinceCode",
    "WardCode",
    "find_province",
    "find_ward",
    "is_valid_province",
    "province_name",
    "provinces",
    "ward_belongs_to",
    "ward_name",
    "wards",
]
