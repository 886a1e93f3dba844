"""Stored versions of a retrospective: numbered from 1, the newest is the one printed, and a
number is never stored twice. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError

from bot.db.engine import SessionFactory
from bot.db.models import Incident
from bot.domain import incidents
from bot.retro.facts import gather
from bot.retro.render import Renderer
from bot.retro.versions import latest, next_version, store_version, write_version

T0 = datetime(2026, 11, 27, 14, 2, tzinfo=UTC)


async def _resolved(sessions: SessionFactory) -> Incident:
    async with sessions() as session, session.begin():
        incident = await incidents.open_incident(
            session, team_id="T1", reporter_id="U1", title="Checkout down", severity=2,
            description=None, now=T0)
        await incidents.resolve(session, incident, summary="Rolled back", by="U1",
                                now=T0 + timedelta(minutes=40))
    return incident


async def test_versions_count_from_one_and_the_newest_is_the_latest(
        sessions: SessionFactory) -> None:
    incident = await _resolved(sessions)
    renderer = Renderer(None, ZoneInfo("UTC"))
    async with sessions() as session, session.begin():
        assert await next_version(session, incident) == 1
        assert await latest(session, incident) is None
        facts = await gather(session, incident)
        first = await write_version(session, incident, renderer=renderer, people={"U1": "ann"},
                                    facts=facts, generated_at=T0 + timedelta(hours=1))
        second = await write_version(session, incident, renderer=renderer, people={},
                                     facts=facts, generated_at=T0 + timedelta(hours=2))
    assert (first.version, second.version) == (1, 2)
    assert "Rolled back" in first.markdown and "@ann" in first.markdown
    async with sessions() as session:
        newest = await latest(session, incident)
        assert newest is not None and newest.version == 2
        assert await next_version(session, incident) == 3


async def test_a_version_number_is_stored_once(sessions: SessionFactory) -> None:
    incident = await _resolved(sessions)
    async with sessions() as session, session.begin():
        await store_version(session, incident, version=1, markdown="# first", people={},
                            generated_at=T0)
    async with sessions() as session, session.begin():
        # A `sitrep retro --regenerate` and a resolve racing for the same number: one loses.
        with pytest.raises(IntegrityError):
            await store_version(session, incident, version=1, markdown="# again", people={},
                                generated_at=T0)
