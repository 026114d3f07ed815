"""Inline SVG bar charts: one bar per row, the rate's value as its length (no script)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

__all__ = ["bars"]


def bars(title: str, rows: Sequence[tuple[str, float | None, str]], width: int = 340) -> Markup:
    """``rows``: (name, value 0..1 or None, label). None draws no bar and says —."""
    label_w, bar_w, line = 120, width - 120 - 56, 22
    height = line * len(rows) + 28
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for index, (name, value, label) in enumerate(rows):
        y = 28 + index * line
        parts.append(f'<text x="0" y="{y + 14}">{escape(name[:9])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="14" class="track"/>')
        if value is not None:
            length = max(0.0, min(1.0, value)) * bar_w
            parts.append(
                f'<rect x="{label_w}" y="{y + 3}" width="{length:.1f}" height="14" class="bar"/>'
            )
        parts.append(f'<text x="{label_w + bar_w + 6}" y="{y + 14}">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
