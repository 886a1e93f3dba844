"""Alembic, driven from code: `sitrep db upgrade`, `sitrep serve` and the tests share this."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations

MIGRATIONS_DIR = Path(migrations.__file__).parent
# Any constant works; it only has to be the same on every replica.
_MIGRATION_LOCK_ID = 0x5175_7265


def alembic_config() -> Config:
    """Built in code (not from an ini file) so an installed `sitrep` finds its migrations
    wherever it runs; `[tool.alembic]` in pyproject.toml serves the `alembic` CLI."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every pending migration. Safe to run from several replicas at once on PostgreSQL:
    an advisory lock makes the others wait and then find nothing to do."""
    async with engine.begin() as connection:
        await connection.run_sync(_upgrade_on)


def _upgrade_on(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


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
