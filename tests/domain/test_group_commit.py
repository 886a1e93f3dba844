"""Writes that arrive together are committed together, and each caller learns its own
result only once its row is committed. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import SessionFactory, transaction
from bot.db.group_commit import GroupCommit
from bot.domain import inbox
from bot.domain.inbox import Arrival

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


async def test_a_burst_of_inbox_writes_is_a_few_transactions_with_every_answer_right(
        sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        await inbox.receive(session, team_id="T1", event_id="EvDONE", payload={}, now=T0)
        await inbox.mark_processed(session, team_id="T1", event_id="EvDONE", now=T0)
    batches: list[int] = []

    async def write(session: AsyncSession, arrivals: Sequence[Arrival]) -> list[bool]:
        batches.append(len(arrivals))
        return await inbox.receive_many(session, arrivals)

    writer: GroupCommit[Arrival, bool] = GroupCommit(sessions, write, name="test-inbox")
    try:
        ids = [f"Ev{index:04d}" for index in range(200)] + ["EvDONE"]
        fresh = await asyncio.gather(*(writer.submit(Arrival("T1", event_id, {}, T0))
                                       for event_id in ids))
    finally:
        await writer.stop()
    assert fresh == [True] * 200 + [False]  # the one already processed is a redelivery
    assert sum(batches) == len(ids) and len(batches) < 10
    async with sessions() as session:
        assert len(await inbox.take_for_replay(session, received_before=T0.replace(hour=10),
                                               due_by=T0.replace(hour=10), limit=500)) == 200


async def test_a_failed_batch_fails_its_callers_and_the_next_batch_still_commits(
        sessions: SessionFactory) -> None:
    calls = 0

    async def write(session: AsyncSession, arrivals: Sequence[Arrival]) -> list[bool]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("disk full")
        return await inbox.receive_many(session, arrivals)

    writer: GroupCommit[Arrival, bool] = GroupCommit(sessions, write, name="test-inbox")
    try:
        with pytest.raises(RuntimeError, match="disk full"):
            await writer.submit(Arrival("T1", "EvFIRST", {}, T0))
        assert await writer.submit(Arrival("T1", "EvSECOND", {}, T0))
    finally:
        await writer.stop()
