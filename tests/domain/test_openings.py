"""Openings of incidents under a lease: a start's progress is its own until the lease runs
out, then exactly one claimer's. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import SessionFactory, transaction
from bot.db.models import Incident
from bot.domain import incidents, openings
from bot.domain.errors import TakenOver
from bot.domain.vocabulary import OpeningStep

T0 = datetime(2026, 11, 27, 14, 2, tzinfo=UTC)
LATER = T0 + openings.LEASE + timedelta(seconds=1)


async def _begin(sessions: SessionFactory, owner: str = "start") -> Incident:
    async with transaction(sessions) as session:
        incident = await incidents.open_incident(session, team_id="T1", reporter_id="U1",
                                                 title="Checkout down", severity=2,
                                                 description=None, now=T0)
        await openings.begin(session, incident, owner=owner, now=T0)
    return incident


async def test_an_opening_is_claimed_only_once_its_lease_has_run_out(
        sessions: SessionFactory) -> None:
    await _begin(sessions)
    async with transaction(sessions) as session:
        assert await openings.claim_stalled(session, owner="recovery", now=T0) == []
    async with transaction(sessions) as session:
        (claimed, incident) = (await openings.claim_stalled(session, owner="recovery",
                                                            now=LATER))[0]
    assert (claimed.owner, claimed.step, claimed.attempts, incident.number) == (
        "recovery", OpeningStep.NUMBERED, 1, 1)
    # Claimed is held: a second claim at the same time finds nothing.
    async with transaction(sessions) as session:
        assert await openings.claim_stalled(session, owner="another", now=LATER) == []


async def test_a_start_that_lost_its_lease_stops_at_its_next_step(
        sessions: SessionFactory) -> None:
    incident = await _begin(sessions)
    async with transaction(sessions) as session:
        await openings.claim_stalled(session, owner="recovery", now=LATER)
    with pytest.raises(TakenOver):
        async with transaction(sessions) as session:
            await openings.advance(session, incident, OpeningStep.CHANNEL, owner="start",
                                   now=LATER)
    async with transaction(sessions) as session:
        await openings.advance(session, incident, OpeningStep.CHANNEL, owner="recovery",
                               now=LATER)


async def test_a_claim_in_progress_on_one_replica_is_skipped_by_another(
        engine: AsyncEngine, sessions: SessionFactory) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("SQLite's writers take turns, so two claims never overlap")
    await _begin(sessions)
    async with sessions() as first, first.begin():
        mine = await openings.claim_stalled(first, owner="replica-1", now=LATER)
        async with sessions() as second, second.begin():
            # Waiting for the first replica's lock would never end here: it must skip.
            theirs = await asyncio.wait_for(
                openings.claim_stalled(second, owner="replica-2", now=LATER), timeout=10)
    assert len(mine) == 1 and theirs == []
