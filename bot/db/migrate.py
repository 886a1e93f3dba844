"""Alembic, driven from code: `sitrep db upgrade`, `sitrep serve` and the tests share this."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import migrations
from bot.db.engine import writing

MIGRATIONS_DIR = Path(migrations.__file__).parent
# Any constant works; it only has to be the same on every replica.
_MIGRATION_LOCK_ID = 0x5175_7265
# How long a process waits on SQLite for another one's migration (the whole schema from
# nothing takes a few seconds) before it gives up.
SQLITE_WAIT_S = 120
_SQLITE_RETRY_S = 0.2


def alembic_config() -> Config:
    """Built in code (not from an ini file) so an installed `sitrep` finds its migrations
    wherever it runs; `[tool.alembic]` in pyproject.toml serves the `alembic` CLI."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every pending migration. Safe from several processes at once (replicas starting
    together, `sitrep db upgrade` beside `sitrep serve`): one migrates, the others wait and
    then find nothing to do. On PostgreSQL an advisory lock makes them wait; on SQLite the
    write lock taken at BEGIN IMMEDIATE does, waited for again while another holds it."""
    deadline = asyncio.get_running_loop().time() + SQLITE_WAIT_S
    while True:
        try:
            async with engine.connect() as connection, _rebuilds_keep_rows(connection):
                connection = await writing(connection)
                async with connection.begin():
                    await connection.run_sync(_upgrade_on)
            return
        except OperationalError as error:
            if not _sqlite_busy(error) or asyncio.get_running_loop().time() > deadline:
                raise
        await asyncio.sleep(_SQLITE_RETRY_S)


@asynccontextmanager
async def _rebuilds_keep_rows(connection: AsyncConnection) -> AsyncIterator[None]:
    """SQLite alters a constraint by copying the table and dropping the old one (Alembic's
    batch mode); with foreign keys on, that drop deletes every row that cascades from it:
    an upgrade would empty the incidents' timelines, roles and action items. So foreign
    keys are off while migrating (SQLite ignores the switch inside a transaction, hence on
    the driver's connection, before it begins), checked before the commit (`_upgrade_on`),
    and on again before the connection goes back to the pool."""
    if connection.dialect.name != "sqlite":
        yield
        return
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # a checked-out connection always has its driver's
    await driver.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        await driver.execute("PRAGMA foreign_keys=ON")


def _sqlite_busy(error: OperationalError) -> bool:
    # SQLite's busy timeout ran out while another process held the write lock; nothing of
    # this attempt was written.
    return "database is locked" in str(error.orig)


def _upgrade_on(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
    if connection.dialect.name == "sqlite":
        dangling = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if dangling:
            raise RuntimeError(f"the upgrade would leave rows pointing at nothing: {dangling}")


@dataclass(frozen=True)
class Revisions:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


async def revisions(engine: AsyncEngine) -> Revisions:
    """Where the database is, and where the code's migrations end; changes nothing."""
    async with engine.connect() as connection:
        current = await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision())
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return Revisions(current=current, head=head)
