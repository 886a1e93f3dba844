"""The incident domain without Slack: numbering, role history, and the rules that say no.
On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.settings import DEFAULT_ROLES
from bot.db.engine import SessionFactory
from bot.db.models import Incident
from bot.domain import incidents
from bot.domain.errors import IncidentError

T0 = datetime(2026, 11, 27, 14, 2, tzinfo=UTC)


async def _open(sessions: SessionFactory, title: str = "Checkout down",
                team: str = "T1") -> Incident:
    async with sessions() as session, session.begin():
        return await incidents.open_incident(session, team_id=team, reporter_id="U1",
                                             title=title, severity=2, description=None, now=T0)


async def test_numbers_count_per_workspace(sessions: SessionFactory) -> None:
    first, second = await _open(sessions), await _open(sessions)
    other_team = await _open(sessions, team="T2")
    assert (first.number, second.number, other_team.number) == (1, 2, 1)


async def test_concurrent_opens_get_distinct_numbers(sessions: SessionFactory) -> None:
    opened = await asyncio.gather(*(_open(sessions, f"outage {i}") for i in range(15)))
    assert sorted(i.number for i in opened) == list(range(1, 16))


async def test_an_abandoned_incident_hands_its_number_back_only_if_it_was_the_last(
        sessions: SessionFactory) -> None:
    first = await _open(sessions)
    second = await _open(sessions)
    async with sessions() as session, session.begin():
        # A later number exists, so the gap stays.
        await incidents.abandon_incident(session, team_id="T1", incident_id=first.id or 0,
                                         number=first.number)
    assert (await _open(sessions)).number == 3
    async with sessions() as session, session.begin():
        third = await incidents.by_number(session, "T1", 3)
        assert third is not None
        await incidents.abandon_incident(session, team_id="T1", incident_id=third.id or 0,
                                         number=third.number)
    assert (await _open(sessions)).number == 3
    assert second.number == 2


async def test_a_handover_ends_one_assignment_and_starts_the_next(sessions: SessionFactory) -> None:
    incident = await _open(sessions)
    later = T0 + timedelta(hours=8)
    async with sessions() as session, session.begin():
        session.add(incident)
        change = await incidents.assign_role(session, incident, role="commander", user_id="U2",
                                             by="U1", now=later, allowed_roles=DEFAULT_ROLES)
    assert (change.previous_user_id, change.user_id) == ("U1", "U2")
    async with sessions() as session:
        history = await incidents.role_history(session, incident)
        current = await incidents.current_roles(session, incident)
    assert [(r.user_id, r.started_at, r.ended_at) for r in history] == [
        ("U1", T0, later), ("U2", later, None)]
    assert current == {"commander": "U2"}


async def test_resolve_is_once_and_reopen_undoes_it(sessions: SessionFactory) -> None:
    number = (await _open(sessions)).number

    async def step(change: str, at: datetime) -> Incident:
        async with sessions() as session, session.begin():
            incident = await incidents.by_number(session, "T1", number)
            assert incident is not None
            if change == "resolve":
                await incidents.resolve(session, incident, summary="rolled back", by="U1",
                                        now=at)
            else:
                await incidents.reopen(session, incident, by="U1", now=at)
            return incident

    resolved = await step("resolve", T0 + timedelta(minutes=30))
    assert (resolved.status, resolved.resolved_at, resolved.mitigated_at, resolved.summary) == (
        "resolved", T0 + timedelta(minutes=30), T0 + timedelta(minutes=30), "rolled back")
    with pytest.raises(IncidentError, match="INC-1 is already resolved"):
        await step("resolve", T0 + timedelta(minutes=31))
    reopened = await step("reopen", T0 + timedelta(hours=1))
    assert (reopened.status, reopened.resolved_at) == ("investigating", None)
    with pytest.raises(IncidentError, match="not resolved"):
        await step("reopen", T0 + timedelta(hours=2))


async def test_a_status_change_must_change_something_and_resolving_has_its_own_rule(
        sessions: SessionFactory) -> None:
    incident = await _open(sessions)
    async with sessions() as session, session.begin():
        session.add(incident)
        with pytest.raises(IncidentError, match="INC-1 is already investigating"):
            await incidents.change_status(session, incident, status="investigating", by="U1",
                                          now=T0)
        # Resolving stamps the resolve time and closes the incident: only `resolve` does it.
        with pytest.raises(ValueError, match="resolve"):
            await incidents.change_status(session, incident, status="resolved", by="U1",
                                          now=T0)
    async with sessions() as session:
        assert [entry.kind for entry in await incidents.timeline(session, incident)] == [
            "started"]
