"""The database engine and sessions. One session per unit of work; nothing global."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 5000

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(database_url: str, **engine_options: Any) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg).

    SQLite gets WAL (readers do not block the writer), enforced foreign keys (off by default
    in SQLite) and a busy timeout, so two writers wait for each other instead of failing."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **engine_options)
        event.listen(engine.sync_engine, "connect", _tune_sqlite_connection)
        return engine
    options: dict[str, Any] = {"pool_pre_ping": True, **engine_options}
    return create_async_engine(url, **options)


def _tune_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def session_factory(engine: AsyncEngine) -> SessionFactory:
    # expire_on_commit=False: results are handed to Slack rendering after the commit.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
