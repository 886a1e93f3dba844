"""A fresh database per run (a SQLite file in the run's directory, or a PostgreSQL
database made for the run and dropped after it), and a read-only look at its timeline.

The benchmark only ever reads Sitrep's tables, over a connection that cannot write: it
watches entries arrive, it does not help them along."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bench.processes import LOOPBACK

ENTRY_KIND = "key_event"
LOOPBACK_HOSTS = {LOOPBACK, "localhost", "::1"}
_ENTRIES = text("SELECT id, source_ts, created_at FROM timeline_event "
                "WHERE kind = :kind AND id > :after ORDER BY id")
_DUPLICATED = text("SELECT COALESCE(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n "
                   "FROM timeline_event WHERE kind = :kind "
                   "GROUP BY incident_id, source_ts) AS per_message")


@dataclass(frozen=True)
class StoredEntry:
    id: int
    source_ts: str
    created_at: float  # Unix seconds


class BenchDatabase:
    """Where one run's Sitrep keeps its data. ``url`` is for Sitrep; the benchmark's own
    reader is opened read-only with ``open_reader``."""

    def __init__(self, kind: str, url: URL, *, reader_url: URL,
                 reader_options: dict[str, object], admin_url: URL | None = None) -> None:
        self.kind = kind
        self._url = url
        self._reader_url = reader_url
        self._reader_options = reader_options
        self._admin_url = admin_url
        self._reader: AsyncEngine | None = None
        self._created = False

    @classmethod
    def sqlite(cls, directory: Path) -> BenchDatabase:
        path = directory / "sitrep.db"
        # mode=ro: this connection cannot write; WAL lets it read while Sitrep writes.
        return cls("sqlite", make_url(f"sqlite+aiosqlite:///{path}"),
                   reader_url=make_url(f"sqlite+aiosqlite:///file:{path}?mode=ro&uri=true"),
                   reader_options={})

    @classmethod
    def postgres(cls, admin_url: str) -> BenchDatabase:
        admin = make_url(admin_url)
        if admin.host not in LOOPBACK_HOSTS:
            raise ValueError(f"the benchmark only uses a local PostgreSQL, not {admin.host}")
        admin = admin.set(drivername="postgresql+asyncpg")
        url = admin.set(database=f"sitrep_bench_{uuid.uuid4().hex[:12]}")
        return cls("postgres", url, reader_url=url, admin_url=admin, reader_options={
            "connect_args": {"server_settings": {"default_transaction_read_only": "on"}}})

    @property
    def url(self) -> str:
        return self._url.render_as_string(hide_password=False)

    async def create(self) -> None:
        if self._admin_url is not None:
            await self._admin(f'CREATE DATABASE "{self._url.database}"')
            self._created = True

    async def open_reader(self) -> None:
        self._reader = create_async_engine(self._reader_url, **self._reader_options)

    async def entries_after(self, last_id: int) -> list[StoredEntry]:
        assert self._reader is not None
        async with self._reader.connect() as connection:
            rows = (await connection.execute(_ENTRIES, {"kind": ENTRY_KIND,
                                                        "after": last_id})).all()
        return [StoredEntry(int(row[0]), str(row[1]), _unix(row[2])) for row in rows]

    async def duplicated(self) -> int:
        assert self._reader is not None
        async with self._reader.connect() as connection:
            value = (await connection.execute(_DUPLICATED, {"kind": ENTRY_KIND})).scalar()
        return int(value or 0)

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.dispose()
            self._reader = None
        if self._created:
            await self._admin(f'DROP DATABASE IF EXISTS "{self._url.database}" WITH (FORCE)')
            self._created = False

    async def _admin(self, statement: str) -> None:
        assert self._admin_url is not None
        engine = create_async_engine(self._admin_url, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as connection:
                await connection.execute(text(statement))
        finally:
            await engine.dispose()


def _unix(value: datetime | str) -> float:
    if isinstance(value, str):
        # SQLite keeps UTC as naive text (bot/db/types.py).
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()
