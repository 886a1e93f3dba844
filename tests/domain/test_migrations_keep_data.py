"""Upgrading a database that holds incidents keeps every row of their history.

SQLite cannot alter a constraint in place: Alembic's batch mode copies the table to a new
one and drops the old. With foreign keys on, dropping `incident` deletes whatever cascades
from it (roles, timeline, action items, retrospectives), so an upgrade could empty a team's
history while leaving the incidents themselves in place."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db import migrate

# The last revision before the first one that rebuilds `incident` on SQLite (0007).
BEFORE_REBUILDS = "0006"
HISTORY_TABLES = ("incident", "role_assignment", "timeline_event", "action_item",
                  "retrospective")


def _upgrade_to(revision: str) -> object:
    def upgrade(connection: Connection) -> None:
        config = migrate.alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return upgrade


def _an_incident_with_its_history(connection: Connection) -> None:
    when: object = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
    if connection.dialect.name == "sqlite":
        when = "2026-11-01 10:00:00.000000"
    connection.execute(text(
        "INSERT INTO incident (id, team_id, number, title, severity, status, reporter_id,"
        " channel_id, created_at) VALUES (1, 'T1', 1, 'Checkout down', 1, 'resolved',"
        " 'U1', 'C1', :when)"), {"when": when})
    connection.execute(text(
        "INSERT INTO role_assignment (team_id, incident_id, role, user_id, assigned_by,"
        " started_at) VALUES ('T1', 1, 'commander', 'U1', 'U1', :when)"), {"when": when})
    connection.execute(text(
        "INSERT INTO timeline_event (team_id, incident_id, kind, text, occurred_at,"
        " created_at, via) VALUES ('T1', 1, 'note', 'rolled back', :when, :when, 'command')"),
        {"when": when})
    connection.execute(text(
        "INSERT INTO action_item (team_id, incident_id, text, created_by, created_at)"
        " VALUES ('T1', 1, 'Add a canary', 'U1', :when)"), {"when": when})
    connection.execute(text(
        "INSERT INTO retrospective (team_id, incident_id, version, markdown, generated_at)"
        " VALUES ('T1', 1, 1, '# INC-1', :when)"), {"when": when})


def _counts(connection: Connection) -> dict[str, int]:
    return {table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in HISTORY_TABLES}


async def test_upgrading_a_database_with_history_keeps_all_of_it(
        empty_engine: AsyncEngine) -> None:
    async with empty_engine.begin() as connection:
        await connection.run_sync(_upgrade_to(BEFORE_REBUILDS))
        await connection.run_sync(_an_incident_with_its_history)
    await migrate.upgrade(empty_engine)
    async with empty_engine.connect() as connection:
        counts = await connection.run_sync(_counts)
    assert counts == dict.fromkeys(HISTORY_TABLES, 1)


async def test_foreign_keys_are_enforced_again_after_an_upgrade(
        empty_engine: AsyncEngine) -> None:
    """The upgrade turns SQLite's foreign keys off while it rebuilds tables; the pooled
    connection it used must not keep them off for the bot's own work."""
    await migrate.upgrade(empty_engine)
    async with empty_engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            enforced = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar_one()
            assert enforced == 1
