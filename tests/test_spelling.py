"""Vietnamese spelling is consistent: "Huỷ"/"huỷ" (cancel), never "Hủy"/"hủy"."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "marketplace" / "translations" / "vi" / "LC_MESSAGES"
# The tone mark on the "u"; the project writes "huỷ". A whole word: "thủy tinh" is right.
WRONG = re.compile(r"(?<!\w)hủy(?!\w)")


def _texts(value):
    if isinstance(value, (list, tuple)):
        return [text for text in value if text]
    return [value] if value else []


def _wrong(texts):
    return [text for text in texts if WRONG.search(unicodedata.normalize("NFC", text).casefold())]


def test_the_catalogue_spells_cancel_huy_with_the_mark_on_the_y():
    with open(CATALOG / "messages.po", "rb") as handle:
        po = read_po(handle, locale="vi")
    with open(CATALOG / "messages.mo", "rb") as handle:
        mo = read_mo(handle)
    po_texts = [text for message in po if message.id for text in _texts(message.string)]
    mo_texts = [text for message in mo if message.id for text in _texts(message.string)]
    assert _wrong(po_texts) == []
    assert _wrong(mo_texts) == []
    # The right spelling is really used, so the check above looks at real translations.
    assert any("Huỷ" in text for text in mo_texts)
    assert any("huỷ" in text for text in mo_texts)


def test_the_translation_sources_spell_huy_the_same_way():
    wrong = {}
    for path in sorted((ROOT / "i18n").glob("*.json")):
        values = json.loads(path.read_text(encoding="utf-8")).values()
        found = _wrong([text for value in values for text in _texts(value)])
        if found:
            wrong[path.name] = found
    assert wrong == {}, "Write Huỷ/huỷ, not Hủy/hủy"


def test_the_spelling_check_notices_the_other_spelling():
    assert _wrong(["Đã hủy"]) == ["Đã hủy"]
    assert _wrong([unicodedata.normalize("NFD", "Hủy đơn")]) != []
    assert _wrong(["Huỷ đơn", "Đã huỷ", "Chai thủy tinh", "HTX Thủy sản"]) == []
    assert _wrong(["HỦY ĐƠN"]) != []
