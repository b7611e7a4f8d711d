"""Printable posters for a fair and its booths: a QR code of the short link /f/<code>.

Two formats: a PNG (A4 portrait at 150 dpi, drawn with Pillow, the QR code by segno)
and an HTML page with the QR code as inline SVG for printing from the browser.
The PNG needs a font with Vietnamese letters: DejaVu Sans or Liberation Sans from the
system (Debian's fonts-dejavu-core), else Pillow's own font.
segno and Pillow are imported where a poster is drawn: every web process imports this
module (the short-link views), few of them draw a poster.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from flask import url_for
from flask_babel import gettext as _
from markupsafe import Markup, escape

from marketplace.core.formatting import format_day
from marketplace.fairs.models import Booth, Fair

if TYPE_CHECKING:
    from PIL import ImageDraw

WIDTH, HEIGHT = 1240, 1754  # A4 at 150 dpi
MARGIN = 90
FONT_CANDIDATES = {
    False: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf",
        "DejaVuSans.ttf",
        "Arial.ttf",
    ),
    True: (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf",
        "DejaVuSans-Bold.ttf",
        "Arial Bold.ttf",
    ),
}


@dataclass(frozen=True)
class Poster:
    """What a poster says."""

    code: str
    url: str  # the absolute short link in the QR code
    fair_name: str
    dates: str
    venue: str
    booth_number: str | None
    cooperative_name: str | None
    call_to_action: str


def short_url(code: str) -> str:
    return url_for("fair_links.follow", code=code, _external=True)


def _dates(fair: Fair) -> str:
    first, last = format_day(fair.starts_at), format_day(fair.ends_at)
    return first if first == last else f"{first} – {last}"


def fair_poster(fair: Fair) -> Poster:
    return Poster(
        code=fair.code,
        url=short_url(fair.code),
        fair_name=fair.name,
        dates=_dates(fair),
        venue=fair.venue or "",
        booth_number=None,
        cooperative_name=None,
        call_to_action=_("Scan to see the fair's booths and products"),
    )


def booth_poster(booth: Booth) -> Poster:
    return Poster(
        code=booth.code,
        url=short_url(booth.code),
        fair_name=booth.fair.name,
        dates=_dates(booth.fair),
        venue=booth.fair.venue or "",
        booth_number=booth.number or "",
        cooperative_name=booth.cooperative.name,
        call_to_action=_("Scan to see this booth's products and order online"),
    )


def qr_svg(poster: Poster) -> Markup:
    import segno

    label = _("QR code of %(url)s", url=poster.url)
    svg = segno.make(poster.url, error="q").svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        title=label,
        svgclass="poster-qr",
        lineclass=None,
        dark="#000",
        light="#fff",
    )
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(label)}" ', 1))


@lru_cache(maxsize=32)
def _font(size: int, bold: bool = False):
    from PIL import ImageFont

    for path in FONT_CANDIDATES[bold]:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size)


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list[str]:
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if not line or draw.textlength(candidate, font=font) <= width:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _centred(draw, y: int, text: str, size: int, *, bold: bool = False, fill="#000", max_lines: int = 3) -> int:
    """Draw `text` centred and wrapped from `y`, shrinking it to fit `max_lines`; returns the next y."""
    while True:
        font = _font(size, bold)
        lines = _wrap(draw, text, font, WIDTH - 2 * MARGIN)
        if len(lines) <= max_lines or size <= 20:
            break
        size -= 4
    for line in lines[:max_lines]:
        draw.text((WIDTH // 2, y), line, font=font, fill=fill, anchor="ma")
        y += int(size * 1.25)
    return y


def poster_png(poster: Poster) -> bytes:
    import segno
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 30), fill="#0b6b3a")
    y = 90
    y = _centred(draw, y, poster.fair_name, 64, bold=True)
    y = _centred(draw, y + 10, " · ".join(p for p in (poster.dates, poster.venue) if p), 34, fill="#333", max_lines=2)
    if poster.booth_number is not None:
        y = _centred(draw, y + 40, _("Booth %(number)s", number=poster.booth_number), 110, bold=True, max_lines=1)
        y = _centred(draw, y + 10, poster.cooperative_name or "", 52, bold=True, fill="#0b6b3a")
    qr_buffer = io.BytesIO()
    segno.make(poster.url, error="q").save(qr_buffer, kind="png", scale=1, border=4)
    qr_buffer.seek(0)
    qr = Image.open(qr_buffer).convert("RGB")
    footer = 300
    side = min(WIDTH - 2 * MARGIN, HEIGHT - footer - (y + 40))
    side -= side % qr.width  # whole pixels per module: sharp edges
    qr = qr.resize((side, side), Image.NEAREST)
    image.paste(qr, ((WIDTH - side) // 2, y + 40))
    y = y + 40 + side + 20
    y = _centred(draw, y, poster.call_to_action, 40, bold=True, max_lines=2)
    y = _centred(draw, y + 10, poster.url, 34, fill="#333", max_lines=1)
    _centred(
        draw,
        HEIGHT - 110,
        _("Orders within %(days)d days of scanning are credited to this fair. Prices do not change.", days=_days()),
        24,
        fill="#555",
        max_lines=2,
    )
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True, dpi=(150, 150))
    return out.getvalue()


def _days() -> int:
    from marketplace.fairs.attribution import attribution_days

    return attribution_days()
