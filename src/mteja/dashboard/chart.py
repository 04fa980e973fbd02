"""The home page's bar chart of customers created per day, drawn as SVG on the server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

WIDTH = 600
HEIGHT = 160
_LABEL_SPACE = 18  # below the bars, for the first and last day


@dataclass(frozen=True, slots=True)
class Bar:
    day: date
    count: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Chart:
    bars: list[Bar]
    total: int
    peak: int
    width: int = WIDTH
    height: int = HEIGHT
    baseline: int = HEIGHT - _LABEL_SPACE


def bar_chart(days: Sequence[tuple[date, int]]) -> Chart:
    peak = max((count for _, count in days), default=0)
    plot_height = HEIGHT - _LABEL_SPACE
    slot = WIDTH / max(len(days), 1)
    bars = []
    for index, (day, count) in enumerate(days):
        # A day with any customer stays visible, however tall the peak.
        height = 0.0 if count == 0 else max(2.0, plot_height * count / peak)
        bars.append(
            Bar(
                day=day,
                count=count,
                x=round(index * slot + slot * 0.1, 2),
                y=round(plot_height - height, 2),
                width=round(slot * 0.8, 2),
                height=round(height, 2),
            )
        )
    return Chart(bars=bars, total=sum(count for _, count in days), peak=peak)
