"""`sitrep retro N`: the retrospective as it stands, or a fresh version from the current
timeline.

Printed, the latest stored version is drawn again from the record with its own number, time
and names, so it shows the review's state and each action item's as they are today (a
follow-up closed after the resolve shows done); were the template to fail on it, the stored
text is printed as it was written."""

from __future__ import annotations

import re

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.clock import SystemClock
from bot.core.settings import ConfigError, Settings
from bot.db import migrate
from bot.db.engine import create_engine, session_factory, transaction
from bot.db.models import Incident, Retrospective, TimelineEntry
from bot.domain.incidents import by_number
from bot.domain.vocabulary import label
from bot.retro.facts import gather, people_from_json
from bot.retro.render import Renderer, RenderFailed, renderer_for
from bot.retro.versions import draft, latest, write_version

_NUMBER = re.compile(r"^(?:inc-?)?(\d+)$", re.IGNORECASE)


class RetroNotFound(Exception):
    """Nothing to print; the message says why and what to do."""


def parse_incident_number(text: str) -> int:
    found = _NUMBER.match(text.strip())
    if found is None or int(found.group(1)) < 1:
        raise RetroNotFound(f"{text!r} is not an incident: give its number, as 12 or INC-12.")
    return int(found.group(1))


async def retrospective(settings: Settings, number: int, *, team_id: str | None,
                        regenerate: bool) -> str:
    # Drafting checks the template first; printing falls back to the stored text without one.
    renderer = renderer_for(settings) if regenerate else _renderer_if_it_works(settings)
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        sessions = session_factory(engine)
        async with transaction(sessions) as session:
            team = team_id or await _only_team(session, number)
            incident = await by_number(session, team, number)
            if incident is None:
                raise RetroNotFound(f"there is no {label(number)} in this database.")
            stored = await latest(session, incident)
            if not regenerate:
                if stored is None:
                    raise RetroNotFound(
                        f"{label(number)} has no retrospective yet (it is written at resolve);"
                        f" `sitrep retro {number} --regenerate` drafts one now.")
                return await _as_it_stands(session, incident, stored, renderer, settings)
            facts = await gather(session, incident, now=SystemClock().now(),
                                 zone=settings.timezone)
            people = people_from_json(stored.people if stored else None)
            # Names Slack gave when messages were marked fill in people met since.
            for entry in await _named_authors(session, incident):
                people.setdefault(*entry)
            assert renderer is not None
            try:
                row = await write_version(session, incident, renderer=renderer,
                                          people=people, facts=facts,
                                          generated_at=SystemClock().now())
            except RenderFailed as failed:
                raise ConfigError(f"SITREP_RETRO_TEMPLATE {failed.where} fails on "
                                  f"{label(number)}: {failed.cause}. Fix the template and run "
                                  "this again.") from failed
            return row.markdown
    finally:
        await engine.dispose()


def _renderer_if_it_works(settings: Settings) -> Renderer | None:
    try:
        return renderer_for(settings)
    except ConfigError:
        return None


async def _as_it_stands(session: AsyncSession, incident: Incident, stored: Retrospective,
                        renderer: Renderer | None, settings: Settings) -> str:
    if renderer is None:
        return stored.markdown
    facts = await gather(session, incident, now=SystemClock().now(), zone=settings.timezone)
    try:
        return draft(renderer, facts, people=people_from_json(stored.people),
                     version=stored.version, generated_at=stored.generated_at)
    except RenderFailed:
        return stored.markdown


async def _only_team(session: AsyncSession, number: int) -> str:
    teams = (await session.exec(select(Incident.team_id).where(
        col(Incident.number) == number).distinct())).all()
    if not teams:
        raise RetroNotFound(f"there is no {label(number)} in this database.")
    if len(teams) > 1:
        raise RetroNotFound(f"{label(number)} exists in several workspaces "
                            f"({', '.join(sorted(teams))}); choose one with --team.")
    return str(teams[0])


async def _named_authors(session: AsyncSession, incident: Incident) -> list[tuple[str, str]]:
    rows = (await session.exec(select(TimelineEntry.author_id, TimelineEntry.author_name).where(
        col(TimelineEntry.incident_id) == incident.id,
        col(TimelineEntry.author_name).is_not(None)))).all()
    return [(str(user), str(name)) for user, name in rows if user]
