"""The insights page's charts: SVG drawn by matplotlib on the server (its object API, no
pyplot state), each with a `<title>` and `<desc>` inside and returned with the sentence a
page uses as the image's text alternative.

Pages show them as `<img src="data:image/svg+xml;base64,…" alt="…">`: matplotlib writes
colours as `style` attributes, which the dashboard's Content-Security-Policy (no inline
styles) would strip from an inline `<svg>`, while an image keeps its own. A white card in
both colour schemes keeps the chart readable in dark mode."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib
from markupsafe import escape
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

# Text stays text (smaller, and read as words rather than glyph outlines); ids in the SVG
# are the same from one render to the next.
matplotlib.rcParams["svg.fonttype"] = "none"
matplotlib.rcParams["svg.hashsalt"] = "sitrep"

SEVERITY_COLOURS = {1: "#b2182b", 2: "#ef8a62", 3: "#67a9cf", 4: "#2166ac"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL)
_SVG_TAG = re.compile(r"<svg\b[^>]*>")


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    svg: str

    @property
    def data_url(self) -> str:
        return "data:image/svg+xml;base64," + base64.b64encode(self.svg.encode()).decode()


def heat_map(grid: Mapping[str, Sequence[int]], *, timezone: str) -> Chart:
    """Incidents started in each hour of each weekday (rows Monday to Sunday)."""
    rows = [list(grid.get(day, [0] * 24)) for day in WEEKDAYS]
    total = sum(map(sum, rows))
    busiest = max(((n, day, hour) for day, row in zip(WEEKDAYS, rows, strict=True)
                   for hour, n in enumerate(row)), default=(0, "", 0))
    figure = Figure(figsize=(9, 3.2), layout="constrained")
    axes = figure.subplots()
    mesh = axes.pcolormesh(rows, cmap="Reds", edgecolors="#ffffff", linewidth=0.5,
                           vmin=0, vmax=max(1, busiest[0]))
    axes.invert_yaxis()
    axes.set_yticks([i + 0.5 for i in range(7)], WEEKDAYS)
    axes.set_xticks([h + 0.5 for h in range(0, 24, 2)], [f"{h:02d}" for h in range(0, 24, 2)])
    axes.set_xlabel(f"hour the incident started ({timezone})")
    bar = figure.colorbar(mesh, ax=axes, label="incidents")
    bar.ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    title = "Incidents by weekday and hour"
    description = (f"{total} incidents started, by weekday and hour in {timezone}."
                   + (f" The busiest hour is {busiest[1]} {busiest[2]:02d}:00 with "
                      f"{busiest[0]}." if busiest[0] else ""))
    return _chart(figure, title, description)


def severity_counts(counts: Mapping[str, int]) -> Chart:
    severities = sorted(counts, key=int)
    figure = Figure(figsize=(5, 2.8), layout="constrained")
    axes = figure.subplots()
    bars = axes.bar([f"SEV{s}" for s in severities], [counts[s] for s in severities],
                    color=[SEVERITY_COLOURS.get(int(s), "#888888") for s in severities])
    axes.bar_label(bars)
    axes.set_ylabel("incidents")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    title = "Incidents by severity"
    description = ", ".join(f"SEV{s}: {counts[s]}" for s in severities) + "."
    return _chart(figure, title, description)


@dataclass(frozen=True)
class MonthSpread:
    month: str
    # severity → (median, p90) time to resolve in seconds; absent when none resolved.
    by_severity: Mapping[int, tuple[float, float]]


def resolve_times(months: Sequence[MonthSpread]) -> Chart:
    """Median (solid) and p90 (dashed) time to resolve, per severity, month by month."""
    figure = Figure(figsize=(9, 3.6), layout="constrained")
    axes = figure.subplots()
    labels = [m.month for m in months]
    described = []
    for severity, colour in SEVERITY_COLOURS.items():
        points = [(i, m.by_severity[severity]) for i, m in enumerate(months)
                  if severity in m.by_severity]
        if not points:
            continue
        xs = [i for i, _ in points]
        axes.plot(xs, [median / 3600 for _, (median, _) in points], marker="o", color=colour,
                  label=f"SEV{severity} median")
        axes.plot(xs, [p90 / 3600 for _, (_, p90) in points], linestyle="--", color=colour,
                  label=f"SEV{severity} p90")
        last_month, (median, p90) = months[xs[-1]].month, points[-1][1]
        described.append(f"SEV{severity} in {last_month}: median {_hours(median)}, "
                         f"p90 {_hours(p90)}")
    axes.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    axes.set_ylabel("hours to resolve")
    axes.set_ylim(bottom=0)
    axes.spines[["top", "right"]].set_visible(False)
    if described:
        axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small")
    title = "Time to resolve by severity and month (median and p90)"
    description = ("Median (solid) and 90th percentile (dashed) hours to resolve for each "
                   "severity, by the month the incident started. "
                   + ("; ".join(described) + "." if described else "Nothing resolved."))
    return _chart(figure, title, description)


def _chart(figure: Figure, title: str, description: str) -> Chart:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", facecolor="#ffffff")
    svg = buffer.getvalue()
    svg = svg[svg.index("<svg"):]
    # matplotlib's one <style> element only rounds line joins.
    svg = _STYLE_ELEMENT.sub("", svg, count=1)
    opening = _SVG_TAG.search(svg)
    assert opening is not None
    accessible = (opening.group(0)[:-1] + ' role="img" aria-labelledby="t d">'
                  f'<title id="t">{escape(title)}</title><desc id="d">{escape(description)}'
                  "</desc>")
    svg = svg[:opening.start()] + accessible + svg[opening.end():]
    return Chart(title=title, description=description, svg=svg)


def _hours(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
