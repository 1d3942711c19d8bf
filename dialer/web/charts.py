"""Server-rendered SVG charts: no JavaScript, no CDN, readable in a screenshot and in a test.

Each function returns markup-safe SVG; labels are escaped. Bars carry a <title> so hovering shows the
exact figure.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

BAR = "#3867d6"
BAR_ALT = "#20bf6b"


def hbar(
    rows: Sequence[tuple[str, float]], *, width: int = 520, unit: str = "", label_width: int = 150
) -> Markup:
    """Horizontal bars, one per row (funnels, dispositions)."""
    if not rows:
        return Markup('<p class="empty">no data yet</p>')
    row_h = 24
    height = row_h * len(rows) + 8
    top = max((v for _, v in rows), default=0) or 1
    span = width - label_width - 70
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (label, value) in enumerate(rows):
        y = 4 + i * row_h
        w = max(span * value / top, 1 if value else 0)
        text = f"{value:g}{unit}"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" font-size="12">'
            f"{escape(label)}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="16" fill="{BAR}">'
            f"<title>{escape(label)}: {escape(text)}</title></rect>"
            f'<text x="{label_width + w + 4:.1f}" y="{y + 15}" font-size="12">{escape(text)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    width: int = 620,
    height: int = 180,
    unit: str = "",
    max_value: float | None = None,
) -> Markup:
    """Vertical columns (answer rate by hour); None draws no column (no data for that label)."""
    if not any(v for v in values if v is not None):
        return Markup('<p class="empty">no data yet</p>')
    top = max_value or max(v for v in values if v is not None) or 1
    plot_h = height - 30
    step = (width - 40) / max(len(labels), 1)
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="30" y1="{plot_h + 5}" x2="{width}" y2="{plot_h + 5}" stroke="#999"/>',
        f'<text x="2" y="14" font-size="10">{top:g}{escape(unit)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = 34 + i * step
        if value is not None:
            h = plot_h * value / top
            parts.append(
                f'<rect x="{x:.1f}" y="{plot_h + 5 - h:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}" '
                f'fill="{BAR_ALT}"><title>{escape(label)}: {value:.1f}{escape(unit)}</title></rect>'
            )
        parts.append(f'<text x="{x:.1f}" y="{height - 8}" font-size="9">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(math.ceil(q / 100 * len(ordered)), 1)
    return float(ordered[rank - 1])
