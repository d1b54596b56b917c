"""Bar charts of the dashboard as inline SVG, drawn on the server (no JavaScript).

The SVG scales to its container (``viewBox``, ``width: 100%`` in the stylesheet) and
uses presentation attributes only, so the page's CSP (no inline styles) is respected.
Each chart carries ``role="img"``, a ``<title>`` and a ``<desc>`` referenced by
``aria-labelledby``; the page adds a table of the values as its text alternative.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

from passnum.dashboard.presentation import month_label

WIDTH, HEIGHT = 480, 280
LEFT, RIGHT, TOP, BOTTOM = 80, 12, 16, 40
MAX_X_LABELS = 4
BAR_COLOUR, AXIS_COLOUR, GRID_COLOUR, TEXT_COLOUR = "#003b80", "#4a4a55", "#d9d9e0", "#1b1b1f"


def nice_step(maximum: float, ticks: int = 4) -> float:
    """A round step (1, 2 or 5 × 10ⁿ) giving about ``ticks`` gridlines up to ``maximum``."""
    if maximum <= 0:
        return 1.0
    raw = maximum / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return float(factor * power)
    return float(10 * power)  # pragma: no cover - the loop always returns


def bar_chart(chart_id: str, title: str, description: str,
              points: Sequence[tuple[str, float]],
              axis_label: Callable[[float], str]) -> Markup:
    """An SVG bar chart of (``YYYY-MM`` month, value) points.

    ``axis_label`` formats the values of the vertical axis; ``chart_id`` makes the ids
    of the title and description unique within the page.
    """
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top_value = max((value for _month, value in points), default=0)
    step = nice_step(top_value)
    ceiling = step * max(math.ceil(top_value / step), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" '
        f'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" '
        f'font-size="17" fill="{TEXT_COLOUR}">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
    ]
    tick = 0.0
    while tick <= ceiling + step / 2:
        y = TOP + plot_h - plot_h * tick / ceiling
        parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
                     f'stroke="{GRID_COLOUR}" stroke-width="1"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 6:.1f}" text-anchor="end">'
                     f'{escape(axis_label(tick))}</text>')
        tick += step
    if points:
        slot = plot_w / len(points)
        gap = min(slot * 0.2, 6)
        every = max(math.ceil(len(points) / MAX_X_LABELS), 1)
        for index, (month, value) in enumerate(points):
            height = plot_h * value / ceiling
            x = LEFT + index * slot + gap / 2
            parts.append(f'<rect x="{x:.1f}" y="{TOP + plot_h - height:.1f}" '
                         f'width="{slot - gap:.1f}" height="{height:.1f}" '
                         f'fill="{BAR_COLOUR}"/>')
            if index % every == 0:
                centre = LEFT + (index + 0.5) * slot
                parts.append(f'<text x="{centre:.1f}" y="{HEIGHT - 14}" '
                             f'text-anchor="middle">{escape(month_label(month))}</text>')
    parts.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{TOP + plot_h}" '
                 f'y2="{TOP + plot_h}" stroke="{AXIS_COLOUR}" stroke-width="1.5"/>')
    parts.append("</svg>")
    # every text in ``parts`` went through ``escape``; the rest are numbers and constants
    return Markup("".join(parts))  # noqa: S704
