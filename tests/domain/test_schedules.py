"""Due times as rows: armed by changes, claimed once under a lease, the next time written
back unless a change asked for a look meanwhile. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import SessionFactory, transaction
from bot.domain import schedules

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
KIND = "update_reminder"


async def _claim(sessions: SessionFactory, now: datetime,
                 owner: str = "round-1") -> list[schedules.Due]:
    async with transaction(sessions) as session:
        return list(await schedules.claim_due(session, owner=owner, now=now, kinds=[KIND]))


async def test_a_row_is_claimed_once_its_time_has_come_and_by_one_claimer(
        sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        await schedules.arm(session, kind=KIND, subject="incident:1", team_id="T1",
                            at=T0 + timedelta(minutes=30))
    assert await _claim(sessions, T0) == []
    (due,) = await _claim(sessions, T0 + timedelta(minutes=30))
    assert (due.subject, due.team_id, due.due_at) == ("incident:1", "T1",
                                                      T0 + timedelta(minutes=30))
    # Held: nobody else claims it while the lease lasts; a run that died lets it go.
    assert await _claim(sessions, T0 + timedelta(minutes=31), owner="round-2") == []
    (again,) = await _claim(sessions, T0 + timedelta(minutes=30) + schedules.LEASE
                            + timedelta(seconds=1), owner="round-3")
    assert again.owner == "round-3"


async def test_completing_writes_the_next_time_and_keeps_the_memory(
        sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        await schedules.due_now(session, kind=KIND, subject="incident:1", team_id="T1",
                                now=T0)
        await schedules.remember(session, kind=KIND, subject="incident:1", team_id="T1",
                                 changes={"snoozed_until": "later"})
    (due,) = await _claim(sessions, T0)
    assert due.memo == {"snoozed_until": "later"}
    async with transaction(sessions) as session:
        assert await schedules.complete(session, due, next_due=T0 + timedelta(hours=1),
                                        memo={"waiting_ts": "1.2"})
        assert await schedules.next_wake(session, kinds=[KIND]) == T0 + timedelta(hours=1)
        assert await schedules.memo_of(session, kind=KIND, subject="incident:1") == {
            "snoozed_until": "later", "waiting_ts": "1.2"}
    assert await _claim(sessions, T0 + timedelta(minutes=59)) == []
    assert len(await _claim(sessions, T0 + timedelta(hours=1))) == 1


async def test_a_change_during_a_run_is_looked_at_again_not_overwritten(
        sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        await schedules.due_now(session, kind=KIND, subject="incident:1", team_id="T1",
                                now=T0)
    (due,) = await _claim(sessions, T0)
    # Someone changed the severity while the run was posting its reminder.
    async with transaction(sessions) as session:
        await schedules.due_now(session, kind=KIND, subject="incident:1", team_id="T1",
                                now=T0 + timedelta(seconds=5))
        await schedules.complete(session, due, next_due=T0 + timedelta(hours=4), memo={})
    assert len(await _claim(sessions, T0 + timedelta(seconds=5), owner="round-2")) == 1


async def test_a_run_that_lost_its_lease_changes_nothing(sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        await schedules.due_now(session, kind=KIND, subject="incident:1", team_id="T1",
                                now=T0)
    (slow,) = await _claim(sessions, T0)
    late = T0 + schedules.LEASE + timedelta(seconds=1)
    (took_over,) = await _claim(sessions, late, owner="round-2")
    async with transaction(sessions) as session:
        assert not await schedules.complete(session, slow, next_due=None, memo={"x": 1})
        assert await schedules.complete(session, took_over, next_due=late + timedelta(hours=1),
                                        memo={})
        assert await schedules.memo_of(session, kind=KIND, subject="incident:1") == {}


async def test_a_claim_in_progress_on_one_replica_is_skipped_by_another(
        engine: AsyncEngine, sessions: SessionFactory) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's writers take turns, so two claims never overlap")
    async with transaction(sessions) as session:
        await schedules.due_now(session, kind=KIND, subject="incident:1", team_id="T1",
                                now=T0)
    async with sessions() as first, first.begin():
        mine = await schedules.claim_due(first, owner="replica-1", now=T0, kinds=[KIND])
        async with sessions() as second, second.begin():
            # Waiting for the first replica's lock would never end here: it must skip.
            theirs = await asyncio.wait_for(
                schedules.claim_due(second, owner="replica-2", now=T0, kinds=[KIND]),
                timeout=10)
    assert len(mine) == 1 and theirs == []


async def test_only_the_kinds_asked_for_are_claimed(sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        await schedules.due_now(session, kind="weekly_dm", subject="user:U1", team_id="T1",
                                now=T0)
    assert await _claim(sessions, T0) == []
    async with transaction(sessions) as session:
        assert await schedules.next_wake(session, kinds=[KIND]) is None
