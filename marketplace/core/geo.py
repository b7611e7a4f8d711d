"""Vietnam's administrative units since the 2025 reform: province, then ward/commune.

The list comes from the maintained `vietnam-provinces` package, never typed by hand.
Units are stored by their official numeric codes; names are looked up for display.

Read from the package's JSON data file (its documented `NESTED_DIVISIONS_JSON_PATH`),
on first use, keeping codes and names only. Not through its Python objects: importing
the package builds a `WardCode` enum of all 3,321 wards, and any lookup
(`Province.from_code`, `Ward.from_code`, `Ward.iter_by_province`) loads the one module
that holds every ward as an object: about 5 MB in each web process, for a province
list and a cooperative's ward name.

`check_place` is the one rule for a province and ward a person chose (a delivery address,
a cooperative, a fair, an activity); `PlaceMessages` holds what they are told.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from marketplace.core.errors import Refused
from marketplace.core.text import normalize_name

_PROVINCE_PREFIXES = ("thanh pho ", "tinh ")


class _Ward(NamedTuple):
    name: str
    province_code: int


def data_file() -> Path:
    """`vietnam_provinces.NESTED_DIVISIONS_JSON_PATH`, found without importing the package."""
    spec = find_spec("vietnam_provinces")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("No module named 'vietnam_provinces'", name="vietnam_provinces")
    return Path(spec.submodule_search_locations[0]) / "data" / "nested-divisions.json"


@lru_cache(maxsize=1)
def _divisions() -> tuple[dict[int, str], dict[int, _Ward]]:
    """{province code: name} and {ward code: (name, province code)}, in the package's order."""
    provinces: dict[int, str] = {}
    wards: dict[int, _Ward] = {}
    for code, name, units in json.loads(data_file().read_bytes(), object_pairs_hook=_unit):
        provinces[code] = name
        for ward_code, ward, _ in units:
            wards[ward_code] = _Ward(ward, code)
    return provinces, wards


def _unit(pairs: list[tuple[str, object]]) -> tuple:
    """One unit of the file as (code, name, its wards or None), its other fields dropped as
    they are read: the file parsed into dicts would leave ~1.3 MB more behind in the process."""
    fields = dict(pairs)
    return fields["code"], fields["name"], fields.get("wards")


def _provinces() -> dict[int, str]:
    return _divisions()[0]


def _wards() -> dict[int, _Ward]:
    return _divisions()[1]


@lru_cache(maxsize=1)
def _wards_by_province() -> dict[int, list[tuple[int, str]]]:
    grouped: dict[int, list[tuple[int, str]]] = {}
    for code, ward in _wards().items():
        grouped.setdefault(ward.province_code, []).append((code, ward.name))
    for wards_ in grouped.values():
        wards_.sort(key=lambda cw: normalize_name(cw[1]))
    return grouped


def provinces() -> list[tuple[int, str]]:
    """(code, name) of every province, sorted as a Vietnamese reader expects."""
    return sorted(_provinces().items(), key=lambda cp: normalize_name(_short(cp[1])))


def wards(province_code: int) -> list[tuple[int, str]]:
    return list(_wards_by_province().get(int(province_code), []))


def province_name(code: int | None) -> str:
    return _provinces().get(int(code), "") if code is not None else ""


def ward_name(code: int | None) -> str:
    ward = _wards().get(int(code)) if code is not None else None
    return ward.name if ward else ""


def is_valid_province(code: int | None) -> bool:
    return code is not None and int(code) in _provinces()


def ward_belongs_to(ward_code: int | None, province_code: int | None) -> bool:
    ward = _wards().get(int(ward_code)) if ward_code is not None else None
    return ward is not None and province_code is not None and ward.province_code == int(province_code)


@dataclass(frozen=True)
class PlaceMessages:
    """What `check_place` tells a person, for each way a place can be wrong."""

    no_province: str = _l("Choose a province.")
    unknown_province: str = _l("Choose a province from the list.")
    no_ward: str = _l("Choose a ward or commune.")
    ward_without_province: str = _l("Choose the province first.")
    ward_elsewhere: str = _l("Choose a ward or commune of that province.")


PLACE_MESSAGES = PlaceMessages()
# A delivery address (saved or typed at checkout): one message per field, whatever is wrong.
ADDRESS_MESSAGES = PlaceMessages(
    unknown_province=_l("Choose a province."), no_ward=_l("Choose a ward or commune of that province.")
)


def check_place(
    province: int | None, ward: int | None, *, required: bool = False, messages: PlaceMessages = PLACE_MESSAGES
) -> tuple[int | None, int | None]:
    """The province and ward codes to store, or Refused naming `province_code` or `ward_code`.

    With `required` both must be chosen (a delivery address, a cooperative). Otherwise both may
    be left empty (an online activity, a class held in several places), but a ward needs its
    province. The province is checked before the ward.
    """
    if province is None:
        if required:
            raise Refused(str(messages.no_province), field="province_code")
        if ward is not None:
            raise Refused(str(messages.ward_without_province), field="province_code")
        return None, None
    if not is_valid_province(province):
        raise Refused(str(messages.unknown_province), field="province_code")
    if ward is None:
        if required:
            raise Refused(str(messages.no_ward), field="ward_code")
        return int(province), None
    if not ward_belongs_to(ward, province):
        raise Refused(str(messages.ward_elsewhere), field="ward_code")
    return int(province), int(ward)


def _short(name: str) -> str:
    key = normalize_name(name)
    for prefix in _PROVINCE_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def find_province(name: str) -> int | None:
    """'Bắc Ninh', 'Tỉnh Bắc Ninh' or 'bac ninh' -> code; None when unknown."""
    wanted = _short(name)
    for code, province in _provinces().items():
        if _short(province) == wanted:
            return code
    return None


def find_ward(province_code: int, name: str) -> int | None:
    """'Xã Lục Ngạn' or 'Lục Ngạn' within the province -> code; None when unknown or ambiguous."""
    wanted = normalize_name(name)
    in_province = _wards_by_province().get(int(province_code), [])
    exact = [code for code, ward in in_province if normalize_name(ward) == wanted]
    if len(exact) == 1:
        return exact[0]
    bare = [code for code, ward in in_province if normalize_name(ward).split(" ", 1)[-1] == wanted]
    return bare[0] if len(bare) == 1 else None


def province_code_of_ward(ward_code: int) -> int | None:
    ward = _wards().get(int(ward_code))
    return ward.province_code if ward else None


__all__ = [
    "ADDRESS_MESSAGES",
    "PLACE_MESSAGES",
    "PlaceMessages",
    "check_place",
    "find_province",
    "find_ward",
    "is_valid_province",
    "province_code_of_ward",
    "province_name",
    "provinces",
    "ward_belongs_to",
    "ward_name",
    "wards",
]
