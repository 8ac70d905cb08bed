"""Horizontal bar charts as geometry for a small inline-SVG template (vector, print-crisp).

Hand-written SVG costs milliseconds; a plotting library would cost more to import than a whole
brief takes to render. Bars are solid dark grey with their value printed beside them, so a
chart reads the same in black and white.
"""

from __future__ import annotations

from dataclasses import dataclass

from mishaps.reports.context import Chart

WIDTH = 640
LABEL_W = 300
ROW_H = 20
BAR_H = 13
TOP = 6
VALUE_W = 40


@dataclass(frozen=True)
class BarBox:
    label: str
    value: int
    y: float  # top of the row
    width: float  # bar width (0 for a zero count)
    text_y: float


@dataclass(frozen=True)
class Column:
    label: str  # printed under the column ("" to skip a crowded label)
    value: int
    x: float
    y: float
    height: float


@dataclass(frozen=True)
class ColumnBox:
    chart: Chart
    width: int
    height: int
    column_w: float
    columns: list[Column]
    ticks: list[tuple[float, int]]  # (y, value)
    baseline_y: float
    left: int


@dataclass(frozen=True)
class ChartBox:
    chart: Chart
    width: int
    height: int
    label_w: int
    bar_h: int
    bars: list[BarBox]
    ticks: list[tuple[float, int]]  # (x, value) for light grid lines
    baseline_y: float


def _ticks(top: int) -> list[int]:
    step = max(1, -(-top // 5))  # at most ~5 integer grid lines
    return list(range(0, top + 1, step)) if top else []


def columns(chart: Chart) -> ColumnBox:
    """Vertical columns for a time series (one a year or decade), oldest on the left."""
    left, plot_h, top_pad = 28, 150, 14
    n = max(len(chart.bars), 1)
    slot = (WIDTH - left) / n
    top = max((b.value for b in chart.bars), default=0)
    scale = plot_h / top if top else 0
    every = max(1, -(-n // 16))  # label at most ~16 columns so labels never overlap
    base = top_pad + plot_h
    cols = [
        Column(
            label=b.label if i % every == 0 or i == n - 1 else "",
            value=b.value,
            x=round(left + i * slot + slot * 0.15, 1),
            y=round(base - b.value * scale, 1),
            height=round(b.value * scale, 1),
        )
        for i, b in enumerate(chart.bars)
    ]
    ticks = [(round(base - v * scale, 1), v) for v in _ticks(top)]
    return ColumnBox(chart, WIDTH, int(base + 22), round(slot * 0.7, 1), cols, ticks, base, left)


def layout(chart: Chart) -> ChartBox:
    top = max((b.value for b in chart.bars), default=0)
    plot_w = WIDTH - LABEL_W - VALUE_W
    scale = plot_w / top if top else 0
    bars = [
        BarBox(
            label=b.label if len(b.label) <= 50 else b.label[:49] + "…",
            value=b.value,
            y=TOP + i * ROW_H,
            width=round(b.value * scale, 1),
            text_y=TOP + i * ROW_H + BAR_H - 2,
        )
        for i, b in enumerate(chart.bars)
    ]
    ticks = [(round(LABEL_W + v * scale, 1), v) for v in _ticks(top)]
    height = TOP + len(bars) * ROW_H + 18
    return ChartBox(chart, WIDTH, height, LABEL_W, BAR_H, bars, ticks, TOP + len(bars) * ROW_H)
