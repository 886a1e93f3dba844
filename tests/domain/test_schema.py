"""The schema is made only by Alembic migrations, and they must say what the models say.

The migration tests start from an empty database; the others use the test's copy of the
session's migrated template."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import String, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import SQLModel, select

import bot.db.models  # noqa: F401
from bot.db import migrate
from bot.db.engine import session_factory
from bot.db.models import InboxEvent, Incident, RoleAssignment
from bot.db.types import NulFreeString, NulFreeText


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, SQLModel.metadata))


async def test_migrations_create_exactly_the_models_schema(empty_engine: AsyncEngine) -> None:
    await migrate.upgrade(empty_engine)
    async with empty_engine.connect() as connection:
        differences = await connection.run_sync(_differences)
    assert differences == []


def test_every_text_column_drops_nul_characters_on_the_way_in() -> None:
    """PostgreSQL refuses text holding NUL; the column types remove it (bot/db/types.py), so
    a new text column that forgets to would fail only on PostgreSQL, and only when someone
    types a NUL."""
    plain = [f"{table.name}.{column.name}" for table in SQLModel.metadata.tables.values()
             for column in table.columns
             if isinstance(column.type, String) and not isinstance(column.type,
                                                                   NulFreeString | NulFreeText)]
    assert plain == []
    incident = SQLModel.metadata.tables["incident"]
    assert {type(column.type) for column in incident.columns} >= {NulFreeString, NulFreeText}


async def test_nul_characters_are_removed_from_text_on_both_databases(
        engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add(_incident(title="Checkout\x00 down", channel_id="C0\x00INC"))
        await session.commit()
    async with sessions() as session:
        stored = (await session.exec(select(Incident))).one()
    assert (stored.title, stored.channel_id) == ("Checkout down", "C0INC")


async def test_upgrade_twice_is_harmless(empty_engine: AsyncEngine) -> None:
    await migrate.upgrade(empty_engine)
    await migrate.upgrade(empty_engine)
    async with empty_engine.connect() as connection:
        tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    assert {"incident", "timeline_event", "role_assignment", "processed_event"} <= tables


def _incident(**changes: Any) -> Incident:
    values: dict[str, Any] = {
        "team_id": "T0001", "number": 1, "title": "Checkout returns 500s", "severity": 2,
        "status": "investigating", "reporter_id": "U0ALICE",
        "created_at": datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
    }
    return Incident(**{**values, **changes})


async def test_times_come_back_in_utc_whatever_zone_they_went_in(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    berlin_morning = datetime(2026, 11, 24, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    async with sessions() as session:
        session.add(_incident(created_at=berlin_morning))
        await session.commit()
    async with sessions() as session:
        stored = (await session.exec(select(Incident))).one()
    assert stored.created_at == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert stored.created_at.tzinfo is not None


async def test_incident_numbers_are_unique_per_workspace(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    async with sessions() as session:
        session.add(_incident(number=7))
        session.add(_incident(number=7, team_id="T0002"))
        await session.commit()
    async with sessions() as session:
        session.add(_incident(number=7))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_a_role_has_one_current_holder_but_keeps_its_history(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    at = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    async with sessions() as session:
        incident = _incident()
        session.add(incident)
        await session.flush()
        assert incident.id is not None
        session.add(RoleAssignment(team_id="T0001", incident_id=incident.id, role="commander",
                                   user_id="U0ALICE", assigned_by="U0ALICE", started_at=at,
                                   ended_at=at + timedelta(hours=1)))
        session.add(RoleAssignment(team_id="T0001", incident_id=incident.id, role="commander",
                                   user_id="U0BOB", assigned_by="U0ALICE",
                                   started_at=at + timedelta(hours=1)))
        await session.commit()
        incident_id = incident.id
    async with sessions() as session:
        session.add(RoleAssignment(team_id="T0001", incident_id=incident_id, role="commander",
                                   user_id="U0CAROL", assigned_by="U0BOB", started_at=at))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_a_slack_event_id_can_be_recorded_only_once(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    now = datetime(2026, 11, 24, tzinfo=UTC)
    async with sessions() as session:
        session.add(InboxEvent(team_id="T0001", event_id="Ev0001", processed_at=now))
        await session.commit()
    async with sessions() as session:
        session.add(InboxEvent(team_id="T0001", event_id="Ev0001", processed_at=now))
        with pytest.raises(IntegrityError):
            await session.commit()


async def test_naive_times_are_refused(engine: AsyncEngine) -> None:
    async with session_factory(engine)() as session:
        session.add(_incident(created_at=datetime(2026, 11, 24, 9, 30)))
        with pytest.raises(Exception, match="naive datetime"):
            await session.commit()


async def test_a_database_error_does_not_carry_the_values_it_was_given(
        engine: AsyncEngine) -> None:
    """An inbox write that fails is logged with its error's text; that text must not carry
    the Slack request's body (whose envelope holds the verification token)."""
    body = '{"token": "NOT-FOR-LOGS", "type": "event_callback"}'
    async with engine.connect() as connection:
        with pytest.raises(DBAPIError) as failed:
            await connection.execute(
                text("INSERT INTO processed_event (team_id, event_id, payload) "
                     "VALUES (:team, :event, :body)"),
                {"team": None, "event": "Ev1", "body": body})
    assert "NOT-FOR-LOGS" not in str(failed.value)
