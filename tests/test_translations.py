"""The Vietnamese catalogue covers every string of the UI, and the compiled file is current."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "marketplace" / "translations" / "vi" / "LC_MESSAGES"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
METHODS = [
    ("marketplace/**.py", "python"),
    ("templates/**.html", "jinja2"),
    ("templates/**.txt", "jinja2"),
]


def _wanted_directory(path: str) -> bool:
    # Babel's default filter also skips "_"-prefixed folders such as templates/_macros.
    return not Path(path).name.startswith(".")


def _source_messages() -> set[str]:
    found = set()
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), METHODS, keywords=KEYWORDS, directory_filter=_wanted_directory
    ):
        if filename.startswith(("tests", "bench", "tools")):
            continue
        found.add(message if isinstance(message, str) else message[0])
    return found


def _plain(value):
    """Plural forms come back as a tuple from .po files and a list from .mo files."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _catalog():
    with open(CATALOG / "messages.po", "rb") as handle:
        return read_po(handle, locale="vi")


def test_every_ui_string_has_a_vietnamese_translation():
    catalog = _catalog()
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and "fuzzy" not in m.flags
    }
    missing = sorted(_source_messages() - translated)
    assert missing == [], "Run tools/update-translations and translate: " + "; ".join(missing[:20])


def test_compiled_catalogue_matches_the_po_file():
    catalog = _catalog()
    with open(CATALOG / "messages.mo", "rb") as handle:
        compiled = read_mo(handle)
    expected = {_plain(m.id): _plain(m.string) for m in catalog if m.id and m.string}
    actual = {_plain(m.id): _plain(m.string) for m in compiled if m.id and m.string}
    assert actual == expected, "Run tools/update-translations to recompile messages.mo"
