"""What the dashboard shows a signed-in person: the incident list and one incident's record,
read-only, with private incidents left out for whoever is not in their channel (from the
insights' counts too).

Who is in a private incident's channel is Slack's to say (`private_visibility`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from bot.db.models import Incident, RoleAssignment
from bot.deps import Deps
from bot.domain import incident_listing, incidents, reminder_log
from bot.domain.incident_listing import IncidentFilter, IncidentPage, TimelinePage
from bot.domain.timeline import sentence
from bot.retro.facts import RoleSpan, people_from_json
from bot.slack.failures import SlackFailure
from bot.usecases.insights import StatsQuery
from bot.usecases.private_visibility import private_channels_seen, sees

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class Viewer:
    """A signed-in person: their Slack user id and workspace."""

    user_id: str
    team_id: str
    name: str = ""


@dataclass(frozen=True)
class TimelineLine:
    occurred_at: datetime
    kind: str
    author: str
    text: str
    permalink: str | None
    comment: str | None


@dataclass(frozen=True)
class ActionLine:
    text: str
    owner_id: str | None
    due_on: date | None
    done_at: datetime | None


@dataclass(frozen=True)
class ReminderLine:
    """A reminder Sitrep said in the channel (`bot.domain.reminder_log`) and its fate."""

    kind: str
    sent_at: datetime
    repeat: int
    quiet_since: datetime | None
    handover_hint: bool
    # A later reminder asked again in the same message.
    repeated_at: datetime | None
    answer: str | None
    answered_at: datetime | None
    answered_by: str | None
    snoozed_until: datetime | None
    permalink: str | None


@dataclass(frozen=True)
class RetroVersion:
    version: int
    generated_at: datetime
    permalink: str | None


@dataclass(frozen=True)
class IncidentRecord:
    incident: Incident
    current_roles: Mapping[str, str]
    roles: Sequence[RoleSpan]
    timeline: Sequence[TimelineLine]
    actions: Sequence[ActionLine]
    retro_versions: Sequence[RetroVersion]
    # The version asked for (the latest by default), None when there is none yet.
    retro_version: int | None
    retro_markdown: str | None
    channel_url: str | None
    people: Mapping[str, str] = field(default_factory=dict)
    reminders: Sequence[ReminderLine] = ()
    # Which part of the timeline `timeline` holds (all of it unless a page was asked for).
    timeline_total: int = 0
    timeline_page: int = 1
    timeline_pages: int = 1
    timeline_first: int = 1


class DashboardReading:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def incidents(self, viewer: Viewer, wanted: IncidentFilter, *, page: int,
                        per_page: int = incident_listing.PER_PAGE) -> IncidentPage:
        seen = await self._private_channels_seen(viewer)
        async with self.deps.sessions() as session:
            return await incident_listing.page_of(session, viewer.team_id, wanted,
                                                  private_channels_seen=seen, page=page,
                                                  per_page=per_page)

    async def stats_query(self, viewer: Viewer, wanted: StatsQuery) -> StatsQuery:
        """`wanted` narrowed to what this person may see: their workspace's public
        incidents and the private ones whose channel they are in."""
        return replace(wanted, team_id=viewer.team_id,
                       private_channels_seen=await self._private_channels_seen(viewer))

    async def incident(self, viewer: Viewer, number: int, *,
                       retro_version: int | None = None,
                       timeline_page: int | None = None) -> IncidentRecord | None:
        """Incident `number` as recorded, or None when there is none this person may see;
        its whole timeline, or only page `timeline_page` of it."""
        # One incident needs one membership, not every private channel's.
        async with self.deps.sessions() as session:
            channel = await incident_listing.private_channel_of(session, viewer.team_id,
                                                                number)
        seen = frozenset({channel}) if channel is not None and await sees(
            self.deps, channel, viewer.user_id) else frozenset()
        async with self.deps.sessions() as session:
            incident = await incident_listing.one(session, viewer.team_id, number,
                                                  private_channels_seen=seen)
            if incident is None:
                return None
            current = await incidents.current_roles(session, incident)
            history = await incidents.role_history(session, incident)
            if timeline_page is None:
                entries = await incidents.timeline(session, incident)
                part = TimelinePage(entries=entries, total=len(entries), page=1,
                                    per_page=max(1, len(entries)))
            else:
                part = await incident_listing.timeline_page(session, incident,
                                                            page=timeline_page)
                entries = part.entries
            items = await incidents.action_items(session, incident)
            versions = await incident_listing.retrospectives(session, incident)
            said = await reminder_log.of_incident(session, incident)
        chosen = next((v for v in versions if v.version == retro_version), None)
        if chosen is None and versions:
            chosen = versions[-1]
        people = people_from_json(chosen.people) if chosen is not None else {}
        # A commander imported from another system may be known only by a name or an email
        # (`sitrep import`); it stands for itself.
        imported_names = {r.user_name: r.user_name for r in history
                          if not r.user_id and r.user_name}
        current = {role: user_id or _imported_holder(history, role)
                   for role, user_id in current.items()}
        ids = {incident.reporter_id, *current.values(), *(r.user_id for r in history),
               *(i.owner_id for i in items if i.owner_id),
               *(e.subject_id for e in entries if e.subject_id),
               *(e.previous_id for e in entries if e.previous_id),
               *(e.author_id for e in entries if e.author_id and not e.author_name),
               *(r.answered_by for r in said if r.answered_by)}
        people = {**imported_names, **people,
                  **await self._names(ids - set(people) - set(imported_names))}

        def name(user_id: str) -> str:
            return people.get(user_id, user_id)

        channel_url = await self._channel_url(incident)
        return IncidentRecord(
            incident=incident, current_roles=current,
            roles=[RoleSpan(r.role, r.user_id or r.user_name or "", r.started_at, r.ended_at)
                   for r in history],
            timeline=[TimelineLine(occurred_at=e.occurred_at, kind=e.kind,
                                   author=e.author_name or (name(e.author_id) if e.author_id
                                                            else "Sitrep"),
                                   text=sentence(e, person=name), permalink=e.permalink,
                                   comment=e.comment) for e in entries],
            actions=[ActionLine(i.text, i.owner_id, i.due_on, i.done_at) for i in items],
            retro_versions=[RetroVersion(v.version, v.generated_at, v.permalink)
                            for v in versions],
            retro_version=chosen.version if chosen is not None else None,
            retro_markdown=chosen.markdown if chosen is not None else None,
            channel_url=channel_url, people=people,
            reminders=[ReminderLine(
                kind=r.kind, sent_at=r.sent_at, repeat=r.repeat, quiet_since=r.quiet_since,
                handover_hint=r.handover_hint, repeated_at=r.edited_at, answer=r.answer,
                answered_at=r.answered_at, answered_by=r.answered_by,
                snoozed_until=r.snoozed_until,
                permalink=_permalink(channel_url, r.message_ts)) for r in said],
            timeline_total=part.total, timeline_page=part.page, timeline_pages=part.pages,
            timeline_first=part.first)

    async def _private_channels_seen(self, viewer: Viewer) -> frozenset[str]:
        return await private_channels_seen(self.deps, viewer.team_id, viewer.user_id)

    async def _names(self, user_ids: Iterable[str]) -> dict[str, str]:
        # An imported incident has no reporter and may have a commander with no Slack id.
        ids = sorted({user_id for user_id in user_ids if user_id})
        names = await asyncio.gather(*(self.deps.slack.display_name(i) for i in ids))
        return {i: n for i, n in zip(ids, names, strict=True) if n}

    async def _channel_url(self, incident: Incident) -> str | None:
        if incident.channel_id is None:
            return None
        try:
            workspace = await self.deps.slack.workspace_url()
        except SlackFailure:  # a link is not worth failing the page for
            return None
        return f"{workspace.rstrip('/')}/archives/{incident.channel_id}"


def _permalink(channel_url: str | None, ts: str) -> str | None:
    """Slack's link to a message: the channel's address and `p` + its ts without the dot."""
    return None if channel_url is None else f"{channel_url}/p{ts.replace('.', '')}"


def _imported_holder(history: Sequence[RoleAssignment], role: str) -> str:
    return next((r.user_name for r in history
                 if r.role == role and r.ended_at is None and r.user_name), "")
