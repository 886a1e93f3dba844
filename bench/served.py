"""One `sitrep serve` process on a fresh database against the emulator (rate tiers on): what
each benchmark that drives the real bot over HTTP starts with."""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bench.databases import BenchDatabase
from bench.emulator_api import EmulatorApi
from bench.processes import LOOPBACK, Child, free_port, start_emulator, start_sitrep
from bot.devtools.slack_emulator import BOT_TOKEN


@dataclass(frozen=True)
class ServedSitrep:
    http: aiohttp.ClientSession
    database: BenchDatabase
    slack: EmulatorApi
    sitrep: Child
    emulator: Child
    events_url: str


async def serve_sitrep(stack: AsyncExitStack, *, kind: str, workdir: Path, postgres_url: str,
                       signing_secret: str) -> ServedSitrep:
    """Started in order, and stopped in reverse by `stack` when the run ends."""
    database = (BenchDatabase.sqlite(workdir) if kind == "sqlite"
                else BenchDatabase.postgres(postgres_url))
    http = await stack.enter_async_context(aiohttp.ClientSession())
    await database.create()
    stack.push_async_callback(database.close)
    emulator, api_url = await start_emulator(workdir, rate_tiers=True)
    stack.push_async_callback(emulator.stop)
    port = free_port()
    sitrep = await start_sitrep(workdir, port=port, api_url=api_url,
                                database_url=database.url, signing_secret=signing_secret,
                                bot_token=BOT_TOKEN)
    stack.push_async_callback(sitrep.stop)
    return ServedSitrep(http, database, EmulatorApi(http, api_url), sitrep, emulator,
                        f"http://{LOOPBACK}:{port}/slack/events")
