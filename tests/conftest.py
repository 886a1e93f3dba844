"""Fixtures for every layer: no ambient configuration. And, for the layers that need them (each
fixture is made only when a test asks for it): a database of the test's own, migrated or empty,
on SQLite and on PostgreSQL when SITREP_TEST_POSTGRES_URL is set; the Slack emulator; Slack's
retry waits recorded instead of slept."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine
from bot.devtools.slack_emulator import SlackEmulator
from tests.support import databases
from tests.support.retry_waits import RetryWaits, record_retry_waits


@pytest.fixture(autouse=True)
def _no_ambient_configuration(monkeypatch: pytest.MonkeyPatch,
                              tmp_path_factory: pytest.TempPathFactory) -> None:
    """A developer's own .env or exported tokens must not change what a test sees."""
    for name in list(os.environ):
        if (name.startswith(("SLACK_", "SITREP_"))
                and name != databases.POSTGRES_URL_VARIABLE) or name in {"DATABASE_URL", "PORT"}:
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return databases.migrated_sqlite_template(tmp_path_factory.mktemp("template") / "sitrep.db")


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[databases.PostgresTemplate]:
    with databases.migrated_postgres_template(databases.postgres_admin_url()) as template:
        yield template


@pytest.fixture(params=databases.DATABASES)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated database of this test's own."""
    if request.param == "sqlite":
        yield databases.copy_of_sqlite(request.getfixturevalue("sqlite_template"),
                                       tmp_path / "sitrep.db")
        return
    template: databases.PostgresTemplate = request.getfixturevalue("postgres_template")
    with databases.postgres_database(template.admin_url, template=template.name) as url:
        yield url


@pytest.fixture(params=databases.DATABASES)
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database no migration has touched."""
    if request.param == "sqlite":
        yield databases.sqlite_url(tmp_path / "empty.db")
        return
    with databases.postgres_database(databases.postgres_admin_url()) as url:
        yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def slack() -> AsyncIterator[SlackEmulator]:
    async with SlackEmulator() as emulator:
        yield emulator


@pytest.fixture
def retry_waits(monkeypatch: pytest.MonkeyPatch) -> RetryWaits:
    """Slack's client records its waits between retries instead of sleeping them."""
    return record_retry_waits(monkeypatch)
