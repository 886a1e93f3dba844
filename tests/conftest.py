"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when reachable), the
Slack emulator, and the real bot served on a free port against it."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.core.settings import Settings
from bot.db.engine import create_engine
from bot.devtools.signed_client import SignedSlackClient
from bot.devtools.slack_emulator import SlackEmulator
from bot.server import EVENTS_PATH, RunningBot, start_bot

POSTGRES_URL_VARIABLE = "SITREP_TEST_POSTGRES_URL"
SIGNING_SECRET = "8f742231b10e8888abcd99111222a5a5"
BOT_TOKEN = "xoxb-sitrep-test"
APP_TOKEN = "xapp-1-sitrep-test"

DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def _no_ambient_configuration(monkeypatch: pytest.MonkeyPatch,
                              tmp_path_factory: pytest.TempPathFactory) -> None:
    """A developer's own .env or exported tokens must not change what a test sees."""
    for name in list(os.environ):
        if (name.startswith(("SLACK_", "SITREP_")) and name != POSTGRES_URL_VARIABLE) or \
                name in {"DATABASE_URL", "PORT"}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(params=DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/sitrep.db"
        return
    yield from _fresh_postgres_database()


def _fresh_postgres_database() -> Iterator[str]:
    admin_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not admin_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    name = f"sitrep_test_{uuid.uuid4().hex[:12]}"
    _run_admin_sql(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _run_admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run_admin_sql(admin_url: str, statement: str) -> None:
    import asyncio

    async def run() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()




@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as emulator:
        yield emulator


def make_settings(database_url: str, slack: SlackEmulator, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": database_url,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[arg-type]


@dataclass
class Bot:
    """The real bot, served over HTTP on a free port, talking to the emulator."""

    running: RunningBot
    url: str
    slack: SlackEmulator
    client: SignedSlackClient
    settings: Settings


async def serve(settings: Settings, slack: SlackEmulator) -> Bot:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    running = await start_bot(settings, sock=sock)
    client = SignedSlackClient(url + EVENTS_PATH, SIGNING_SECRET, slack)
    return Bot(running=running, url=url, slack=slack, client=client, settings=settings)


async def stop(bot: Bot) -> None:
    await bot.client.close()
    await bot.running.stop()


@pytest.fixture
def bot_settings() -> dict[str, object]:
    """Extra settings for the `bot` fixture; a test module overrides this to change them."""
    return {}


@pytest.fixture
async def bot(database_url: str, slack: SlackEmulator,
              bot_settings: dict[str, object]) -> AsyncIterator[Bot]:
    running = await serve(make_settings(database_url, slack, **bot_settings), slack)
    try:
        yield running
    finally:
        await stop(running)
