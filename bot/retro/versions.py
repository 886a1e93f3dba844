"""Stored versions of a retrospective: the first at resolve, another after each reopen."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Incident, Retrospective
from bot.retro.facts import RetroFacts, people_json
from bot.retro.render import Renderer


async def next_version(session: AsyncSession, incident: Incident) -> int:
    latest = (await session.exec(select(func.max(Retrospective.version)).where(
        col(Retrospective.incident_id) == incident.id))).first()
    return int(latest or 0) + 1


async def latest(session: AsyncSession, incident: Incident) -> Retrospective | None:
    return (await session.exec(select(Retrospective).where(
        col(Retrospective.incident_id) == incident.id,
    ).order_by(col(Retrospective.version).desc()))).first()


def draft(renderer: Renderer, facts: RetroFacts, *, people: Mapping[str, str], version: int,
          generated_at: datetime) -> str:
    """The document for `version`, rendered from facts already read: no database needed, so
    it never runs inside a write transaction."""
    facts = RetroFacts(incident=facts.incident, roles=facts.roles, entries=facts.entries,
                       actions=facts.actions, people=dict(people))
    return renderer.render(facts, version=version, generated_at=generated_at)


async def store_version(session: AsyncSession, incident: Incident, *, version: int,
                        markdown: str, people: Mapping[str, str],
                        generated_at: datetime) -> Retrospective:
    """Store a rendered version (the caller's transaction commits it)."""
    assert incident.id is not None
    row = Retrospective(team_id=incident.team_id, incident_id=incident.id, version=version,
                        markdown=markdown, generated_at=generated_at,
                        people=people_json(people))
    session.add(row)
    # Flushed here, so a clash with a version written meanwhile surfaces inside the caller's
    # retry rather than at commit.
    await session.flush()
    return row


async def write_version(session: AsyncSession, incident: Incident, *,
                        renderer: Renderer, people: Mapping[str, str],
                        facts: RetroFacts, generated_at: datetime) -> Retrospective:
    """Render and store the next version in one go, for `sitrep retro --regenerate`, which
    has the database to itself."""
    version = await next_version(session, incident)
    markdown = draft(renderer, facts, people=people, version=version,
                     generated_at=generated_at)
    return await store_version(session, incident, version=version, markdown=markdown,
                               people=people, generated_at=generated_at)
