"""A database of its own for every test, on SQLite and, when SITREP_TEST_POSTGRES_URL names a
server, on PostgreSQL.

Alembic migrates one template per test session; each test gets a copy (a file copy on SQLite,
`CREATE DATABASE … TEMPLATE` on PostgreSQL). The schema is still made only by the migrations,
once instead of once per test."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.db import migrate
from bot.db.engine import create_engine

POSTGRES_URL_VARIABLE = "SITREP_TEST_POSTGRES_URL"
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def migrated_sqlite_template(path: Path) -> Path:
    asyncio.run(_migrate(sqlite_url(path)))
    return path


def copy_of_sqlite(template: Path, path: Path) -> str:
    """A copy through SQLite's backup API, whole whatever WAL state the template was left in."""
    with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as copy:
        source.backup(copy)
    return sqlite_url(path)


def postgres_admin_url() -> str:
    """The server's URL; skips the test when none is configured."""
    admin_url = os.environ.get(POSTGRES_URL_VARIABLE)
    if not admin_url:
        pytest.skip(f"{POSTGRES_URL_VARIABLE} is not set")
    return admin_url


@dataclass(frozen=True)
class PostgresTemplate:
    admin_url: str
    name: str


@contextmanager
def migrated_postgres_template(admin_url: str) -> Iterator[PostgresTemplate]:
    with postgres_database(admin_url, prefix="sitrep_template") as url:
        asyncio.run(_migrate(url))
        yield PostgresTemplate(admin_url, make_url(url).database or "")


@contextmanager
def postgres_database(admin_url: str, *, template: str | None = None,
                      prefix: str = "sitrep_test") -> Iterator[str]:
    """A new database (empty, or a copy of `template`), dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    copying = f' TEMPLATE "{template}"' if template else ""
    _run_admin_sql(admin_url, f'CREATE DATABASE "{name}"{copying}')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _run_admin_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def _run_admin_sql(admin_url: str, statement: str) -> None:
    # Fixtures that call this are synchronous (a test's event loop is not running yet), so
    # the statement gets a loop and a connection of its own.
    async def run() -> None:
        engine = create_async_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())
