"""Shared fixtures: a fresh database per test (SQLite, and PostgreSQL when reachable), the
Slack emulator, and the real bot served on a free port against it."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.db import create_engine

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


