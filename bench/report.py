"""Figures per run, medians per configuration, and the Markdown table they make."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

READ_METHODS = ("conversations.history", "conversations.replies")
BARE = "bare-bolt"


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile (no interpolation: p99 of 2,000 acks is the 1,980th)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class RunFigures:
    """What one run measured. Times in seconds unless the name says otherwise."""

    configuration: str
    repetition: int
    size: int
    ack_p50_ms: float | None = None
    ack_p95_ms: float | None = None
    ack_p99_ms: float | None = None
    throughput: float | None = None
    non_2xx: int | None = None
    acks_over_3s: int | None = None
    burst_s: float | None = None
    peak_rss_mb: float | None = None
    # CPU the process used while the burst was being fired, per second of the burst: 1.0
    # is one core busy throughout (the process is single-threaded Python, mostly).
    burst_cpu_share: float | None = None
    cpu_s: float | None = None
    emulator_cpu_s: float | None = None
    # Cores the whole machine kept busy during the burst (everything: this run's processes,
    # the load generator, PostgreSQL, and anything else running).
    machine_busy_cores: float | None = None
    # Sitrep only.
    vs_bare: float | None = None
    stored: int | None = None
    missing: int | None = None
    duplicated: int | None = None
    ack_to_stored_p50_s: float | None = None
    ack_to_stored_p99_s: float | None = None
    # None when not every entry was stored within the settle timeout.
    all_stored_after_s: float | None = None
    settle_timeout_s: float | None = None
    slack_calls: int | None = None
    slack_calls_per_reaction: float | None = None
    slack_reads_per_reaction: float | None = None
    rate_limited: int | None = None
    calls_by_method: dict[str, int] = field(default_factory=dict)
    rate_limited_by_method: dict[str, int] = field(default_factory=dict)
    errors_logged: int | None = None
    message_events: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Row:
    label: str
    key: str
    render: Callable[[float | None, RunFigures | None], str]
    sitrep_only: bool = False


def _number(digits: int) -> Callable[[float | None, RunFigures | None], str]:
    def render(value: float | None, _: RunFigures | None) -> str:
        return "—" if value is None else f"{value:,.{digits}f}"
    return render


def _percent(value: float | None, _: RunFigures | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def _until_all(value: float | None, sample: RunFigures | None) -> str:
    if value is None or math.isinf(value):
        timeout = sample.settle_timeout_s if sample is not None else None
        return f"not within {timeout:.0f} s" if timeout is not None else "—"
    return f"{value:,.1f}"


ROWS = (
    Row("ack p50 (ms)", "ack_p50_ms", _number(1)),
    Row("ack p95 (ms)", "ack_p95_ms", _number(1)),
    Row("ack p99 (ms)", "ack_p99_ms", _number(1)),
    Row("throughput (acks/s)", "throughput", _number(0)),
    Row("throughput vs bare Bolt", "vs_bare", _percent, sitrep_only=True),
    Row("non-2xx acks", "non_2xx", _number(0)),
    Row("acks slower than 3 s (Slack would resend)", "acks_over_3s", _number(0)),
    Row("ack → stored p50 (s)", "ack_to_stored_p50_s", _number(2), sitrep_only=True),
    Row("ack → stored p99 (s)", "ack_to_stored_p99_s", _number(2), sitrep_only=True),
    Row("all stored, after the burst's end (s)", "all_stored_after_s", _until_all,
        sitrep_only=True),
    Row("entries missing at the end", "missing", _number(0), sitrep_only=True),
    Row("entries duplicated", "duplicated", _number(0), sitrep_only=True),
    Row("Slack Web API calls per reaction", "slack_calls_per_reaction", _number(2),
        sitrep_only=True),
    Row("Slack reads per reaction (history + replies)", "slack_reads_per_reaction",
        _number(2), sitrep_only=True),
    Row("of all Slack calls, answered 429", "rate_limited", _number(0), sitrep_only=True),
    Row("peak RSS (MiB)", "peak_rss_mb", _number(0)),
    Row("CPU busy during the burst (of one core)", "burst_cpu_share", _percent),
)


def configurations_of(runs: Sequence[RunFigures]) -> list[str]:
    """Sitrep's configurations in the order they ran, the bare yardstick last."""
    seen = list(dict.fromkeys(run.configuration for run in runs))
    return [c for c in seen if c != BARE] + [c for c in seen if c == BARE]


def median_of(runs: Sequence[RunFigures], key: str) -> float | None:
    values: list[float] = []
    for run in runs:
        value = getattr(run, key)
        if value is None and key == "all_stored_after_s":
            # Not all stored in time: slower than any run that made it.
            values.append(math.inf)
        elif value is not None:
            values.append(float(value))
    return statistics.median(values) if values else None


def summarise(runs: Sequence[RunFigures]) -> dict[str, dict[str, Any]]:
    """Per configuration, the median over its repetitions of every figure."""
    summary: dict[str, dict[str, Any]] = {}
    for configuration in configurations_of(runs):
        mine = [run for run in runs if run.configuration == configuration]
        figures: dict[str, Any] = {"repetitions": len(mine)}
        for row in ROWS:
            value = median_of(mine, row.key)
            figures[row.key] = None if value is not None and math.isinf(value) else value
        methods = sorted({m for run in mine for m in run.calls_by_method})
        figures["calls_by_method"] = {
            method: statistics.median(run.calls_by_method.get(method, 0) for run in mine)
            for method in methods}
        summary[configuration] = figures
    return summary


def markdown_table(runs: Sequence[RunFigures]) -> str:
    configurations = configurations_of(runs)
    repetitions = {c: sum(1 for r in runs if r.configuration == c) for c in configurations}
    header = "| figure (median of runs) | " + " | ".join(
        f"{c} (n={repetitions[c]})" for c in configurations) + " |"
    lines = [header, "|---|" + "---:|" * len(configurations)]
    for row in ROWS:
        cells = []
        for configuration in configurations:
            mine = [run for run in runs if run.configuration == configuration]
            if row.sitrep_only and configuration == BARE:
                cells.append("")
                continue
            cells.append(row.render(median_of(mine, row.key), mine[0] if mine else None))
        lines.append(f"| {row.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def calls_table(runs: Sequence[RunFigures]) -> str:
    """Slack Web API calls during the burst and settle, by method (median of runs)."""
    sitrep = [c for c in configurations_of(runs) if c != BARE]
    methods = sorted({m for r in runs for m in r.calls_by_method})
    if not sitrep or not methods:
        return ""
    lines = ["| method: calls (of which 429) | " + " | ".join(sitrep) + " |",
             "|---|" + "---:|" * len(sitrep)]
    for method in methods:
        cells = []
        for configuration in sitrep:
            mine = [r for r in runs if r.configuration == configuration]
            calls = statistics.median(r.calls_by_method.get(method, 0) for r in mine)
            limited = statistics.median(r.rate_limited_by_method.get(method, 0) for r in mine)
            cells.append(f"{calls:,.0f} ({limited:,.0f})")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
