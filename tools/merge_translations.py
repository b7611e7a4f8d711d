"""Fill empty msgstr entries of a .po catalogue from JSON files {"msgid": "translation"}.

Usage: python tools/merge_translations.py CATALOG.po i18n/a.json i18n/b.json ...
Existing translations in the catalogue win; JSON only fills gaps.
Prints the msgids that are still untranslated.
"""

from __future__ import annotations

import json
import sys

from babel.messages.pofile import read_po, write_po


def main(catalog_path: str, json_paths: list[str]) -> int:
    with open(catalog_path, "rb") as handle:
        catalog = read_po(handle, locale="vi")
    known: dict[str, str] = {}
    for path in json_paths:
        with open(path, encoding="utf-8") as handle:
            known.update(json.load(handle))
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if isinstance(message.id, tuple):
            if not all(message.string) and key in known:
                value = known[key]
                message.string = tuple(value if isinstance(value, str) else value[0] for _ in message.string)
        elif not message.string and key in known:
            message.string = known[key]
        if not (all(message.string) if isinstance(message.string, tuple) else message.string):
            missing.append(key)
        message.flags.discard("fuzzy")
    with open(catalog_path, "wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    for key in missing:
        print(f"untranslated: {key!r}")
    print(f"{len(missing)} untranslated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2:]))
