"""Drawn pictures for the demo products: a colour gradient per category, a simple
motif (lychees, hills, noodles, a bottle, honeycomb…) and the product name.

Nothing is downloaded: every picture is painted with Pillow, so the demo works offline.
"""

from __future__ import annotations

import io
import math
import random
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
    Path("C:/Windows/Fonts"),
)
# Fonts with the Vietnamese letters (ă, ơ, ư, ạ, ế…); tried in this order.
FONT_FILES = {
    "bold": ("DejaVuSans-Bold.ttf", "NotoSans-Bold.ttf", "arialbd.ttf", "Arial Bold.ttf"),
    "regular": ("DejaVuSans.ttf", "NotoSans-Regular.ttf", "arial.ttf", "Arial.ttf"),
}

DEFAULT_COLOURS = ("#3f7d58", "#a7d3a6")


@lru_cache(maxsize=32)
def font(weight: str, size: int) -> ImageFont.ImageFont:
    for folder in FONT_FOLDERS:
        for name in FONT_FILES[weight]:
            path = folder / name
            if path.is_file():
                return ImageFont.truetype(str(path), size)
    # Pillow >= 10.1 ships a scalable default font; older ones only a tiny bitmap.
    try:
        return ImageFont.load_default(size=size)
    except TypeError:
        return ImageFont.load_default()


def product_picture(
    name: str,
    caption: str,
    colours: tuple[str, str] = DEFAULT_COLOURS,
    motif: str = "leaves",
    width: int = 800,
) -> bytes:
    """A PNG picture (4:3) for a product; the same name always gives the same picture."""
    height = width * 3 // 4
    picture = _gradient(width, height, colours)
    draw = ImageDraw.Draw(picture, "RGBA")
    rng = random.Random(name)
    MOTIFS.get(motif, _leaves)(draw, width, height, rng)
    _label(draw, width, height, name, caption)
    out = io.BytesIO()
    picture.save(out, "PNG", compress_level=1)
    return out.getvalue()


def _gradient(width: int, height: int, colours: tuple[str, str]) -> Image.Image:
    top = Image.new("RGB", (width, height), colours[0])
    bottom = Image.new("RGB", (width, height), colours[1])
    mask = Image.linear_gradient("L").resize((width, height))
    return Image.composite(bottom, top, mask)


