"""The database engine and sessions. One session per unit of work; nothing global."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 5000

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(database_url: str, **engine_options: Any) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg).

    SQLite gets WAL, enforced foreign keys (off by default in SQLite) and a busy timeout,
    and every transaction starts with BEGIN IMMEDIATE: a transaction that reads and then
    writes would otherwise fail at once with "database is locked" when another writer got
    there first, instead of waiting its turn."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **engine_options)
        event.listen(engine.sync_engine, "connect", _tune_sqlite_connection)
        event.listen(engine.sync_engine, "begin", _begin_immediate)
        return engine
    options: dict[str, Any] = {"pool_pre_ping": True, **engine_options}
    return create_async_engine(url, **options)


def _tune_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off so that `_begin_immediate` decides.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@asynccontextmanager
async def transaction(sessions: SessionFactory) -> AsyncIterator[AsyncSession]:
    """One unit of work: a session whose transaction commits on success."""
    async with sessions() as session, session.begin():
        yield session


async def insert_unless_present(session: AsyncSession, model: type[Any], *,
                                key: list[str], **values: Any) -> None:
    """INSERT … ON CONFLICT DO NOTHING on either database: the row exists afterwards, and
    concurrent callers (on any replica) never fail on the unique key."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.exec(insert(model).values(**values).on_conflict_do_nothing(
        index_elements=key))


def session_factory(engine: AsyncEngine) -> SessionFactory:
    # expire_on_commit=False: results are handed to Slack rendering after the commit.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
