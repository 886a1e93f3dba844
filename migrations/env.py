"""Alembic environment. `bot.db.migrate` hands in an open connection (so migrations run inside
the bot's own event loop); the plain `alembic` CLI gets a fresh async engine instead."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection
from sqlmodel import SQLModel

import bot.db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.core.settings import load_settings
from bot.db.engine import create_engine

target_metadata = SQLModel.metadata


def run_on(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_with_new_engine() -> None:
    url = context.config.attributes.get("database_url") or load_settings().database_url
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(run_on)
        await connection.commit()
    await engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Offline (--sql) migrations are not supported; run `sitrep db upgrade`.")

given = context.config.attributes.get("connection")
if given is not None:
    run_on(given)
else:
    asyncio.run(run_with_new_engine())
