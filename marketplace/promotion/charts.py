"""Hand-written SVG charts for the reports, drawn on the server (no script, no inline style:
colours come from reports.css classes). Each chart has a <title> and a <desc>, and the page
puts the same numbers in a table next to it."""

from __future__ import annotations

from markupsafe import Markup, escape

WIDTH = 640
BAR_AREA = 200


def _number(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _opening(chart_id: str, height: int) -> str:
    ident = escape(chart_id)
    return (
        f'<svg class="report-chart" id="{ident}" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{ident}-title {ident}-desc" preserveAspectRatio="xMinYMin meet">'
    )


def bar_chart(chart_id: str, title: str, description: str, bars: list[tuple[str, int]]) -> Markup:
    """Vertical bars (label, value) over time, with the value above each bar."""
    count = max(len(bars), 1)
    top = max((value for _label, value in bars), default=0) or 1
    left, bottom = 10, 40
    height = BAR_AREA + bottom + 20
    slot = (WIDTH - 2 * left) / count
    width = max(min(slot * 0.7, 60), 4)
    parts = [
        _opening(chart_id, height),
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        f'<line class="axis" x1="{left}" y1="{20 + BAR_AREA}" x2="{WIDTH - left}" y2="{20 + BAR_AREA}"/>',
    ]
    small = count > 14
    for index, (label, value) in enumerate(bars):
        bar_height = round(BAR_AREA * value / top, 1)
        x = round(left + index * slot + (slot - width) / 2, 1)
        y = round(20 + BAR_AREA - bar_height, 1)
        middle = round(x + width / 2, 1)
        parts.append(
            f'<rect class="bar" x="{x}" y="{y}" width="{round(width, 1)}" height="{bar_height}">'
            f"<title>{escape(label)}: {_number(value)}</title></rect>"
        )
        if not small or value:
            parts.append(
                f'<text class="value" x="{middle}" y="{max(y - 4, 12)}" text-anchor="middle">{_number(value)}</text>'
            )
        if not small or index % 3 == 0:
            parts.append(
                f'<text class="label" x="{middle}" y="{20 + BAR_AREA + 18}" text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def share_chart(chart_id: str, title: str, description: str, shares: list[tuple[str, int]]) -> Markup:
    """Horizontal bars: each part's share of the whole, in percent."""
    total = sum(value for _label, value in shares) or 1
    row = 28
    label_width = 250
    height = max(len(shares), 1) * row + 10
    parts = [
        _opening(chart_id, height),
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    usable = WIDTH - label_width - 70
    for index, (label, value) in enumerate(shares):
        y = 5 + index * row
        percent = round(100 * value / total)
        width = round(usable * value / total, 1)
        text = label if len(label) <= 34 else label[:33] + "…"
        parts.append(f'<text class="label" x="0" y="{y + 17}">{escape(text)}</text>')
        parts.append(
            f'<rect class="bar bar-{index % 6}" x="{label_width}" y="{y + 4}" width="{width}" height="{row - 10}">'
            f"<title>{escape(label)}: {_number(value)} ({percent}%)</title></rect>"
        )
        parts.append(f'<text class="value" x="{label_width + width + 6}" y="{y + 17}">{percent}%</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
