"""Small server-drawn SVG charts: no script, no library, readable at a glance and printable.

Every label goes through `escape`; the SVG is built from numbers and escaped text only.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ["#1f5fbf", "#d97706", "#067647", "#9333ea", "#b42318", "#0e7490"]


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # the value as a person reads it ("12.5%", "$1,204.00")
    highlight: bool = False


def hbars(
    bars: Sequence[Bar],
    *,
    title: str,
    width: int = 560,
    row: int = 26,
    label_width: int = 190,
    scale: float | None = None,
) -> SafeString:
    """Horizontal bars, one per row; the longest is the largest value, or `scale` (1.0 for shares)."""
    if not bars:
        return mark_safe('<p class="muted">No data for this period.</p>')  # noqa: S308 - constant text
    top = scale or max((b.value for b in bars), default=0) or 1
    fits = max(label_width // 7, 8)
    plot = width - label_width - 70
    height = row * len(bars) + 8
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for i, bar in enumerate(bars):
        y = 4 + i * row
        length = max(bar.value / top * plot, 1 if bar.value else 0)
        colour = PALETTE[4] if bar.highlight else PALETTE[0]
        label = bar.label if len(bar.label) <= fits else bar.label[: fits - 1] + "…"
        parts.append(
            f'<text x="{label_width - 6}" y="{y + row * 0.62:.1f}" text-anchor="end" class="lbl">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row - 8}" rx="3" fill="{colour}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + row * 0.62:.1f}" class="val">{escape(bar.text)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def columns(
    labels: Sequence[str], series: Sequence[Series], *, title: str, width: int = 640, height: int = 220, money=None
) -> SafeString:
    """Grouped columns per label (weeks), with a legend; `money` formats the axis maximum."""
    if not labels or not series:
        return mark_safe('<p class="muted">No data for this period.</p>')  # noqa: S308 - constant text
    left, bottom, top_pad = 78, 34, 22
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    peak = max((v for s in series for v in s.values), default=0) or 1
    group = plot_w / len(labels)
    bar_w = max(group / (len(series) + 1), 2)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 10}" y2="{top_pad + plot_h}" class="axis"/>',
        f'<text x="{left - 6}" y="{top_pad + 4}" text-anchor="end" class="val">'
        f"{escape(money(peak) if money else f'{peak:g}')}</text>",
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end" class="val">0</text>',
    ]
    step = max(1, len(labels) // 8)
    for i, label in enumerate(labels):
        x0 = left + i * group + bar_w / 2
        for j, s in enumerate(series):
            h = s.values[i] / peak * plot_h
            parts.append(
                f'<rect x="{x0 + j * bar_w:.1f}" y="{top_pad + plot_h - h:.1f}" width="{bar_w * 0.9:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[j % len(PALETTE)]}"><title>{escape(s.name)} {escape(label)}: '
                f"{escape(money(s.values[i]) if money else f'{s.values[i]:g}')}</title></rect>"
            )
        if i % step == 0:
            parts.append(
                f'<text x="{left + i * group + group / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'class="lbl">{escape(label)}</text>'
            )
    for j, s in enumerate(series):
        x = left + j * 150
        parts.append(
            f'<rect x="{x}" y="4" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>'
            f'<text x="{x + 16}" y="14" class="lbl">{escape(s.name)}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only
