"""How long the retrospective of a long incident takes to render.

    python bench/bench_retro.py [--entries N] [--handovers N] [--runs N]

Target: well under one second for a 24-hour incident with 10,000 timeline entries and
50 handovers. Rendering only (the database read is a separate cost)."""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.devtools.long_incident import long_incident
from bot.retro.render import Renderer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--handovers", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    facts = long_incident(entries=args.entries, handovers=args.handovers)
    renderer = Renderer(None, ZoneInfo("Europe/Berlin"))
    now = datetime.now(UTC)
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        document = renderer.render(facts, version=1, generated_at=now)
        timings.append(time.perf_counter() - started)
    print(f"retrospective of {args.entries} entries, {args.handovers} handovers: "
          f"{len(document) / 1024:.0f} KiB, median {statistics.median(timings) * 1000:.0f} ms, "
          f"best {min(timings) * 1000:.0f} ms over {args.runs} runs")


if __name__ == "__main__":
    main()
