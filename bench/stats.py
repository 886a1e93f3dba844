"""`python -m bench stats`: how long `sitrep stats` takes on a large history.

For each database (a SQLite file, a PostgreSQL database made for the run and dropped
after) and each size (10,000 and 100,000 incidents by default): migrate, write a
synthetic history (bench/history.py), then run the real command line, `sitrep stats
--format json`, as a child process several times, over the whole history and over the
last 90 days (the window `/incident stats` shows). Reported per run, as medians: the
process's wall time (what a person waits for, Python's start and imports included), its
CPU time, the queries' time alone (the same computation timed inside this process, warm),
and the same command on an empty database (the fixed cost: Python, imports, connecting).
The machine's load average is recorded beside each run: the cores are shared."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.burst import machine, wait_for_quiet_machine
from bench.databases import BenchDatabase
from bench.history import write_synthetic_history
from bench.run_options import DATABASES, add_run_options, chosen_databases
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.domain.stats import DayParts
from bot.usecases.insights import StatsQuery, gather_insights

ZONE = "Europe/Berlin"


@dataclass(frozen=True)
class StatsOptions:
    sizes: tuple[int, ...] = (10_000, 100_000)
    databases: tuple[str, ...] = DATABASES
    repetitions: int = 5
    postgres_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    quiet_wait_s: float = 60.0
    json_path: Path | None = None


@dataclass
class StatsRun:
    database: str
    size: int
    write_s: float
    window: str
    process_s: list[float] = field(default_factory=list)
    process_cpu_s: list[float] = field(default_factory=list)
    queries_s: list[float] = field(default_factory=list)
    empty_s: list[float] = field(default_factory=list)
    incidents_seen: int = 0
    load_average: float = 0.0

    def row(self) -> str:
        return (f"| {self.database} | {self.size:,} | {self.window} | {self.incidents_seen:,} | "
                f"{statistics.median(self.process_s):.2f} s | "
                f"{statistics.median(self.process_cpu_s):.2f} s | "
                f"{statistics.median(self.queries_s) * 1000:.0f} ms | "
                f"{statistics.median(self.empty_s):.2f} s | {self.load_average:.1f} |")


def _sitrep(args: list[str], url: str) -> tuple[float, float, str]:
    """Wall time, CPU time (the child's own, user + system) and output."""
    env = {**os.environ, "DATABASE_URL": url, "SITREP_TIMEZONE": ZONE}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env,
                          capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"sitrep {' '.join(args)} failed: {done.stderr.strip()}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return took, cpu, done.stdout


def _database(options: StatsOptions, kind: str, workdir: Path) -> BenchDatabase:
    return (BenchDatabase.sqlite(workdir) if kind == "sqlite"
            else BenchDatabase.postgres(options.postgres_url))


async def _empty(options: StatsOptions, kind: str, workdir: Path) -> str:
    """A migrated database with no incidents, for the command's fixed cost."""
    database = _database(options, kind, workdir)
    await database.create()
    engine = create_engine(database.url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()
    EMPTY[kind] = database
    return database.url


EMPTY: dict[str, BenchDatabase] = {}


async def _one(options: StatsOptions, kind: str, size: int, workdir: Path) -> list[StatsRun]:
    database = _database(options, kind, workdir)
    empty_url = EMPTY[kind].url
    now = datetime.now(UTC)
    zone = ZoneInfo(ZONE)
    runs: list[StatsRun] = []
    await database.create()
    try:
        engine = create_engine(database.url)
        try:
            await migrate.upgrade(engine)
            began = time.perf_counter()
            await write_synthetic_history(engine, size, zone=zone, end=now)
            write_s = time.perf_counter() - began
            today = now.astimezone(zone).date()
            windows = {"all": ([], StatsQuery()),
                       "last 90 days": (["--since", str(today - timedelta(days=89))],
                                        StatsQuery.last_days(90, now, zone))}
            for name, (flags, query) in windows.items():
                run = StatsRun(kind, size, write_s, name)
                await wait_for_quiet_machine(options.quiet_wait_s)
                run.load_average = os.getloadavg()[0]
                for _ in range(options.repetitions):
                    took, cpu, out = await asyncio.to_thread(
                        _sitrep, ["stats", "--format", "json", *flags], database.url)
                    run.process_s.append(took)
                    run.process_cpu_s.append(cpu)
                    run.incidents_seen = json.loads(out)["incidents"]
                    run.empty_s.append((await asyncio.to_thread(
                        _sitrep, ["stats", "--format", "json", *flags], empty_url))[0])
                    began = time.perf_counter()
                    await gather_insights(session_factory(engine), query, zone=zone,
                                          parts=DayParts(), now=now)
                    run.queries_s.append(time.perf_counter() - began)
                runs.append(run)
                print(run.row(), flush=True)
        finally:
            await engine.dispose()
    finally:
        await database.close()
    return runs


async def run(options: StatsOptions) -> list[StatsRun]:
    print("| database | incidents | window | counted | `sitrep stats` wall | its CPU | queries "
          "| same, empty database | load average |\n|---|---|---|---|---|---|---|---|---|",
          flush=True)
    runs: list[StatsRun] = []
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-stats-") as scratch:
        try:
            for kind in options.databases:
                (Path(scratch) / f"{kind}-empty").mkdir()
                await _empty(options, kind, Path(scratch) / f"{kind}-empty")
                for size in options.sizes:
                    workdir = Path(scratch) / f"{kind}-{size}"
                    workdir.mkdir()
                    runs += await _one(options, kind, size, workdir)
        finally:
            for database in EMPTY.values():
                await database.close()
    return runs


def main(argv: list[str]) -> int:
    defaults = StatsOptions()
    parser = argparse.ArgumentParser(prog="python -m bench stats",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    add_run_options(parser, sizes=defaults.sizes,
                    sizes_help="comma-separated history sizes (incidents)",
                    databases=defaults.databases, repetitions=defaults.repetitions,
                    postgres_url=defaults.postgres_url, quiet_wait_s=defaults.quiet_wait_s)
    args = parser.parse_args(argv)
    databases = chosen_databases(parser, args.databases)
    options = StatsOptions(sizes=tuple(int(s) for s in args.sizes.split(",") if s),
                           databases=databases, repetitions=max(1, args.repetitions),
                           postgres_url=args.postgres_url, quiet_wait_s=args.quiet_wait,
                           json_path=args.json)
    runs = asyncio.run(run(options))
    if options.json_path is not None:
        options.json_path.write_text(json.dumps(
            {"machine": machine(), "runs": [asdict(r) for r in runs]}, indent=2))
    return 0
