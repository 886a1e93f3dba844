"""The incident list people browse on the dashboard: filtered, newest first, a page at a
time, in SQL (a team's history runs to thousands of incidents; only one page is read).

A private incident is listed only to the members of its channel; who is a member is
Slack's to say, so the caller passes the private channels this person may see."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, false, or_
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Incident, Retrospective, TimelineEntry

PER_PAGE = 25
MAX_PER_PAGE = 100
# A page of an incident's timeline: a flood of alerts can leave tens of thousands of
# entries, and a page holding all of them is megabytes that no one reads at once.
TIMELINE_PER_PAGE = 500
_NUMBER = re.compile(r"^(?:inc-?)?(\d{1,9})$", re.IGNORECASE)


@dataclass(frozen=True)
class IncidentFilter:
    """What the list is narrowed to; empty fields narrow nothing. `started_from` and
    `started_before` bound the incident's start (UTC), `text` matches the title or the
    summary (or an incident number: `42`, `INC-42`)."""

    status: str | None = None
    severity: int | None = None
    started_from: datetime | None = None
    started_before: datetime | None = None
    text: str | None = None


@dataclass(frozen=True)
class Paged:
    """Page `page` of `total` things, `per_page` a page."""

    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return _pages(self.total, self.per_page)

    @property
    def first(self) -> int:
        """The place of the page's first thing among them all, counted from 1."""
        return (self.page - 1) * self.per_page + 1


@dataclass(frozen=True)
class IncidentPage(Paged):
    incidents: Sequence[Incident]


@dataclass(frozen=True)
class TimelinePage(Paged):
    """Oldest first."""

    entries: Sequence[TimelineEntry]


async def private_channels(session: AsyncSession, team_id: str | None) -> Sequence[str]:
    """The channels of the workspace's private incidents (a few, even in a long history);
    every workspace's when `team_id` is None."""
    where: list[ColumnElement[bool]] = [col(Incident.private).is_(True),
                                        col(Incident.channel_id).is_not(None)]
    if team_id is not None:
        where.append(col(Incident.team_id) == team_id)
    rows = (await session.exec(select(Incident.channel_id).where(*where))).all()
    return [row for row in rows if row is not None]


async def private_channel_of(session: AsyncSession, team_id: str,
                             number: int) -> str | None:
    """The channel of incident `number` when it is private (whose members alone may see
    it), else None."""
    return (await session.exec(select(Incident.channel_id).where(
        col(Incident.team_id) == team_id, col(Incident.number) == number,
        col(Incident.private).is_(True)))).first()


def visible(team_id: str, private_channels_seen: Collection[str]) -> ColumnElement[bool]:
    """Incidents of the workspace this person may see: every public one, and the private
    ones whose channel they are in (an unopened private incident has no members)."""
    seen = list(private_channels_seen)
    return and_(col(Incident.team_id) == team_id,
                or_(col(Incident.private).is_(False),
                    col(Incident.channel_id).in_(seen) if seen else false()))


async def page_of(session: AsyncSession, team_id: str, wanted: IncidentFilter, *,
                  private_channels_seen: Collection[str], page: int = 1,
                  per_page: int = PER_PAGE) -> IncidentPage:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    where = [visible(team_id, private_channels_seen), *_narrowed(wanted)]
    total = (await session.exec(select(func.count()).select_from(Incident)
                                .where(*where))).one()
    # A page past the end (an old link, a narrower filter) shows the last one, not nothing.
    page = max(1, min(page, _pages(int(total), per_page)))
    rows = (await session.exec(
        select(Incident).where(*where)
        .order_by(col(Incident.created_at).desc(), col(Incident.number).desc())
        .offset((page - 1) * per_page).limit(per_page))).all()
    return IncidentPage(incidents=rows, total=int(total), page=page, per_page=per_page)


async def one(session: AsyncSession, team_id: str, number: int, *,
              private_channels_seen: Collection[str]) -> Incident | None:
    """Incident `number`, or None when there is none this person may see."""
    return (await session.exec(select(Incident).where(
        visible(team_id, private_channels_seen),
        col(Incident.number) == number))).first()


def _pages(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


def _narrowed(wanted: IncidentFilter) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if wanted.status:
        where.append(col(Incident.status) == wanted.status)
    if wanted.severity is not None:
        where.append(col(Incident.severity) == wanted.severity)
    if wanted.started_from is not None:
        where.append(col(Incident.created_at) >= wanted.started_from)
    if wanted.started_before is not None:
        where.append(col(Incident.created_at) < wanted.started_before)
    text = (wanted.text or "").strip()
    if text:
        lowered = text.lower()
        matches = [func.lower(col(Incident.title)).contains(lowered, autoescape=True),
                   func.lower(func.coalesce(col(Incident.summary), "")).contains(
                       lowered, autoescape=True)]
        number = _NUMBER.match(text)
        if number is not None:
            matches.append(col(Incident.number) == int(number.group(1)))
        where.append(or_(*matches))
    return where


async def timeline_page(session: AsyncSession, incident: Incident, *, page: int,
                        per_page: int = TIMELINE_PER_PAGE) -> TimelinePage:
    """One page of the timeline (a page past the end is the last one)."""
    total = int((await session.exec(select(func.count()).select_from(TimelineEntry).where(
        col(TimelineEntry.incident_id) == incident.id))).one())
    page = max(1, min(page, _pages(total, per_page)))
    entries = (await session.exec(
        select(TimelineEntry).where(col(TimelineEntry.incident_id) == incident.id)
        .order_by(col(TimelineEntry.occurred_at), col(TimelineEntry.id))
        .offset((page - 1) * per_page).limit(per_page))).all()
    return TimelinePage(entries=entries, total=total, page=page, per_page=per_page)


async def retrospectives(session: AsyncSession, incident: Incident) -> Sequence[Retrospective]:
    """Every stored version of the incident's retrospective, oldest first."""
    return (await session.exec(select(Retrospective).where(
        col(Retrospective.incident_id) == incident.id,
    ).order_by(col(Retrospective.version)))).all()
