"""`python -m bench burst` runs end to end at a tiny size and reports every figure.

Only that it completes and says everything: how fast is the benchmark's business, not a
test's (a shared CI machine would make any speed assertion flaky)."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

from bench.report import BARE, ROWS

REPO_ROOT = Path(__file__).resolve().parents[2]
# A bound on a wedged run, not a speed expectation: the run normally takes well under it.
RUN_LIMIT_S = 600


async def _bench(*args: str) -> str:
    """`python -m bench ARGS` from the repository, which must succeed; its standard output."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bench", *args,
        cwd=REPO_ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=RUN_LIMIT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()

    assert process.returncode == 0, stderr.decode()[-3000:]
    return stdout.decode()


async def test_a_tiny_burst_completes_and_reports_every_figure(tmp_path: Path) -> None:
    report = tmp_path / "burst.json"
    table = await _bench("burst", "--size", "20", "--connections", "5", "--repetitions", "1",
                         "--databases", "sqlite", "--bare", "--quiet-wait", "0",
                         "--json", str(report))
    for row in ROWS:
        assert f"| {row.label} |" in table
    summary = json.loads(report.read_text())["summary"]
    assert set(summary) == {"sitrep-sqlite", BARE}
    for configuration, figures in summary.items():
        for row in ROWS:
            if row.sitrep_only and configuration == BARE:
                continue
            assert row.key in figures, f"{configuration} has no {row.key}"
            # None there means "not within the timeout", itself a figure.
            if row.key != "all_stored_after_s":
                assert figures[row.key] is not None, f"{configuration} has no {row.key}"
    assert summary["sitrep-sqlite"]["calls_by_method"]


async def test_a_tiny_stats_benchmark_completes_and_reports_its_figures(tmp_path: Path) -> None:
    report = tmp_path / "stats.json"
    table = await _bench("stats", "--sizes", "300", "--databases", "sqlite", "--repetitions",
                         "1", "--quiet-wait", "0", "--json", str(report))
    assert "| sqlite | 300 | all | 300 |" in table
    runs = json.loads(report.read_text())["runs"]
    assert [(run["window"], run["incidents_seen"]) for run in runs] == [
        ("all", 300), ("last 90 days", 300)]
    for run in runs:
        assert run["process_s"] and run["queries_s"] and run["empty_s"]


async def test_a_tiny_long_incident_benchmark_times_every_operation(tmp_path: Path) -> None:
    report = tmp_path / "long.json"
    table = await _bench("long", "--sizes", "5,150", "--databases", "sqlite", "--repetitions",
                         "1", "--quiet-wait", "0", "--json", str(report))
    assert "| timeline | sqlite | 150 |" in table
    assert "| operation | database | 5 entries | 150 entries | growth |" in table
    results = json.loads(report.read_text())["results"]
    assert {(r["operation"], r["entries"]) for r in results} == {
        (operation, size) for operation in ("timeline", "card redraw", "handover brief",
                                            "resolve + retrospective") for size in (5, 150)}
    for result in results:
        assert len(result["seconds"]) == 1, result
    # Each time was taken at the real answer, not at some other call or reply (the listing
    # shows the latest hundred or so entries).
    samples = {(r["operation"], r["entries"]): r["sample"] for r in results}
    assert samples[("timeline", 150)].startswith("*Timeline of INC-1*")
    assert "earlier entries are not shown" in samples[("timeline", 150)]
    assert samples[("card redraw", 150)].startswith("chat.update: INC-1 (SEV2")
    assert "*Handover brief for INC-1*" in samples[("handover brief", 150)]
    assert "The retrospective draft for *INC-1*" in samples[("resolve + retrospective", 150)]
