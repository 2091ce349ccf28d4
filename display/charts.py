"""Charts of results as PNG images, drawn with matplotlib's object API.

Only `matplotlib.figure.Figure` and the Agg canvas are used, never `pyplot`: pyplot keeps global
figures and picks a GUI backend, neither of which belongs in a server. Chinese is drawn with the
fonts of `display.fonts` (the bundled font, then the system's for any character it lacks).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.ticker import PercentFormatter

from display import fonts

WIDTH = 7.1  # inches: A4 less its margins
DPI = 150  # sharp enough on paper, small enough to build quickly
PER_CHART = 36  # bars in one chart; more are split into several

# By verdict level, best first (the last level is always red); other options are grey.
LEVEL_COLOURS = ("#2e7d32", "#f0a202", "#ef6c00", "#c62828")
OTHER = "#9e9e9e"
MEETING_COLOURS = ("#90a4ae", "#5c6bc0", "#26a69a", "#8d6e63", "#ab47bc", "#1e88e5")


def level_colour(index: int | None, levels: int) -> str:
    """The colour of the verdict level `index` of `levels` (None: not rated)."""
    if index is None or index < 0:
        return OTHER
    if index >= levels - 1:
        return LEVEL_COLOURS[-1]
    return LEVEL_COLOURS[min(index, len(LEVEL_COLOURS) - 2)]


@dataclass(frozen=True)
class Bar:
    label: str  # the item: its subject
    rate: float | None  # 满意率 in percent
    verdict: str | None  # the verdict's label
    colour: str


def _font(size: float = 9) -> FontProperties:
    return FontProperties(family=fonts.matplotlib_families(), size=size)


def _figure(height: float) -> Figure:
    figure = Figure(figsize=(WIDTH, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    return figure


def _png(figure: Figure) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI)
    return out.getvalue()


def _legend(figure: Figure, handles: list, columns: int) -> None:
    """The legend below the chart, outside the axes (the layout makes room for it)."""
    if handles:
        figure.legend(handles=handles, prop=_font(8), loc="outside lower center",
                      frameon=False, ncols=max(columns, 1))  # fmt: skip


def chunks(seq: Sequence, size: int = PER_CHART) -> list[Sequence]:
    return [seq[n : n + size] for n in range(0, len(seq), size)] or [seq]


def rate_ranking(bars: Sequence[Bar], title: str, legend: Sequence[tuple[str, str]]) -> bytes:
    """Horizontal bars of 满意率, best at the top, coloured by verdict; `legend` is
    (verdict label, colour) pairs."""
    font, small = _font(9), _font(8)
    figure = _figure(1.0 + 0.26 * max(len(bars), 3))
    ax = figure.add_subplot()
    ys = range(len(bars))
    rates = [b.rate or 0.0 for b in bars]
    ax.barh(ys, rates, color=[b.colour for b in bars], height=0.7)
    ax.set_yticks(list(ys), [b.label for b in bars], fontproperties=font)
    ax.invert_yaxis()
    ax.set_xlim(0, 112)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    ax.set_xticks([0, 20, 40, 60, 80, 100])
    for label in ax.get_xticklabels():
        label.set_fontproperties(small)
    for y, bar in zip(ys, bars, strict=True):
        text = "—" if bar.rate is None else f"{bar.rate:.2f}%"
        ax.text((bar.rate or 0) + 1, y, text, va="center", fontproperties=small)
    if title:
        ax.set_title(title, fontproperties=_font(11), loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    if legend:
        handles = [ax.bar(0, 0, color=c, label=v) for v, c in legend]
        _legend(figure, handles, len(legend))
    return _png(figure)


def option_shares(
    labels: Sequence[str],
    shares: Sequence[Sequence[float]],
    options: Sequence[tuple[str, str]],
    title: str,
) -> bytes:
    """100% stacked horizontal bars: each item's share of every option; `options` is
    (label, colour) pairs in the order of each row of `shares`."""
    font, small = _font(9), _font(8)
    figure = _figure(1.2 + 0.26 * max(len(labels), 3))
    ax = figure.add_subplot()
    ys = list(range(len(labels)))
    left = [0.0] * len(labels)
    for n, (name, colour) in enumerate(options):
        values = [row[n] for row in shares]
        ax.barh(ys, values, left=left, color=colour, height=0.7, label=name)
        for y, (x0, value) in enumerate(zip(left, values, strict=True)):
            if value >= 8:
                ax.text(x0 + value / 2, y, f"{value:.1f}", ha="center", va="center",
                        color="white", fontproperties=_font(7))  # fmt: skip
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(ys, list(labels), fontproperties=font)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    for label in ax.get_xticklabels():
        label.set_fontproperties(small)
    if title:
        ax.set_title(title, fontproperties=_font(11), loc="left")
    ax.spines[["top", "right"]].set_visible(False)
    _legend(figure, ax.get_legend_handles_labels()[0], len(options))
    return _png(figure)


def trend(
    subjects: Sequence[str],
    meetings: Sequence[str],
    rates: Sequence[Sequence[float | None]],
    title: str,
) -> bytes:
    """满意率 of each subject at each meeting (oldest first): a dot per meeting on the subject's
    row, joined by a line, the latest one largest. `rates[s][m]` is subject s at meeting m."""
    font, small = _font(9), _font(8)
    figure = _figure(1.3 + 0.3 * max(len(subjects), 3))
    ax = figure.add_subplot()
    for y, row in enumerate(rates):
        known = [r for r in row if r is not None]
        if len(known) > 1:
            ax.plot([min(known), max(known)], [y, y], color="#bdbdbd", linewidth=2, zorder=1)
    for m, name in enumerate(meetings):
        colour = MEETING_COLOURS[m % len(MEETING_COLOURS)]
        last = m == len(meetings) - 1
        points = [(r, y) for y, row in enumerate(rates) if (r := row[m]) is not None]
        ax.scatter(
            [p[0] for p in points],
            [p[1] for p in points],
            s=46 if last else 26,
            color=colour,
            zorder=3,
            label=name,
            edgecolors="white",
            linewidths=0.5,
        )
        if last:  # this meeting's value, right of the row's dots
            for x, y in points:
                right = max(r for r in rates[y] if r is not None)
                ax.text(right + 1.5, y, f"{x:.2f}%", va="center", fontproperties=_font(7))
    ax.set_yticks(list(range(len(subjects))), list(subjects), fontproperties=font)
    ax.invert_yaxis()
    ax.set_ylim(len(subjects) - 0.5, -0.5)
    low = min([r for row in rates for r in row if r is not None] or [0.0])
    ax.set_xlim(max(0.0, low - 10), 110)
    ax.xaxis.set_major_formatter(PercentFormatter(decimals=0))
    for label in ax.get_xticklabels():
        label.set_fontproperties(small)
    ax.grid(axis="x", color="#e0e0e0", linewidth=0.6)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    if title:
        ax.set_title(title, fontproperties=_font(11), loc="left")
    _legend(figure, ax.get_legend_handles_labels()[0], min(len(meetings), 4))
    return _png(figure)
