"""The dashboard's pieces: table cells and KPI tiles, and charts as inline SVG (bars grouped or horizontal,
a line), no script, no network.

Every mark carries its series, label and exact value in data attributes (``data-metric``,
``data-month``/``data-firm``, ``data-value``), which the browser test reads back.
"""

from __future__ import annotations

import html
import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

COLORS = {"uploaded": "#2563eb", "archived": "#f59e0b", "billable": "#059669", "days": "#7c3aed",
          "usage": "#0891b2", "adjustments": "#db2777"}


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt_int(value: int) -> str:
    return f"{value:,}"


def fmt_time(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def fmt_age(value: datetime | None, now: datetime) -> str:
    if value is None:
        return "no load yet"
    minutes = int((now - value).total_seconds() // 60)
    if minutes < 60:
        return f"{max(minutes, 0)} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h ago"
    return f"{minutes // 1440} days ago"


def kpi(name: str, label: str, value: Any, shown: str | None = None, *, period: str, change: str = "",
        text: bool = False) -> str:
    """A headline tile: what it counts, the period it covers (``October 2026 (draft)``, ``latest loads``),
    the figure, and its change from the month before when it has one."""
    return (f'<div class="kpi"><div class="kpi-label">{esc(label)}</div>'
            f'<div class="kpi-period">{esc(period)}</div>'
            f'<div class="kpi-value{" text" if text else ""}" data-kpi="{esc(name)}" data-value="{esc(value)}" '
            f'data-period="{esc(period)}">{esc(shown or value)}</div>'
            + (f'<div class="kpi-change" data-change-of="{esc(name)}">{esc(change)}</div>' if change else "")
            + "</div>")


def cell(value: Any, shown: str | None = None, **attrs: str) -> str:
    extra = "".join(f' data-{k.replace("_", "-")}="{esc(v)}"' for k, v in attrs.items())
    numeric = isinstance(value, int | float | Decimal)
    return f'<td{extra} data-value="{esc(value)}"{" class=num" if numeric else ""}>{esc(shown or value)}</td>'


def nice_step(peak: float, *, ticks: int = 4, integer: bool = True) -> float:
    """The smallest 1/2/5 x 10^k step such that ``ticks`` steps reach ``peak`` (at least 1 for counts)."""
    raw = peak / ticks if peak > 0 else 1.0
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return max(step, 1.0) if integer else step


def _tick(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:g}"


def _bar(box: tuple[float, float, float, float], *, name: str, label: str, label_attr: str, value: float) -> str:
    """One bar (x, y, width, height): its value, series and label in data attributes (the browser test reads them)."""
    x, y, w, h = box
    return (f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" '
            f'fill="{COLORS.get(name, "#64748b")}" data-metric="{esc(name)}" {label_attr}="{esc(label)}" '
            f'data-value="{value:g}"><title>{esc(label)} {esc(name)}: {value:,.0f}</title></rect>')


def _legend(series: dict[str, list[float]], x: float, y: float) -> str:
    """A colour swatch and name per series, left to right from (x, y)."""
    parts = []
    for name in series:
        parts.append(f'<rect x="{x}" y="{y}" width="10" height="10" fill="{COLORS.get(name, "#64748b")}"/>')
        parts.append(f'<text x="{x + 14}" y="{y + 9}" class="tick">{esc(name)}</text>')
        x += 24 + 8 * len(name)
    return "".join(parts)


def grouped_bar_chart(chart_id: str, title: str, labels: list[str], series: dict[str, list[float]],
                      *, label_attr: str, width: int = 720, height: int = 260) -> str:
    """Vertical grouped bars, one group per label; every bar carries its value in data attributes. A negative
    value (a credit) hangs below the zero line; the axis then spans both signs in the same steps."""
    left, bottom, top, right = 56, 48, 16, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    values_all = [v for values in series.values() for v in values]
    high, low = max([0, *values_all]), min([0, *values_all])
    step = nice_step(high - low)
    floor_v = math.floor(low / step) * step
    steps = max(math.ceil((high - floor_v) / step), 1) if low < 0 else 4
    peak = floor_v + steps * step

    def y_of(value: float) -> float:
        return top + plot_h * (peak - value) / (peak - floor_v)
    n = max(len(labels), 1)
    group_w = plot_w / n
    bar_w = max(min(group_w * 0.8 / max(len(series), 1), 40), 2)
    parts = [f'<svg id="{esc(chart_id)}" class="chart" role="img" aria-label="{esc(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet">',
             f"<title>{esc(title)}</title>"]
    for i in range(steps + 1):  # grid and y axis ticks
        y = y_of(floor_v + step * i)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
                     f"{_tick(floor_v + step * i)}</text>")
    every = max(1, n // 12)
    for gi, label in enumerate(labels):
        x0 = left + gi * group_w + (group_w - bar_w * len(series)) / 2
        for si, (name, values) in enumerate(series.items()):
            value = values[gi]
            y_top, y_bottom = y_of(max(value, 0)), y_of(min(value, 0))
            x = x0 + si * bar_w
            parts.append(_bar((x, y_top, bar_w - 1, y_bottom - y_top), name=name, label=label,
                              label_attr=label_attr, value=value))
        if gi % every == 0:
            cx = left + gi * group_w + group_w / 2
            short = label if len(label) <= 14 else label[:13] + "…"
            parts.append(f'<text x="{cx:.1f}" y="{height - bottom + 16}" class="tick" text-anchor="middle">'
                         f"{esc(short)}</text>")
    parts.append(_legend(series, left, height - 14))
    parts.append("</svg>")
    return "".join(parts)


def horizontal_bar_chart(chart_id: str, title: str, labels: list[str], series: dict[str, list[float]],
                         *, label_attr: str, width: int = 720) -> str:
    """One row per label (long names stay readable), one bar per series; values in data attributes."""
    left, right, top, row_gap = 190, 60, 8, 10
    bar_h = 11
    row_h = bar_h * len(series) + row_gap
    height = top + row_h * max(len(labels), 1) + 28
    plot_w = width - left - right
    peak = 4 * nice_step(max((v for values in series.values() for v in values), default=0))
    parts = [f'<svg id="{esc(chart_id)}" class="chart" role="img" aria-label="{esc(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet">',
             f"<title>{esc(title)}</title>"]
    for i in range(5):
        x = left + plot_w * i / 4
        parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{height - 28}" class="grid"/>')
        parts.append(f'<text x="{x:.1f}" y="{height - 16}" class="tick" text-anchor="middle">'
                     f"{_tick(peak * i / 4)}</text>")
    for li, label in enumerate(labels):
        y0 = top + li * row_h
        short = label if len(label) <= 30 else label[:29] + "…"
        parts.append(f'<text x="{left - 8}" y="{y0 + bar_h * len(series) / 2 + 4:.1f}" class="tick" '
                     f'text-anchor="end">{esc(short)}</text>')
        for si, (name, values) in enumerate(series.items()):
            value = values[li]
            w = plot_w * value / peak
            y = y0 + si * bar_h
            parts.append(_bar((left, y, w, bar_h - 1), name=name, label=label, label_attr=label_attr, value=value))
            parts.append(f'<text x="{left + w + 4:.1f}" y="{y + bar_h - 2:.1f}" class="tick">{value:,.0f}</text>')
    parts.append(_legend(series, left, height - 10))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(chart_id: str, title: str, points: list[tuple[str, float]], *, metric: str,
               width: int = 720, height: int = 220) -> str:
    left, bottom, top, right = 48, 32, 16, 12
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = 4 * nice_step(max((v for _l, v in points), default=0), integer=False)
    parts = [f'<svg id="{esc(chart_id)}" class="chart" role="img" aria-label="{esc(title)}" '
             f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMidYMid meet">',
             f"<title>{esc(title)}</title>"]
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        parts.append(f'<text x="{left - 6}" y="{y + 4:.1f}" class="tick" text-anchor="end">'
                     f"{_tick(peak * i / 4)}</text>")
    slot = plot_w / max(len(points), 1)
    coords = [(left + (i + 0.5) * slot, top + plot_h - plot_h * v / peak) for i, (_l, v) in enumerate(points)]
    if coords:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{COLORS["days"]}" stroke-width="2"/>')
    every = max(1, len(points) // 12)
    for i, ((label, value), (x, y)) in enumerate(zip(points, coords, strict=True)):
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{COLORS["days"]}" '
                     f'data-metric="{esc(metric)}" data-month="{esc(label)}" data-value="{value:g}">'
                     f"<title>{esc(label)}: {value:g}</title></circle>")
        if i % every == 0:
            parts.append(f'<text x="{x:.1f}" y="{height - bottom + 16}" class="tick" text-anchor="middle">'
                         f"{esc(label)}</text>")
    parts.append("</svg>")
    return "".join(parts)
