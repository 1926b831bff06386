"""Server-rendered SVG charts for the daily report: no JavaScript, crisp on paper.

Each function takes figures from queues.reports.daily_report and returns safe SVG markup whose
text (axis labels, counts) is escaped by format_html.
"""

from __future__ import annotations

import math

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

ARRIVALS_COLOUR = "#1f4e99"  # dark blue
SEEN_COLOUR = "#e8a33d"  # light orange: the pair stays apart in grey on a mono printer
CATEGORY_COLOUR = "#3d6fb6"


def _nice_ceiling(value: int) -> int:
    """The axis top: the smallest 1, 2 or 5 x 10^n at or above value (at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def _f(value: float) -> str:
    """A coordinate with one decimal (format_html escapes its arguments to text first)."""
    return f"{value:.1f}"


def _empty(width: int, height: int, label: str) -> SafeString:
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{label}">'
        '<text x="{x}" y="{y}" text-anchor="middle" class="chart-empty">{label}</text></svg>',
        w=width, h=height, x=width // 2, y=height // 2, label=label,
    )


def hour_chart(hours: list[dict], width: int = 640, height: int = 220) -> SafeString:
    """Grouped bars per hour of the hospital's clock: arrivals (check-ins) and patients seen."""
    if not hours:
        return _empty(width, height, "No check-ins or completed consultations on this day.")
    left, right, top, bottom = 34, 8, 34, 28
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = _nice_ceiling(max(max(h["arrivals"], h["seen"]) for h in hours))
    group = plot_w / len(hours)
    bar = min(group * 0.38, 28)

    def y(n: int) -> float:
        return top + plot_h - plot_h * n / peak

    parts = [
        format_html(
            '<line x1="{}" x2="{}" y1="{y}" y2="{y}" class="grid"/>'
            '<text x="{}" y="{ty}" text-anchor="end" class="axis">{n}</text>',
            left, width - right, left - 4, y=_f(y(n)), ty=_f(y(n) + 3), n=n,
        )
        for n in sorted({0, peak // 2, peak})
    ]
    for i, h in enumerate(hours):
        x0 = left + i * group + group / 2
        for offset, key, colour in ((-bar, "arrivals", ARRIVALS_COLOUR), (0, "seen", SEEN_COLOUR)):
            n = h[key]
            parts.append(format_html(
                '<rect x="{x}" y="{y}" width="{w}" height="{hgt}" fill="{c}">'
                "<title>{label}: {n} {what}</title></rect>",
                x=_f(x0 + offset), y=_f(y(n)), w=_f(bar), hgt=_f(plot_h * n / peak), c=colour, label=h["label"], n=n,
                what="arrived" if key == "arrivals" else "seen",
            ))
            if n:
                parts.append(format_html(
                    '<text x="{x}" y="{y}" text-anchor="middle" class="value">{n}</text>',
                    x=_f(x0 + offset + bar / 2), y=_f(y(n) - 3), n=n,
                ))
        parts.append(format_html(
            '<text x="{x}" y="{y}" text-anchor="middle" class="axis">{label}</text>',
            x=_f(x0), y=height - bottom + 14, label=h["label"],
        ))
    legend = format_html(
        '<rect x="{}" y="4" width="10" height="10" fill="{}"/><text x="{}" y="13" class="axis">Arrived (checked in)</text>'
        '<rect x="{}" y="4" width="10" height="10" fill="{}"/><text x="{}" y="13" class="axis">Seen (consultation completed)</text>',
        left, ARRIVALS_COLOUR, left + 14, left + 140, SEEN_COLOUR, left + 154,
    )
    summary = ", ".join(f'{h["label"]}: {h["arrivals"]} arrived, {h["seen"]} seen' for h in hours)
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="Arrivals and patients seen by hour. {s}">'
        "{legend}{parts}</svg>",
        w=width, h=height, s=summary, legend=legend, parts=mark_safe("".join(parts)),
    )


def category_chart(counts: list[tuple[str, int]], width: int = 320, height: int | None = None) -> SafeString:
    """Horizontal bars: patients booked in each category, as (label, count) pairs."""
    total = sum(n for _, n in counts)
    row, label_w, top = 24, 96, 4
    height = height or top + row * len(counts) + 4
    if not total:
        return _empty(width, height, "No bookings on this day.")
    plot_w = width - label_w - 64
    peak = max(n for _, n in counts)
    rows = format_html_join(
        "",
        '<text x="{}" y="{}" text-anchor="end" class="axis">{}</text>'
        '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"><title>{}: {}</title></rect>'
        '<text x="{}" y="{}" class="value">{} ({}%)</text>',
        (
            (
                label_w - 6, top + i * row + 15, label,
                label_w, top + i * row + 4, _f(plot_w * n / peak), row - 8, CATEGORY_COLOUR, label, n,
                _f(label_w + plot_w * n / peak + 4), top + i * row + 15, n, round(100 * n / total),
            )
            for i, (label, n) in enumerate(counts)
        ),
    )
    summary = ", ".join(f"{label}: {n}" for label, n in counts)
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="Bookings by category. {s}">{rows}</svg>',
        w=width, h=height, s=summary, rows=rows,
    )