def _label(draw: ImageDraw.ImageDraw, width: int, height: int, name: str, caption: str) -> None:
    """The product name on a light card at the bottom, wrapped to fit, at most three lines."""
    title_font = font("bold", max(12, width // 18))
    caption_font = font("regular", max(10, width // 36))
    margin = width // 20
    lines = _wrap(draw, name, title_font, width - 4 * margin)[:3]
    line_height = int(getattr(title_font, "size", 12) * 1.25)
    padding = width // 40
    box_height = line_height * len(lines) + int(getattr(caption_font, "size", 10) * 1.4) + 2 * padding
    bottom = height - margin
    top = bottom - box_height
    draw.rounded_rectangle((margin, top, width - margin, bottom), radius=width // 40, fill=(255, 255, 255, 225))
    y = top + padding
    for line in lines:
        draw.text((width // 2, y), line, font=title_font, fill=(34, 45, 38), anchor="ma")
        y += line_height
    draw.text((width // 2, y), caption, font=caption_font, fill=(84, 96, 88), anchor="ma")


def _wrap(draw: ImageDraw.ImageDraw, text: str, text_font, max_width: int) -> list[str]:
    lines: list[str] = []
    for word in text.split():
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and draw.textlength(candidate, font=text_font) <= max_width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return lines


# --- motifs: drawn in the upper part, above the label ----------------------------------------


def _lychees(draw, width, height, rng):
    cx, cy = width // 2, height // 3
    for _ in range(3):
        _leaf(draw, cx + rng.randint(-width // 5, width // 5), cy - height // 8, width // 9, rng, (60, 130, 70, 230))
    for _ in range(9):
        x = cx + rng.randint(-width // 6, width // 6)
        y = cy + rng.randint(-height // 14, height // 8)
        r = width // 18
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(196, 40, 52, 255), outline=(140, 20, 35, 255), width=3)
        for _ in range(10):
            dx, dy = rng.randint(-r // 2, r // 2), rng.randint(-r // 2, r // 2)
            draw.ellipse((x + dx - 2, y + dy - 2, x + dx + 2, y + dy + 2), fill=(150, 25, 40, 255))


def _fruit_slices(draw, width, height, rng):
    for _ in range(7):
        x, y = rng.randint(width // 8, width * 7 // 8), rng.randint(height // 10, height // 2)
        r = rng.randint(width // 22, width // 12)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(250, 214, 140, 240), outline=(196, 120, 40, 255), width=4)
        for k in range(8):
            angle = k * math.pi / 4
            draw.line(
                (x, y, x + r * 0.8 * math.cos(angle), y + r * 0.8 * math.sin(angle)), fill=(214, 150, 60, 200), width=2
            )


def _hills(draw, width, height, rng):
    sun = width // 10
    draw.ellipse(
        (width * 3 // 4 - sun, height // 8 - sun // 2, width * 3 // 4 + sun, height // 8 + sun * 3 // 2),
        fill=(255, 236, 160, 230),
    )
    for layer, colour in enumerate([(110, 160, 90, 230), (80, 135, 70, 240), (60, 110, 55, 250)]):
        base = height // 3 + layer * height // 12
        points = [(0, height)]
        for x in range(0, width + 40, 40):
            points.append((x, base - int(height / 14 * math.sin(x / width * math.pi * (2 + layer) + layer))))
        points.append((width, height))
        draw.polygon(points, fill=colour)
    # a few hens pecking on the hill: round bodies with a comb
    for _ in range(3):
        x, y = rng.randint(width // 6, width * 5 // 6), height // 2 + rng.randint(-10, 10)
        r = width // 30
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(150, 80, 40, 255))
        draw.ellipse((x + r // 2, y - r * 3 // 2, x + r * 3 // 2, y - r // 3), fill=(150, 80, 40, 255))
        draw.polygon(
            [(x + r, y - r * 3 // 2), (x + r * 3 // 2, y - r * 2), (x + r * 3 // 2, y - r)], fill=(210, 40, 40)
        )


def _noodles(draw, width, height, rng):
    cx, cy, r = width // 2, height // 4, width // 4
    for k in range(14):
        y = cy - r // 3 + k * 5
        points = [(cx - r + i * 8, y + int(6 * math.sin(i / 2 + k))) for i in range(r // 4 + 1)]
        draw.line(points, fill=(252, 248, 232, 255), width=4)
    draw.chord((cx - r, cy - r // 2, cx + r, cy + r), 0, 180, fill=(70, 110, 160, 255))
    draw.line((cx + r // 2, cy - r, cx + r + 20, cy - r // 3), fill=(120, 80, 40, 255), width=8)


def _grains(draw, width, height, rng):
    for _ in range(70):
        x, y = rng.randint(0, width), rng.randint(0, height // 2)
        angle = rng.random() * math.pi
        dx, dy = 12 * math.cos(angle), 12 * math.sin(angle)
        draw.line((x - dx, y - dy, x + dx, y + dy), fill=(255, 250, 225, 230), width=8)
    stalk = width // 5
    draw.line((stalk, height // 2, stalk + 40, height // 12), fill=(200, 160, 40, 255), width=6)
    for k in range(8):
        y = height // 12 + k * 18
        draw.ellipse((stalk + 30 - k * 4, y, stalk + 52 - k * 4, y + 12), fill=(235, 190, 60, 255))


def _bottle(draw, width, height, rng):
    cx, bottom = width // 2, height // 2 + height // 12
    body_w, body_h = width // 9, height // 3
    draw.rounded_rectangle((cx - body_w, bottom - body_h, cx + body_w, bottom), radius=20, fill=(240, 240, 230, 220))
    draw.rectangle(
        (cx - body_w // 3, bottom - body_h - height // 8, cx + body_w // 3, bottom - body_h), fill=(240, 240, 230, 220)
    )
    draw.rectangle(
        (cx - body_w // 3, bottom - body_h - height // 8 - 16, cx + body_w // 3, bottom - body_h - height // 8),
        fill=(150, 40, 40, 255),
    )
    draw.rectangle(
        (cx - body_w + 10, bottom - body_h * 2 // 3, cx + body_w - 10, bottom - body_h // 3), fill=(190, 50, 45, 230)
    )
    for side in (-1, 1):
        x = cx + side * width // 4
        draw.ellipse((x - 30, bottom - 70, x + 30, bottom), fill=(240, 240, 230, 170))


def _tea(draw, width, height, rng):
    for _ in range(8):
        _leaf(
            draw,
            rng.randint(width // 8, width * 7 // 8),
            rng.randint(height // 10, height // 2),
            width // 10,
            rng,
            (40, 110, 60, 235),
        )
    cx, cy = width // 2, height // 3
    draw.chord((cx - 70, cy - 40, cx + 70, cy + 80), 0, 180, fill=(250, 250, 240, 240))
    draw.ellipse((cx - 70, cy - 10, cx + 70, cy + 30), fill=(170, 190, 90, 255))


def _honeycomb(draw, width, height, rng):
    size = width // 18
    for row in range(6):
        for col in range(12):
            x = col * size * 1.75 + (row % 2) * size * 0.87
            y = row * size * 1.5
            if y > height // 2 + size:
                continue
            points = [
                (x + size * math.cos(math.pi / 3 * k + math.pi / 6), y + size * math.sin(math.pi / 3 * k + math.pi / 6))
                for k in range(6)
            ]
            shade = rng.randint(0, 50)
            draw.polygon(points, fill=(240 - shade, 170 - shade, 30, 230), outline=(150, 90, 20, 255))
    x, y = width * 3 // 4, height // 4
    draw.ellipse((x - 22, y - 14, x + 22, y + 14), fill=(40, 30, 20, 255))
    for k in (-8, 4):
        draw.line((x + k, y - 14, x + k, y + 14), fill=(250, 210, 40, 255), width=5)
    draw.ellipse((x - 16, y - 34, x + 4, y - 10), fill=(255, 255, 255, 190))


def _crackers(draw, width, height, rng):
    for k in range(3):
        x, y = width // 4 + k * width // 4, height // 4 + (k % 2) * 30
        r = width // 8
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(236, 200, 130, 255), outline=(180, 120, 60, 255), width=4)
        for _ in range(60):
            a, d = rng.random() * 2 * math.pi, rng.random() * r * 0.9
            px, py = x + d * math.cos(a), y + d * math.sin(a)
            draw.ellipse((px - 2, py - 3, px + 2, py + 3), fill=(40, 30, 25, 255))


def _herbs(draw, width, height, rng):
    for _ in range(5):
        x = rng.randint(width // 6, width * 5 // 6)
        draw.line((x, height // 2, x + rng.randint(-30, 30), height // 10), fill=(70, 100, 50, 255), width=5)
        for k in range(4):
            _leaf(draw, x + rng.randint(-40, 40), height // 10 + k * height // 12, width // 14, rng, (70, 140, 70, 235))


def _bamboo(draw, width, height, rng):
    for k in range(5):
        x = width // 8 + k * width // 5
        top = height // 10 + rng.randint(0, 40)
        draw.polygon(
            [(x - 28, height // 2), (x + 28, height // 2), (x + 4, top), (x - 4, top)],
            fill=(215, 190, 120, 255),
            outline=(150, 120, 60, 255),
        )
        for y in range(top + 30, height // 2, 28):
            draw.line((x - 20, y, x + 20, y), fill=(160, 130, 70, 255), width=3)


def _weave(draw, width, height, rng):
    step = width // 16
    for x in range(0, width, step):
        draw.rectangle((x, 0, x + step // 2, height // 2 + 20), fill=(222, 190, 130, 220))
    for y in range(0, height // 2 + 20, step):
        for x in range(((y // step) % 2) * step, width, step * 2):
            draw.rectangle((x, y, x + step, y + step // 2), fill=(190, 150, 90, 235))


def _vase(draw, width, height, rng):
    cx, bottom = width // 2, height // 2 + height // 10
    points = []
    for k in range(21):
        t = k / 20
        radius = width * (0.05 + 0.1 * math.sin(math.pi * t) ** 1.5) + (width * 0.03 if t < 0.15 else 0)
        points.append((cx + radius, bottom - t * height * 0.45))
    outline = points + [(2 * cx - x, y) for x, y in reversed(points)]
    draw.polygon(outline, fill=(130, 70, 45, 255), outline=(90, 45, 30, 255))
    for k in range(3):
        y = bottom - height * (0.12 + k * 0.08)
        draw.line((cx - width * 0.1, y, cx + width * 0.1, y), fill=(170, 100, 70, 255), width=3)


def _leaves(draw, width, height, rng):
    for _ in range(10):
        _leaf(draw, rng.randint(0, width), rng.randint(0, height // 2), width // 10, rng, (255, 255, 255, 120))


def _leaf(draw, x, y, size, rng, colour):
    angle = rng.random() * math.pi
    points = []
    for k in range(16):
        t = k / 15 * math.pi
        along, across = size * math.cos(t), size * 0.4 * math.sin(t)
        points.append(
            (
                x + along * math.cos(angle) - across * math.sin(angle),
                y + along * math.sin(angle) + across * math.cos(angle),
            )
        )
    for k in range(16):
        t = math.pi + k / 15 * math.pi
        along, across = size * math.cos(t), size * 0.4 * math.sin(t)
        points.append(
            (
                x + along * math.cos(angle) - across * math.sin(angle),
                y + along * math.sin(angle) + across * math.cos(angle),
            )
        )
    draw.polygon(points, fill=colour)


MOTIFS = {
    "lychees": _lychees,
    "fruit_slices": _fruit_slices,
    "hills": _hills,
    "noodles": _noodles,
    "grains": _grains,
    "bottle": _bottle,
    "tea": _tea,
    "honeycomb": _honeycomb,
    "crackers": _crackers,
    "herbs": _herbs,
    "bamboo": _bamboo,
    "weave": _weave,
    "vase": _vase,
    "leaves": _leaves,
}
