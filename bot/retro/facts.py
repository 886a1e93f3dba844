"""The retrospective's facts: an incident's record read into plain values.

`gather` reads what the bot recorded; `bot.retro.render` turns the facts into Markdown;
`bot.retro.samples` has incidents to try a template on."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import ActionItem, Incident
from bot.domain import incidents
from bot.domain.action_items import ItemState, standing
from bot.domain.reviews import RetroState, retro_state
from bot.domain.timeline import sentence
from bot.domain.vocabulary import PAGE_KINDS, Kind, label, severity_label

MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")


@dataclass(frozen=True)
class IncidentFacts:
    number: int
    title: str
    severity: int
    status: str
    summary: str | None
    impact: str | None
    started_at: datetime
    first_status_change_at: datetime | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    # The review meeting: `draft` until it is marked held, then `reviewed`.
    review_state: str = RetroState.DRAFT
    review_due_on: date | None = None
    reviewed_at: datetime | None = None
    reviewed_by: str | None = None

    @property
    def label(self) -> str:
        return label(self.number)

    @property
    def severity_label(self) -> str:
        return severity_label(self.severity)


@dataclass(frozen=True)
class RoleSpan:
    role: str
    user_id: str
    started_at: datetime
    ended_at: datetime | None


@dataclass(frozen=True)
class Entry:
    occurred_at: datetime
    kind: str
    author: str
    text: str
    permalink: str | None = None
    comment: str | None = None

    @property
    def in_thread(self) -> bool:
        # Slack's links to thread replies name the thread; top-level links do not.
        return self.permalink is not None and "thread_ts=" in self.permalink

    @property
    def link_label(self) -> str:
        """What the entry's link leads to: a Slack message, or a page's own source."""
        if self.kind in PAGE_KINDS:
            return "alert" if self.kind != Kind.PAGERDUTY else "PagerDuty"
        return "reply in a thread" if self.in_thread else "message"


@dataclass(frozen=True)
class ActionFacts:
    text: str
    owner_id: str | None
    done: bool
    due_on: date | None = None
    # `open`, `overdue` or `done` as of when the document is written, and the day that
    # state dates from (the day it was done, the first day it was overdue).
    state: str = ItemState.OPEN
    since: date | None = None


@dataclass(frozen=True)
class RetroFacts:
    incident: IncidentFacts
    roles: Sequence[RoleSpan]
    entries: Sequence[Entry]
    actions: Sequence[ActionFacts]
    people: Mapping[str, str] = field(default_factory=dict)

    def user_ids(self) -> set[str]:
        """Everyone the document names, so their names can be looked up once."""
        ids = {span.user_id for span in self.roles}
        ids |= {item.owner_id for item in self.actions if item.owner_id}
        if self.incident.reviewed_by:
            ids.add(self.incident.reviewed_by)
        for text in [*(e.text for e in self.entries), *(e.comment or "" for e in self.entries),
                     *(a.text for a in self.actions)]:
            ids |= set(MENTION.findall(text))
        ids |= {e.author[2:-1] for e in self.entries if MENTION.fullmatch(e.author)}
        return ids


async def gather(session: AsyncSession, incident: Incident, *, now: datetime | None = None,
                 zone: ZoneInfo | None = None) -> RetroFacts:
    """The record as of `now` (by default the resolve, or the start of an open incident):
    whether an action item is overdue depends on the day the document is written, counted
    in the team's `zone`."""
    zone = zone or ZoneInfo("UTC")
    on = (now or incident.resolved_at or incident.created_at).astimezone(zone).date()
    entries = await incidents.timeline(session, incident)
    history = await incidents.role_history(session, incident)
    items = await incidents.action_items(session, incident)
    first_status = next((e.occurred_at for e in entries if e.kind == Kind.STATUS), None)
    return RetroFacts(
        incident=IncidentFacts(
            number=incident.number, title=incident.title, severity=incident.severity,
            status=incident.status, summary=incident.summary, impact=incident.impact,
            started_at=incident.created_at, first_status_change_at=first_status,
            mitigated_at=incident.mitigated_at, resolved_at=incident.resolved_at,
            review_state=retro_state(incident), review_due_on=incident.review_due_on,
            reviewed_at=incident.reviewed_at, reviewed_by=incident.reviewed_by),
        # An imported commander may be known only by a name or an email (user_name).
        roles=[RoleSpan(r.role, r.user_id or r.user_name or "", r.started_at, r.ended_at)
               for r in history],
        entries=[Entry(occurred_at=e.occurred_at, kind=e.kind,
                       author=e.author_name or (f"<@{e.author_id}>" if e.author_id else "Sitrep"),
                       text=sentence(e, person=_token), permalink=e.permalink,
                       comment=e.comment)
                 for e in entries],
        actions=[_action(item, on=on, zone=zone) for item in items],
    )


def _action(item: ActionItem, *, on: date, zone: ZoneInfo) -> ActionFacts:
    now = standing(item, on=on, zone=zone)
    return ActionFacts(item.text, item.owner_id, item.done_at is not None, due_on=item.due_on,
                       state=now.state, since=now.since)


def people_json(people: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(people.items())))


def people_from_json(text: str | None) -> dict[str, str]:
    loaded: Any = json.loads(text) if text else {}
    return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _token(user_id: str) -> str:
    # The document's own way of naming a person until the renderer knows their name.
    return f"<@{user_id}>"
