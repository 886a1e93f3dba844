"""The burst of a major incident: 2,000 📌 reactions at once, against a real `sitrep serve`.

Per run: a Slack emulator process with Slack's rate tiers on, a fresh database, `sitrep
serve` pointed at both; an incident opened with a signed `/incident start`; its channel
filled with people's messages (and, by default, the `message` events Slack would have sent
for them); then one signed `reaction_added` per message, fired over N connections. Acks are
timed at the client; entries are watched arrive in the database (read-only) until all are
there or the settle timeout passes. A bare Bolt app that only acks takes the same burst
right after each Sitrep run, as the yardstick for throughput.

Everything listens on 127.0.0.1; every wait has a limit, and the whole run a budget."""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bench import load
from bench.databases import BenchDatabase, StoredEntry
from bench.emulator_api import EmulatorApi
from bench.processes import (
    LOOPBACK,
    REPO_ROOT,
    Child,
    ProcessFailed,
    free_port,
    machine_busy_seconds,
    start_bare_bolt,
    start_emulator,
)
from bench.report import (
    BARE,
    READ_METHODS,
    RunFigures,
    calls_table,
    markdown_table,
    percentile,
    summarise,
)
from bench.served import serve_sitrep
from bot.devtools import payloads
from bot.devtools.slack_emulator import BOT_TOKEN

DATABASES = ("sqlite", "postgres")
HUMANS = ("U0ALICE", "U0BOB", "U0CAROL")
GENERAL = "C0GENERAL"
EMOJI = "pushpin"
INCIDENT = "start sev1 Checkout is failing for everyone"
INCIDENT_OPEN_LIMIT_S = 60.0
POLL_INTERVAL_S = 0.25
# Before each run, wait (this long at most) for the machine to be quiet: other work on the
# cores would be measured as Sitrep's slowness.
QUIET_MACHINE_CORES = 0.5
# A run's fixed costs (starting processes, seeding, the burst itself) on top of its settle.
RUN_OVERHEAD_ESTIMATE_S = 30.0
SAY = [
    "p99 on checkout-api is {n} ms and climbing",
    "rolled back deploy {n} of payments-gateway",
    "error rate at {n} per second on the card path",
    "paging the database on-call, replica lag is {n} s",
    "customer reports from {n} merchants in the EU",
    "feature flag fast-checkout off for {n} % of traffic",
]


@dataclass(frozen=True)
class BurstOptions:
    size: int = 2000
    connections: int = 50
    repetitions: int = 3
    databases: tuple[str, ...] = DATABASES
    timeout_s: float = 150.0
    with_message_events: bool = True
    bare: bool = True
    postgres_url: str = "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
    budget_s: float = 3600.0
    quiet_wait_s: float = 120.0
    json_path: Path | None = None
    workdir: Path | None = None
    profile: bool = False

    def estimate_s(self) -> float:
        sitrep_runs = self.repetitions * len(self.databases)
        bare_runs = sitrep_runs if self.bare else 0
        return sitrep_runs * (self.timeout_s + RUN_OVERHEAD_ESTIMATE_S) + bare_runs * 15


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# -- what Slack sends -------------------------------------------------------------------


def message_texts(size: int) -> list[str]:
    return [SAY[i % len(SAY)].format(n=100 + i) for i in range(size)]


def reaction_bodies(channel: str, messages: Sequence[dict[str, Any]]) -> list[str]:
    """One `reaction_added` (📌) per message, each by someone other than its author."""
    bodies = []
    for message in messages:
        author = str(message["user"])
        reactor = HUMANS[(HUMANS.index(author) + 1) % len(HUMANS)] if author in HUMANS \
            else HUMANS[0]
        event = payloads.reaction_event("reaction_added", user=reactor, reaction=EMOJI,
                                        channel=channel, ts=str(message["ts"]),
                                        item_user=author)
        bodies.append(json.dumps(payloads.event_envelope(event)))
    return bodies


