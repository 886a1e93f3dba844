"""The weekday x hour heat map of incident starts, drawn server-side with matplotlib.

Matplotlib's object API (a `Figure` of its own, never pyplot's global state) with the Agg
renderer, so drawing is safe in a worker thread while the bot answers other requests; a
PNG for Slack, an SVG for a web page."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Literal

from bot.domain.stats import WEEKDAYS

ChartFormat = Literal["png", "svg"]


def weekday_hour_heatmap(grid: Mapping[tuple[int, int], int], *, title: str,
                         fmt: ChartFormat = "png") -> bytes:
    """`grid`: (weekday 0 = Monday, hour) -> incidents started then."""
    from matplotlib.figure import Figure

    counts = [[grid.get((day, hour), 0) for hour in range(24)] for day in range(7)]
    figure = Figure(figsize=(9, 3.4), dpi=100, layout="constrained")
    axes = figure.add_subplot()
    image = axes.imshow(counts, cmap="YlOrRd", aspect="auto", vmin=0,
                        interpolation="nearest")
    axes.set_yticks(range(7), labels=list(WEEKDAYS))
    axes.set_xticks(range(0, 24, 2), labels=[f"{hour:02d}" for hour in range(0, 24, 2)])
    axes.set_xlabel("hour of the start")
    axes.set_title(title, fontsize=11)
    most = max(max(row) for row in counts)
    if most and most < 1000:
        # Numbers in the cells while they are legible (a cell is small).
        for day, row in enumerate(counts):
            for hour, n in enumerate(row):
                if n:
                    axes.text(hour, day, str(n), ha="center", va="center", fontsize=7,
                              color="white" if n > most * 0.6 else "black")
    figure.colorbar(image, ax=axes, label="incidents", shrink=0.9)
    out = io.BytesIO()
    figure.savefig(out, format=fmt, metadata={"Software": None} if fmt == "png" else None)
    return out.getvalue()
