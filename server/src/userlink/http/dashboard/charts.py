"""Bar charts drawn by the server: the geometry of an SVG (bars, axis ticks, labels, legend) as
plain data, which a template writes out (templates/apps/_insight.html). No script, no library:
the page stays within its Content-Security-Policy and works without JavaScript."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

# Okabe-Ito colours: told apart with the common colour-vision deficiencies.
BLUE = "#0072B2"
GREEN = "#009E73"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
SKY = "#56B4E9"
PURPLE = "#CC79A7"

WIDTH = 720
HEIGHT = 270
MARGIN_LEFT = 44
MARGIN_RIGHT = 12
MARGIN_TOP = 34  # the legend's row
MARGIN_BOTTOM = 30  # the x labels' row
MAX_Y_TICKS = 5


@dataclass(frozen=True)
class Series:
    name: str
    colour: str
    values: Sequence[int]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    colour: str
    label: str  # "Issued, 2026-11-29: 3", the bar's own <title>


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class LegendEntry:
    x: float
    colour: str
    name: str


@dataclass(frozen=True)
class BarChart:
    key: str  # unique on the page: ids of the title and description
    title: str
    description: str
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    bars: list[Bar]
    y_ticks: list[Tick]
    x_labels: list[Tick]
    legend: list[LegendEntry]
    empty: bool


def nice_ceiling(value: int) -> tuple[int, int]:
    """The axis maximum at or above `value` and its tick step: 1, 2 or 5 times a power of ten,
    with at most MAX_Y_TICKS steps (so the ticks read 0, 5, 10, …)."""
    if value <= 0:
        return 1, 1
    raw_step = value / MAX_Y_TICKS
    magnitude = 10 ** math.floor(math.log10(raw_step)) if raw_step >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw_step)
    step = max(1, int(step))
    return step * math.ceil(value / step), step


def bar_chart(
    *,
    key: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    stacked: bool = False,
    label_every: int = 1,
) -> BarChart:
    """Bars per category: side by side (one per series) or stacked. `categories` label the x
    axis, one in `label_every` written out."""
    left, top = MARGIN_LEFT, MARGIN_TOP
    right, bottom = WIDTH - MARGIN_RIGHT, HEIGHT - MARGIN_BOTTOM
    if stacked:
        highest = max((sum(s.values[i] for s in series) for i in range(len(categories))), default=0)
    else:
        highest = max((max(s.values, default=0) for s in series), default=0)
    axis_max, step = nice_ceiling(highest)
    slot = (right - left) / max(len(categories), 1)
    group = slot * 0.8
    bar_width = group if stacked else group / max(len(series), 1)

    def y_of(value: float) -> float:
        return bottom - (bottom - top) * value / axis_max

    bars: list[Bar] = []
    for index, category in enumerate(categories):
        x0 = left + slot * index + (slot - group) / 2
        base = 0
        for number, one in enumerate(series):
            value = one.values[index]
            if value <= 0:
                continue
            x = x0 if stacked else x0 + bar_width * number
            low = base if stacked else 0
            bars.append(
                Bar(
                    x=round(x, 2),
                    y=round(y_of(low + value), 2),
                    width=round(max(bar_width - 1, 1), 2),
                    height=round(y_of(low) - y_of(low + value), 2),
                    colour=one.colour,
                    label=f"{one.name}, {category}: {value}",
                )
            )
            if stacked:
                base += value
    y_ticks = [
        Tick(position=round(y_of(value), 2), label=str(value))
        for value in range(0, axis_max + 1, step)
    ]
    x_labels = [
        Tick(position=round(left + slot * index + slot / 2, 2), label=category)
        for index, category in enumerate(categories)
        if (len(categories) - 1 - index) % label_every == 0  # today is always labelled
    ]
    legend = [
        LegendEntry(x=left + 150 * number, colour=one.colour, name=one.name)
        for number, one in enumerate(series)
    ]
    return BarChart(
        key=key,
        title=title,
        description=description,
        width=WIDTH,
        height=HEIGHT,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        bars=bars,
        y_ticks=y_ticks,
        x_labels=x_labels,
        legend=legend,
        empty=highest == 0,
    )