def reactors(bodies: Sequence[str]) -> list[dict[str, str]]:
    reactions = []
    for body in bodies:
        event = json.loads(body)["event"]
        reactions.append({"ts": event["item"]["ts"], "user": event["user"]})
    return reactions


def stand_in_messages(size: int) -> list[dict[str, Any]]:
    """Messages for the bare app's burst: same shapes, no channel behind them."""
    base = int(time.time()) - size
    return [{"user": HUMANS[i % len(HUMANS)], "ts": f"{base + i}.000100"} for i in range(size)]


# -- one run ----------------------------------------------------------------------------


async def open_incident(session: aiohttp.ClientSession, slack: EmulatorApi, events_url: str,
                        signing_secret: str) -> str:
    """`/incident start …` as Alice in #general; returns the incident channel's id."""
    key = uuid.uuid4().hex
    fields = payloads.slash_command(INCIDENT, user_id=HUMANS[0], channel_id=GENERAL,
                                    response_url=slack.response_url(key))
    request = load.signed([urlencode(fields)], "application/x-www-form-urlencoded",
                          signing_secret)[0]
    async with session.post(events_url, data=request.body, headers=request.headers) as answer:
        if answer.status != 200:
            raise RuntimeError(f"/incident start was answered {answer.status}")
    reply = await slack.wait_for_response(key, timeout_s=INCIDENT_OPEN_LIMIT_S)
    mentioned = re.search(r"<#(C[A-Z0-9]+)", json.dumps(reply))
    if mentioned:
        return mentioned.group(1)
    for channel in await slack.channels():
        if channel["name"].startswith("inc-"):
            return channel["id"]
    raise RuntimeError(f"no incident channel after /incident start; the reply was {reply}")


def ack_figures(figures: RunFigures, burst: load.Burst, server: Child,
                cpu_before: float | None, machine_before: float | None) -> None:
    latencies_ms = [ack.latency_s * 1000 for ack in burst.acks if ack.status != 0]
    figures.ack_p50_ms = percentile(latencies_ms, 50)
    figures.ack_p95_ms = percentile(latencies_ms, 95)
    figures.ack_p99_ms = percentile(latencies_ms, 99)
    figures.throughput = burst.throughput
    figures.non_2xx = burst.non_2xx
    figures.acks_over_3s = burst.over_deadline
    figures.burst_s = burst.duration_s
    cpu_after = server.cpu_seconds()
    if cpu_before is not None and cpu_after is not None:
        figures.burst_cpu_share = (cpu_after - cpu_before) / burst.duration_s
    machine_after = machine_busy_seconds()
    if machine_before is not None and machine_after is not None:
        figures.machine_busy_cores = (machine_after - machine_before) / burst.duration_s


