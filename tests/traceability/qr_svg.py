"""Read back the modules of an inline SVG QR code drawn by segno (scale 1, one path of
horizontal strokes), so a test can tell which URL a printed label's QR code encodes."""

from __future__ import annotations

import re

import segno

_COMMAND = re.compile(r"([Mmh])(-?[\d.]+)(?:\s(-?[\d.]+))?")


def dark_modules(svg: str) -> set[tuple[int, int]]:
    """(row, column) of every dark module, border included."""
    path = re.search(r'<path stroke="#000" d="([^"]+)"', svg).group(1)
    x = y = 0.0
    dark = set()
    for command, a, b in _COMMAND.findall(path):
        if command == "M":
            x, y = float(a), float(b)
        elif command == "m":
            x, y = x + float(a), y + float(b)
        else:  # h: a run of dark modules on the row y - 0.5
            for column in range(int(x), int(x + float(a))):
                dark.add((int(y - 0.5), column))
            x += float(a)
    return dark


def encodes(svg: str, url: str, border: int = 2) -> bool:
    """Whether `svg` is exactly the QR code (error correction M) of `url`."""
    expected = {
        (r + border, c + border)
        for r, row in enumerate(segno.make(url, error="m", micro=False).matrix)
        for c, module in enumerate(row)
        if module
    }
    return dark_modules(svg) == expected
