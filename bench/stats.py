"""`python -m bench stats`: how long `sitrep stats` takes on a large history.

For each database (a SQLite file, a PostgreSQL database made for the run and dropped
after) and each size (10,000 and 100,000 incidents by default): migrate, write a
synthetic history (bench/history.py), then run the real command line, `sitrep stats
--format json`, as a child process several times, over the whole history and over the
last 90 days (the window `/incident stats` shows). Reported per run: the process's wall
time (what a person waits for, Python's start and imports included), the queries' time
alone (the same computation timed inside this process, warm), and the cost of starting
the process at all (`sitrep stats --help`, which imports nothing), all medians."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
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
from bot.db import migrate
from bot.db.engine import create_engine, session_factory
from bot.domain.stats import DayParts
from bot.usecases.insights import StatsQuery, gather_insights

DATABASES = ("sqlite", "postgres")
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
    queries_s: list[float] = field(default_factory=list)
    startup_s: list[float] = field(default_factory=list)
    incidents_seen: int = 0

    def row(self) -> str:
        return (f"| {self.database} | {self.size:,} | {self.window} | {self.incidents_seen:,} | "
                f"{statistics.median(self.process_s):.2f} s | "
                f"{statistics.median(self.queries_s) * 1000:.0f} ms | "
                f"{statistics.median(self.startup_s):.2f} s |")


def _sitrep(args: list[str], url: str) -> tuple[float, str]:
    env = {**os.environ, "DATABASE_URL": url, "SITREP_TIMEZONE": ZONE}
    began = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "bot.cli", *args], env=env,
                          capture_output=True, text=True, check=False)
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"sitrep {' '.join(args)} failed: {done.stderr.strip()}")
    return took, done.stdout


async def _one(options: StatsOptions, kind: str, size: int, workdir: Path) -> list[StatsRun]:
    database = (BenchDatabase.sqlite(workdir) if kind == "sqlite"
                else BenchDatabase.postgres(options.postgres_url))
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
                for _ in range(options.repetitions):
                    took, out = await asyncio.to_thread(
                        _sitrep, ["stats", "--format", "json", *flags], database.url)
                    run.process_s.append(took)
                    run.incidents_seen = json.loads(out)["incidents"]
                    run.startup_s.append((await asyncio.to_thread(
                        _sitrep, ["stats", "--help"], database.url))[0])
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
    print("| database | incidents | window | counted | `sitrep stats` (process) | queries "
          "| process start |\n|---|---|---|---|---|---|---|", flush=True)
    runs: list[StatsRun] = []
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-stats-") as scratch:
        for kind in options.databases:
            for size in options.sizes:
                workdir = Path(scratch) / f"{kind}-{size}"
                workdir.mkdir()
                runs += await _one(options, kind, size, workdir)
    return runs


def main(argv: list[str]) -> int:
    defaults = StatsOptions()
    parser = argparse.ArgumentParser(prog="python -m bench stats",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default=",".join(map(str, defaults.sizes)),
                        help="comma-separated history sizes (incidents)")
    parser.add_argument("--databases", default=",".join(defaults.databases),
                        help="comma-separated: sqlite,postgres")
    parser.add_argument("--repetitions", type=int, default=defaults.repetitions)
    parser.add_argument("--postgres-url", default=os.environ.get(
        "SITREP_TEST_POSTGRES_URL", defaults.postgres_url))
    parser.add_argument("--quiet-wait", type=float, default=defaults.quiet_wait_s,
                        help="seconds to wait before each run for the machine to fall quiet")
    parser.add_argument("--json", type=Path, default=None, help="also write figures here")
    args = parser.parse_args(argv)
    databases = tuple(part for part in args.databases.split(",") if part)
    if not databases or set(databases) - set(DATABASES):
        parser.error(f"--databases: choose from {', '.join(DATABASES)}")
    options = StatsOptions(sizes=tuple(int(s) for s in args.sizes.split(",") if s),
                           databases=databases, repetitions=max(1, args.repetitions),
                           postgres_url=args.postgres_url, quiet_wait_s=args.quiet_wait,
                           json_path=args.json)
    runs = asyncio.run(run(options))
    if options.json_path is not None:
        options.json_path.write_text(json.dumps(
            {"machine": machine(), "runs": [asdict(r) for r in runs]}, indent=2))
    return 0
