"""Several processes migrating one database at the same moment, as replicas starting together
do (each `sitrep serve` applies pending migrations first): every one of them succeeds, and
the database ends with the one schema the models describe, at the head revision."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import bot.db.models  # noqa: F401  (registers every table)
from bot.db import migrate
from bot.db.engine import create_engine
from tests.support.sitrep_cli import clean_environment, run_sitrep

PROCESSES = 2


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_two_processes_migrating_an_empty_database_at_once_both_succeed(
        empty_database_url: str, tmp_path: Path) -> None:
    env = clean_environment(DATABASE_URL=empty_database_url)
    finished = await asyncio.gather(*(run_sitrep("db", "upgrade", env=env, cwd=tmp_path)
                                      for _ in range(PROCESSES)))

    for each in finished:
        assert each.returncode == 0, each.stderr
        assert "Database is up to date" in each.stdout
    head = ScriptDirectory.from_config(migrate.alembic_config()).get_current_head()
    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as connection:
            revisions = (await connection.execute(
                text("SELECT version_num FROM alembic_version"))).scalars().all()
            differences = await connection.run_sync(_differences)
    finally:
        await engine.dispose()
    assert revisions == [head]
    assert differences == []
