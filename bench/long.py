"""`python -m bench long`: the commands of a long incident, timed end to end (issue 9).

Per database and size: an emulator process, a fresh database, `sitrep serve` pointed at
both; one incident opened with a signed `/incident start`; its timeline filled to N
entries written straight into the database (a day of marked messages, updates, notes,
role, severity and status changes, by twenty people, with permalinks), the incident moved
back a day to match. Then, a few times each, timed from the signed request to the moment
the result reaches the emulator:

- `/incident timeline`: the listing posted to the response_url;
- `/incident sev N`: the card's `chat.update` (the redraw);
- `/incident handover @person`: the brief's `chat.postMessage`;
- `/incident resolve`: the message (or file comment) that links the retrospective, which
  is written, stored and uploaded before it (each later run reopens first, untimed).

Slack's rate tiers are on in the emulator, as in the burst; Web API calls refused with
a 429 during an operation are counted beside it. Everything listens on 127.0.0.1."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
from sqlalchemy import insert, text, update

from bench import load
from bench.burst import HUMANS, INCIDENT, machine, open_incident, wait_for_quiet_machine
from bench.emulator_api import EmulatorApi
from bench.run_options import DATABASES, add_run_options, chosen_databases
from bench.served import serve_sitrep
from bot.db.engine import create_engine
from bot.db.models import Incident, RoleAssignment, TimelineEntry
from bot.devtools import payloads

OPERATIONS = ("timeline", "card redraw", "handover brief", "resolve + retrospective")
# A bound on one operation, not an expectation: past it the run says so and goes on.
OPERATION_LIMIT_S = 120.0
POLL_INTERVAL_S = 0.02
SAMPLE_CHARS = 120
# Between repetitions: lets the per-channel posting tier (about one a second) recover, so
# a 429 from the previous repetition is not measured as this one's slowness.
PAUSE_S = 1.5
PEOPLE = [f"U0P{n:04d}" for n in range(20)]
MARKED = ["p99 on checkout-api is {n} ms and climbing",
          "rolled back deploy {n} of payments-gateway",
          "error rate at {n} per second on the card path",
          "replica lag is {n} s on the orders database",
          "customer reports from EU: {n} tickets in the last hour",
          "feature flag new-cart-{n} turned off"]
WRITTEN = {"update": "Still degraded; next update in {n} minutes",
           "note": "Suspect the connection pool: {n} waiting connections",
           "hypothesis": "Could be the cache eviction storm seen in INC-{n}"}


@dataclass(frozen=True)
class LongOptions:
    sizes: tuple[int, ...] = (1_000, 10_000)
    databases: tuple[str, ...] = DATABASES
    repetitions: int = 3
    postgres_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    quiet_wait_s: float = 60.0
    json_path: Path | None = None
    workdir: Path | None = None


@dataclass
class Timed:
    database: str
    entries: int
    operation: str
    seconds: list[float] = field(default_factory=list)
    rate_limited: int = 0
    calls: int = 0
    load_average: float = 0.0
    # The start of what the operation's result said, to show it was the real answer.
    sample: str = ""

    @property
    def median_s(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds else None

    def row(self) -> str:
        median = self.median_s
        shown = "did not finish" if median is None else f"{median:.2f} s"
        spread = (f"{min(self.seconds):.2f} to {max(self.seconds):.2f} s" if self.seconds else "—")
        return (f"| {self.operation} | {self.database} | {self.entries:,} | {shown} | {spread} "
                f"| {len(self.seconds)} | {self.calls} | {self.rate_limited} "
                f"| {self.load_average:.1f} |")


HEADER = ("| operation | database | entries | median | range | runs | Slack calls | 429s "
          "| load average |\n|---|---|---|---|---|---|---|---|---|")


# -- the timeline ----------------------------------------------------------------------


def timeline_rows(size: int, *, team_id: str, incident_id: int, channel: str,
                  start: datetime, end: datetime, seed: int = 9) -> list[dict[str, Any]]:
    """A day of entries: mostly marked messages, then updates and notes, a few changes."""
    rng = random.Random(seed)
    step = (end - start) / max(1, size)
    base_ts = int(start.timestamp())
    rows: list[dict[str, Any]] = []
    for n in range(size):
        at = start + step * n
        author = rng.choice(PEOPLE)
        row: dict[str, Any] = {
            "team_id": team_id, "incident_id": incident_id, "occurred_at": at,
            "created_at": at, "author_id": author, "author_name": f"engineer-{author[-2:]}",
            "created_by": author, "source_channel_id": None, "source_ts": None,
            "permalink": None, "subject_id": None, "previous_id": None, "comment": None}
        roll = rng.random()
        if roll < 0.7:
            ts = f"{base_ts + n}.{n % 1_000_000:06d}"
            row |= {"kind": "key_event", "via": "reaction", "source_channel_id": channel,
                    "source_ts": ts,
                    "text": rng.choice(MARKED).format(n=rng.randrange(10, 5000))
                    + (f" <@{rng.choice(PEOPLE)}>" if n % 7 == 0 else "")
                    + ("\nsecond line with a `code` span" if n % 11 == 0 else ""),
                    "permalink": f"https://sitrep-bench.slack.com/archives/{channel}/"
                                 f"p{ts.replace('.', '')}"}
        elif roll < 0.95:
            kind = rng.choice(list(WRITTEN))
            row |= {"kind": kind, "via": "command",
                    "text": WRITTEN[kind].format(n=rng.randrange(5, 90))}
        elif roll < 0.98:
            row |= {"kind": "status", "via": "auto",
                    "text": rng.choice(("identified", "monitoring", "investigating"))}
        else:
            row |= {"kind": "role", "via": "auto", "text": "scribe",
                    "subject_id": rng.choice(PEOPLE), "previous_id": None}
        rows.append(row)
    return rows


async def fill_timeline(database_url: str, size: int, channel: str) -> None:
    """Moves the only incident back a day and writes ``size`` entries over that day."""
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            incident_id, team_id = (await connection.execute(
                text("SELECT id, team_id FROM incident"))).one()
            end = datetime.now(UTC) - timedelta(minutes=1)
            start = end - timedelta(days=1)
            await connection.execute(update(Incident).where(Incident.id == incident_id)
                                     .values(created_at=start, detected_at=start))
            await connection.execute(update(RoleAssignment)
                                     .where(RoleAssignment.incident_id == incident_id)
                                     .values(started_at=start))
            await connection.execute(update(TimelineEntry)
                                     .where(TimelineEntry.incident_id == incident_id)
                                     .values(occurred_at=start, created_at=start))
            rows = timeline_rows(size - 1, team_id=team_id, incident_id=incident_id,
                                 channel=channel, start=start + timedelta(minutes=1),
                                 end=end)
            for first in range(0, len(rows), 2000):
                await connection.execute(insert(TimelineEntry), rows[first:first + 2000])
    finally:
        await engine.dispose()


# -- one operation -----------------------------------------------------------------------


@dataclass
class Driver:
    session: aiohttp.ClientSession
    slack: EmulatorApi
    events_url: str
    signing_secret: str
    channel: str

    async def command(self, words: str) -> tuple[float, str]:
        """Sends `/incident words` as Alice in the incident's channel; when it was sent,
        and the response_url key."""
        key = uuid.uuid4().hex
        fields = payloads.slash_command(words, user_id=HUMANS[0], channel_id=self.channel,
                                        response_url=self.slack.response_url(key))
        request = load.signed([urlencode(fields)], "application/x-www-form-urlencoded",
                              self.signing_secret)[0]
        sent = time.perf_counter()
        async with self.session.post(self.events_url, data=request.body,
                                     headers=request.headers) as answer:
            if answer.status != 200:
                raise RuntimeError(f"/incident {words} was answered {answer.status}")
        return sent, key

    async def calls(self, since: int) -> tuple[int, list[dict[str, Any]]]:
        async with self.session.get(f"{self.slack.base_url}/_emulator/calls",
                                    params={"since": str(since)}) as response:
            body = await response.json()
        return int(body["total"]), list(body["calls"])

    async def timed(self, words: str, arrived: Callable[[dict[str, Any]], bool] | None
                    ) -> tuple[float, int, int, str]:
        """Seconds from the request to the call that carries the result (``arrived``), or
        to the response_url post when ``arrived`` is None; and the calls made meanwhile,
        and how many of them were refused with a 429."""
        position, _ = await self.calls(2**62)
        sent, key = await self.command(words)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + OPERATION_LIMIT_S
        seen: list[dict[str, Any]] = []
        while loop.time() < deadline:
            if arrived is None:
                answers = [response["body"] for response in await self.slack.responses()
                           if response["key"] == key and not _interim(response["body"])]
                done = bool(answers)
                said = str(answers[0].get("text", ""))[:SAMPLE_CHARS] if answers else ""
            else:
                _, new = await self.calls(position + len(seen))
                seen += new
                carried = [call for call in new if call["status"] == 200 and arrived(call)]
                done = bool(carried)
                said = f'{carried[0]["method"]}: {carried[0]["said"]}'[:SAMPLE_CHARS] \
                    if carried else ""
            if done:
                took = time.perf_counter() - sent
                if arrived is None:
                    _, seen = await self.calls(position)
                return (took, len(seen), sum(1 for call in seen if call["status"] == 429),
                        said)
            await asyncio.sleep(POLL_INTERVAL_S)
        raise TimeoutError(f"/incident {words} showed no result within {OPERATION_LIMIT_S}s")

    async def settle(self) -> None:
        await self.slack.wait_until_quiet(quiet_s=0.5, timeout_s=30.0)


def _interim(body: dict[str, Any]) -> bool:
    """A "working on it" note before the answer is not the answer."""
    return "working on it" in str(body.get("text", "")).lower()


def _card(call: dict[str, Any]) -> bool:
    return bool(call["method"] == "chat.update")


def _brief(call: dict[str, Any]) -> bool:
    return call["method"] == "chat.postMessage" and "Handover brief" in call["said"]


def _retrospective(call: dict[str, Any]) -> bool:
    return "retrospective draft for" in call["said"]


async def measure(driver: Driver, options: LongOptions, kind: str, size: int
                  ) -> list[Timed]:
    results = {name: Timed(kind, size, name) for name in OPERATIONS}
    successors = [HUMANS[1], HUMANS[2]]
    for repetition in range(options.repetitions):
        steps: list[tuple[str, str, Callable[[dict[str, Any]], bool] | None]] = [
            ("timeline", "timeline", None),
            ("card redraw", f"sev {2 + repetition % 2}", _card),
            ("handover brief", f"handover <@{successors[repetition % 2]}>", _brief),
            ("resolve + retrospective", "resolve Connection pool exhausted", _retrospective)]
        for name, words, arrived in steps:
            result = results[name]
            await driver.settle()
            await asyncio.sleep(PAUSE_S)
            result.load_average = max(result.load_average, os.getloadavg()[0])
            try:
                took, calls, limited, said = await driver.timed(words, arrived)
            except TimeoutError as timed_out:
                print(f"  {kind} {size:,} {name}: {timed_out}", flush=True)
                continue
            result.seconds.append(took)
            result.sample = result.sample or said
            result.calls += calls
            result.rate_limited += limited
        if repetition + 1 < options.repetitions:
            await driver.settle()
            await driver.command("reopen")
    return list(results.values())


async def run_one(options: LongOptions, kind: str, size: int, workdir: Path) -> list[Timed]:
    signing_secret = uuid.uuid4().hex
    async with AsyncExitStack() as stack:
        served = await serve_sitrep(stack, kind=kind, workdir=workdir,
                                    postgres_url=options.postgres_url,
                                    signing_secret=signing_secret)
        session, database, slack, sitrep, events_url = (
            served.http, served.database, served.slack, served.sitrep, served.events_url)
        channel = await open_incident(session, slack, events_url, signing_secret)
        driver = Driver(session, slack, events_url, signing_secret, channel)
        await driver.settle()
        await fill_timeline(database.url, size, channel)
        await wait_for_quiet_machine(options.quiet_wait_s)
        results = await measure(driver, options, kind, size)
        errors = sitrep.log_path.read_text(errors="replace").count("Traceback")
        if errors:
            print(f"  {kind} {size:,}: {errors} tracebacks in {sitrep.log_path}", flush=True)
    return results


def growth_table(results: list[Timed], sizes: tuple[int, ...]) -> str:
    if len(sizes) < 2:
        return ""
    small, large = sizes[0], sizes[-1]
    lines = [f"| operation | database | {small:,} entries | {large:,} entries | growth "
             f"| under 1 s at {large:,} |", "|---|---|---|---|---|---|"]
    by = {(r.operation, r.database, r.entries): r.median_s for r in results}
    for kind in dict.fromkeys(r.database for r in results):
        for name in OPERATIONS:
            low, high = by.get((name, kind, small)), by.get((name, kind, large))
            growth = f"x{high / low:.1f}" if low and high else "—"
            meets = "—" if high is None else ("yes" if high < 1.0 else "**no**")
            shown = [("—" if v is None else f"{v:.2f} s") for v in (low, high)]
            lines.append(f"| {name} | {kind} | {shown[0]} | {shown[1]} | {growth} | {meets} |")
    return "\n".join(lines)


async def run(options: LongOptions) -> list[Timed]:
    print(HEADER, flush=True)
    results: list[Timed] = []
    with tempfile.TemporaryDirectory(prefix="sitrep-bench-long-") as scratch:
        root = options.workdir or Path(scratch)
        for kind in options.databases:
            for size in options.sizes:
                workdir = root / f"{kind}-{size}"
                workdir.mkdir(parents=True, exist_ok=True)
                for timed in await run_one(options, kind, size, workdir):
                    print(timed.row(), flush=True)
                    results.append(timed)
    return results


def main(argv: list[str]) -> int:
    defaults = LongOptions()
    parser = argparse.ArgumentParser(prog="python -m bench long",
                                     description=__doc__.splitlines()[0] if __doc__ else None)
    add_run_options(parser, sizes=defaults.sizes,
                    sizes_help="comma-separated timeline sizes (entries in the one incident)",
                    databases=defaults.databases, repetitions=defaults.repetitions,
                    postgres_url=defaults.postgres_url, quiet_wait_s=defaults.quiet_wait_s)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="keep each run's logs and SQLite files here")
    args = parser.parse_args(argv)
    databases = chosen_databases(parser, args.databases)
    sizes = tuple(sorted(int(s) for s in args.sizes.split(",") if s))
    if not sizes or min(sizes) < 2:
        parser.error("--sizes: each at least 2")
    options = LongOptions(sizes=sizes, databases=databases,
                          repetitions=max(1, args.repetitions), postgres_url=args.postgres_url,
                          quiet_wait_s=args.quiet_wait, json_path=args.json,
                          workdir=args.workdir)
    results = asyncio.run(run(options))
    growth = growth_table(results, options.sizes)
    if growth:
        print(f"\n{growth}", flush=True)
    if options.json_path is not None:
        options.json_path.write_text(json.dumps(
            {"machine": machine(), "incident": INCIDENT,
             "results": [asdict(r) | {"median_s": r.median_s} for r in results]}, indent=2))
    return 0