async def settle(database: BenchDatabase, wanted: set[str], *, timeout_s: float
                 ) -> dict[str, StoredEntry]:
    """Entries for the wanted messages as they are stored, until all are or time is up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    stored: dict[str, StoredEntry] = {}
    last_id = 0
    while True:
        for entry in await database.entries_after(last_id):
            last_id = max(last_id, entry.id)
            if entry.source_ts in wanted:
                stored.setdefault(entry.source_ts, entry)
        if len(stored) == len(wanted) or loop.time() >= deadline:
            return stored
        await asyncio.sleep(POLL_INTERVAL_S)


async def run_sitrep(options: BurstOptions, kind: str, repetition: int, workdir: Path,
                     signing_secret: str, settle_limit_s: float) -> RunFigures:
    figures = RunFigures(f"sitrep-{kind}", repetition, options.size,
                         settle_timeout_s=settle_limit_s)
    async with AsyncExitStack() as stack:
        served = await serve_sitrep(stack, kind=kind, workdir=workdir,
                                    postgres_url=options.postgres_url,
                                    signing_secret=signing_secret)
        session, database, slack, sitrep, emulator, events_url = (
            served.http, served.database, served.slack, served.sitrep, served.emulator,
            served.events_url)

        channel = await open_incident(session, slack, events_url, signing_secret)
        messages = await slack.post_messages(channel, list(HUMANS),
                                             message_texts(options.size))
        bodies = reaction_bodies(channel, messages)
        await slack.add_reactions(channel, EMOJI, reactors(bodies))
        await database.open_reader()
        if options.with_message_events:
            figures.message_events = await deliver_messages(options, events_url, channel,
                                                            messages, signing_secret)
            await slack.wait_until_quiet(quiet_s=1.0, timeout_s=30.0)

        calls_before = await slack.call_total()
        cpu_before, machine_before = sitrep.cpu_seconds(), machine_busy_seconds()
        profiling = await profile(options, sitrep,
                                  workdir / f"profile-{kind}-{repetition}-burst.txt")
        burst = await load.fire(events_url,
                                load.signed(bodies, "application/json", signing_secret),
                                connections=options.connections,
                                limit_s=max(60.0, options.timeout_s))
        await stop_profiling(profiling)
        ack_figures(figures, burst, sitrep, cpu_before, machine_before)
        acked_at = {str(m["ts"]): ack.acked_at for m, ack in zip(messages, burst.acks,
                                                                   strict=True)}
        profiling = await profile(options, sitrep,
                                  workdir / f"profile-{kind}-{repetition}-settle.txt")
        stored = await settle(database, set(acked_at), timeout_s=settle_limit_s)
        await stop_profiling(profiling)

        stored_after = [entry.created_at - acked_at[ts] for ts, entry in stored.items()]
        figures.stored = len(stored)
        figures.missing = options.size - len(stored)
        figures.duplicated = await database.duplicated()
        figures.ack_to_stored_p50_s = percentile(stored_after, 50)
        figures.ack_to_stored_p99_s = percentile(stored_after, 99)
        if len(stored) == options.size:
            last = max(entry.created_at for entry in stored.values())
            figures.all_stored_after_s = max(0.0, last - burst.ended_at)
        calls = await slack.calls_since(calls_before)
        figures.emulator_cpu_s = emulator.cpu_seconds()
        figures.slack_calls = calls.total
        figures.slack_calls_per_reaction = calls.total / options.size
        figures.slack_reads_per_reaction = sum(
            calls.by_method[m] for m in READ_METHODS) / options.size
        figures.rate_limited = calls.rate_limited
        figures.calls_by_method = dict(sorted(calls.by_method.items()))
        figures.rate_limited_by_method = dict(sorted(calls.rate_limited_by_method.items()))
        process_figures(figures, sitrep)
    figures.errors_logged = sitrep.log_path.read_text(errors="replace").count("Traceback")
    return figures


async def profile(options: BurstOptions, child: Child,
                  output: Path) -> asyncio.subprocess.Process | None:
    """py-spy sampling `child` into `output` (collapsed stacks) until stopped; None unless
    --profile. Where a goal is missed, this says where the time went."""
    if not options.profile:
        return None
    py_spy = shutil.which("py-spy")
    if py_spy is None:
        raise SystemExit("--profile needs py-spy on PATH (pip install py-spy)")
    recorder = await asyncio.create_subprocess_exec(
        py_spy, "record", "--pid", str(child.pid), "--rate", "200", "--format", "raw",
        "--output", str(output), "--nonblocking", "--idle",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    await asyncio.sleep(1.0)  # py-spy attaches before the load starts
    return recorder


async def stop_profiling(recorder: asyncio.subprocess.Process | None) -> None:
    if recorder is None:
        return
    recorder.send_signal(signal.SIGINT)
    await asyncio.wait_for(recorder.wait(), timeout=30.0)


async def deliver_messages(options: BurstOptions, events_url: str, channel: str,
                           messages: Sequence[dict[str, Any]],
                           signing_secret: str) -> dict[str, Any]:
    """The `message` event Slack sends for each new message in a channel the bot is in."""
    bodies = [json.dumps(payloads.event_envelope(payloads.message_event(channel=channel,
                                                                        message=message)))
              for message in messages]
    delivered = await load.fire(events_url,
                                load.signed(bodies, "application/json", signing_secret),
                                connections=options.connections,
                                limit_s=max(60.0, options.timeout_s))
    latencies_ms = [ack.latency_s * 1000 for ack in delivered.acks if ack.status != 0]
    return {"count": len(bodies), "non_2xx": delivered.non_2xx,
            "ack_p99_ms": percentile(latencies_ms, 99), "throughput": delivered.throughput}


async def run_bare(options: BurstOptions, repetition: int, workdir: Path,
                   signing_secret: str) -> RunFigures:
    figures = RunFigures(BARE, repetition, options.size)
    async with AsyncExitStack() as stack:
        emulator, api_url = await start_emulator(workdir, rate_tiers=True)
        stack.push_async_callback(emulator.stop)
        port = free_port()
        bare = await start_bare_bolt(workdir, port=port, api_url=api_url,
                                     signing_secret=signing_secret, bot_token=BOT_TOKEN)
        stack.push_async_callback(bare.stop)
        bodies = reaction_bodies("C0BURST", stand_in_messages(options.size))
        cpu_before, machine_before = bare.cpu_seconds(), machine_busy_seconds()
        burst = await load.fire(f"http://{LOOPBACK}:{port}/slack/events",
                                load.signed(bodies, "application/json", signing_secret),
                                connections=options.connections,
                                limit_s=max(60.0, options.timeout_s))
        ack_figures(figures, burst, bare, cpu_before, machine_before)
        process_figures(figures, bare)
    return figures


def process_figures(figures: RunFigures, child: Child) -> None:
    peak = child.peak_rss_bytes()
    figures.peak_rss_mb = None if peak is None else peak / 2**20
    figures.cpu_s = child.cpu_seconds()


# -- the whole benchmark ----------------------------------------------------------------


def plan(options: BurstOptions) -> list[tuple[int, str]]:
    """Interleaved: sitrep-sqlite, bare, sitrep-postgres, bare, … per repetition, so drift
    in the machine's speed falls on every configuration alike."""
    steps: list[tuple[int, str]] = []
    for repetition in range(1, options.repetitions + 1):
        for kind in options.databases:
            steps.append((repetition, kind))
            if options.bare:
                steps.append((repetition, "bare"))
    return steps


