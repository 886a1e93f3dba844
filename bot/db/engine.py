"""The database engine and sessions. One session per unit of work; nothing global."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

SQLITE_BUSY_TIMEOUT_MS = 5000
# PostgreSQL connections per process. A burst of a major incident runs a bounded number of
# workers (bot/core/work_queue.py) plus the inbox writer and the requests being answered;
# several replicas multiply this, so keep it under the server's max_connections / replicas.
POSTGRES_POOL_SIZE = 20
POSTGRES_POOL_OVERFLOW = 10
# Marks a connection that will write: on SQLite it takes the write lock at BEGIN.
_WRITES = "sitrep_writes"

SessionFactory = async_sessionmaker[AsyncSession]


def create_engine(database_url: str, **engine_options: Any) -> AsyncEngine:
    """An async engine for SQLite (aiosqlite) or PostgreSQL (asyncpg).

    SQLite gets WAL, enforced foreign keys (off by default in SQLite) and a busy timeout.
    A write transaction (`transaction`) starts with BEGIN IMMEDIATE: one that reads and
    then writes would otherwise fail at once with "database is locked" when another writer
    got there first, instead of waiting its turn. Reads (a bare session) begin deferred, so
    under WAL they never wait for, nor hold up, a writer."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, hide_parameters=True, **engine_options)
        event.listen(engine.sync_engine, "connect", _tune_sqlite_connection)
        event.listen(engine.sync_engine, "begin", _begin)
        return engine
    # hide_parameters: a database error's text would otherwise carry the statement's values
    # into the log, such as a Slack request's raw body on its way into the inbox.
    options: dict[str, Any] = {"hide_parameters": True, "pool_pre_ping": True,
                               "pool_size": POSTGRES_POOL_SIZE,
                               "max_overflow": POSTGRES_POOL_OVERFLOW, **engine_options}
    return create_async_engine(url, **options)


def _tune_sqlite_connection(dbapi_connection: Any, _record: Any) -> None:
    # The driver's own implicit BEGIN is turned off so that `_begin` decides how each
    # transaction starts.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        # The timeout first: turning a new file to WAL takes a lock another process
        # (a replica starting at the same moment) may hold.
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
    finally:
        cursor.close()


async def writing(connection: AsyncConnection) -> AsyncConnection:
    """The connection, marked to take SQLite's write lock when its transaction begins."""
    return await connection.execution_options(**{_WRITES: True})


def _begin(connection: Any) -> None:
    writes = connection.get_execution_options().get(_WRITES, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


@asynccontextmanager
async def transaction(sessions: SessionFactory, *,
                      urgent: bool = False) -> AsyncIterator[AsyncSession]:
    """One unit of work: a session whose transaction commits on success.

    On SQLite the process's writers take turns here, in order: SQLite allows one writer at
    a time, and writers left to find that out from `database is locked` back off in sleeps
    of up to 100 ms each, which in a burst costs far more than the writes themselves. An
    `urgent` writer — one that a request's answer waits for — goes before the writers
    already waiting, so an ack waits for at most the one transaction under way."""
    async with _turn_to_write(sessions, urgent), sessions() as session, session.begin():
        await session.connection(execution_options={_WRITES: True})
        yield session


class WriterTurns:
    """A lock whose urgent waiters are served before the others, each kind in order."""

    def __init__(self) -> None:
        self._held = False
        self._urgent: deque[asyncio.Future[None]] = deque()
        self._others: deque[asyncio.Future[None]] = deque()

    @asynccontextmanager
    async def turn(self, urgent: bool) -> AsyncIterator[None]:
        if self._held or self._urgent or (self._others and not urgent):
            handed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            (self._urgent if urgent else self._others).append(handed)
            try:
                await handed
            except asyncio.CancelledError:
                if handed.done() and not handed.cancelled():
                    self._hand_on()  # the turn came just as we were cancelled: pass it on
                raise
        else:
            self._held = True
        try:
            yield
        finally:
            self._hand_on()

    def _hand_on(self) -> None:
        for waiting in (self._urgent, self._others):
            while waiting:
                handed = waiting.popleft()
                if not handed.done():  # a cancelled waiter is skipped
                    handed.set_result(None)
                    return
        self._held = False


_sqlite_writers: WeakKeyDictionary[Engine, WriterTurns] = WeakKeyDictionary()


def _turn_to_write(sessions: SessionFactory,
                   urgent: bool) -> AbstractAsyncContextManager[object]:
    bind = sessions.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        return nullcontext()
    turns = _sqlite_writers.get(bind.sync_engine)
    if turns is None:
        turns = _sqlite_writers[bind.sync_engine] = WriterTurns()
    return turns.turn(urgent)


async def insert_unless_present(session: AsyncSession, model: type[Any], *,
                                key: list[str], **values: Any) -> None:
    """INSERT … ON CONFLICT DO NOTHING on either database: the row exists afterwards, and
    concurrent callers (on any replica) never fail on the unique key."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.exec(insert(model).values(**values).on_conflict_do_nothing(
        index_elements=key))


async def upsert_if_newer(session: AsyncSession, model: type[Any], *, key: list[str],
                          newer: str, insert_only: frozenset[str] = frozenset(),
                          **values: Any) -> None:
    """INSERT, or UPDATE the existing row only when `values[newer]` sorts after the stored
    one: the latest news wins whatever order it arrives in, in one statement, so
    concurrent writers (on any replica) cannot interleave a read and a write. Columns in
    `insert_only` are set on insert and left alone by an update."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model).values(**values)
    changed = {name: statement.excluded[name] for name in values
               if name not in key and name not in insert_only}
    table = model.__table__
    await session.exec(statement.on_conflict_do_update(
        index_elements=key, set_=changed,
        where=statement.excluded[newer] > table.c[newer]))


async def upsert_many_if_newer(session: AsyncSession, model: type[Any], *, key: list[str],
                               newer: str, rows: Sequence[Mapping[str, Any]],
                               insert_only: frozenset[str] = frozenset()) -> None:
    """`upsert_if_newer` for many rows (all with the same columns) in one round trip. Rows
    with the same key are applied as they would be one after the other: the first of
    those with the latest `newer` wins."""
    latest: dict[tuple[Any, ...], Mapping[str, Any]] = {}
    for row in rows:
        identity = tuple(row[name] for name in key)
        if identity not in latest or row[newer] > latest[identity][newer]:
            latest[identity] = row
    if not latest:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(model)
    columns = next(iter(latest.values())).keys()
    changed = {name: statement.excluded[name] for name in columns
               if name not in key and name not in insert_only}
    table = model.__table__
    connection = await session.connection()
    await connection.execute(statement.on_conflict_do_update(
        index_elements=key, set_=changed,
        where=statement.excluded[newer] > table.c[newer]), list(latest.values()))


def session_factory(engine: AsyncEngine) -> SessionFactory:
    # expire_on_commit=False: results are handed to Slack rendering after the commit.
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