async def run(options: BurstOptions) -> tuple[list[RunFigures], list[str]]:
    """Every planned run that fits the budget; returns their figures and what did not run
    (out of time, or failed: the reason is in the list, the logs in the run's directory)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + options.budget_s
    signing_secret = secrets.token_hex(16)
    runs: list[RunFigures] = []
    not_run: list[str] = []
    root = options.workdir or Path(tempfile.mkdtemp(prefix="sitrep-burst-"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        for step, (repetition, what) in enumerate(plan(options)):
            label = BARE if what == "bare" else f"sitrep-{what}"
            remaining = deadline - loop.time()
            if remaining < RUN_OVERHEAD_ESTIMATE_S:
                not_run.append(f"{label} #{repetition} (out of time)")
                continue
            workdir = root / f"{step:02d}-{label}-{repetition}"
            workdir.mkdir()
            busy = await wait_for_quiet_machine(min(options.quiet_wait_s, remaining / 4))
            say(f"run {step + 1}: {label}, repetition {repetition}"
                + (f" (machine busy: {busy:.1f} cores before it)" if busy else ""))
            try:
                if what == "bare":
                    figures = await asyncio.wait_for(
                        run_bare(options, repetition, workdir, signing_secret),
                        timeout=remaining)
                else:
                    settle_limit = min(options.timeout_s, remaining - RUN_OVERHEAD_ESTIMATE_S)
                    figures = await asyncio.wait_for(
                        run_sitrep(options, what, repetition, workdir, signing_secret,
                                   settle_limit), timeout=remaining)
            except (ProcessFailed, RuntimeError, OSError, TimeoutError,
                    aiohttp.ClientError) as failure:
                say(f"  failed: {failure}")
                not_run.append(f"{label} #{repetition} (failed: {failure})")
                continue
            if what == "bare":
                # The yardstick for the Sitrep run just before it: same minute, same machine.
                sitrep = runs[-1] if runs and runs[-1].configuration != BARE else None
                if sitrep is not None and sitrep.throughput and figures.throughput:
                    sitrep.vs_bare = sitrep.throughput / figures.throughput
            runs.append(figures)
            say("  " + brief(figures))
    finally:
        if options.workdir is None:
            shutil.rmtree(root, ignore_errors=True)
    return runs, not_run


async def wait_for_quiet_machine(limit_s: float) -> float | None:
    """Cores busy over the last two seconds once that is below QUIET_MACHINE_CORES, or
    the last figure seen when ``limit_s`` has passed (no wait at all when it is 0)."""
    if limit_s <= 0:
        return None
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    busy: float | None = None
    while True:
        before = machine_busy_seconds()
        await asyncio.sleep(2.0)
        after = machine_busy_seconds()
        if before is None or after is None:
            return None
        busy = (after - before) / 2.0
        if busy < QUIET_MACHINE_CORES or loop.time() >= deadline:
            return busy


async def run_stopping_on_sigterm(options: BurstOptions) -> tuple[list[RunFigures],
                                                                    list[str]]:
    """`run`, cancelled by SIGTERM as by Ctrl-C, so the processes it started are stopped
    (they run in sessions of their own, out of reach of the terminal's signals)."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run(options)


def brief(figures: RunFigures) -> str:
    parts = [f"ack p99 {figures.ack_p99_ms or 0:.0f} ms",
             f"{figures.throughput or 0:.0f} acks/s", f"non-2xx {figures.non_2xx}",
             f"machine busy {figures.machine_busy_cores or 0:.1f} cores during the burst"]
    if figures.stored is not None:
        parts.append(f"stored {figures.stored}/{figures.size}")
        parts.append(f"Slack calls {figures.slack_calls} ({figures.rate_limited} were 429)")
    return ", ".join(parts)


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version(),
                            "kernel": platform.release()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gib"] = round(int(line.split()[1]) / 2**20, 1)
                break
    except OSError:
        pass
    return info


def commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                             capture_output=True, text=True, timeout=10, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None


def main(options: BurstOptions, argv: Sequence[str]) -> int:
    estimate = options.estimate_s()
    say(f"burst of {options.size} reactions over {options.connections} connections, "
        f"{options.repetitions} repetition(s), {', '.join(options.databases)}; "
        f"up to about {math.ceil(estimate / 60)} min (budget {options.budget_s / 60:.0f} min)")
    if estimate > 15 * 60:
        say("note: this run may take more than 15 minutes (each Sitrep run may wait "
            f"{options.timeout_s:.0f} s for its entries)")
    try:
        runs, not_run = asyncio.run(run_stopping_on_sigterm(options))
    except (KeyboardInterrupt, asyncio.CancelledError):
        say("stopped; the processes it started were stopped too")
        return 130
    print(markdown_table(runs))
    by_method = calls_table(runs)
    if by_method:
        print()
        print("Slack Web API calls during the burst and settle, by method:")
        print()
        print(by_method)
    if not_run:
        print(f"\nnot run: {'; '.join(not_run)}")
    if options.json_path is not None:
        document = {
            "command": "python -m bench " + " ".join(argv),
            "commit": commit(),
            "machine": machine(),
            "options": {k: (str(v) if isinstance(v, Path) else v)
                        for k, v in asdict(options).items()},
            "runs": [run.to_json() for run in runs],
            "summary": summarise(runs),
            "not_run": not_run,
        }
        options.json_path.write_text(json.dumps(document, indent=2) + "\n")
    return 0 if runs and not not_run else 1
