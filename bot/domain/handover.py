"""What the next commander needs to know about an incident, read in one go.

Only what the handover brief shows is read: the current roles, the latest status update,
the open action items and the last few timeline entries — a long incident's timeline can
hold thousands of entries, and the brief shows five."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import ActionItem, Incident, TimelineEntry
from bot.domain import incidents
from bot.domain.vocabulary import Kind

RECENT_ENTRIES = 5


@dataclass(frozen=True)
class Said:
    """A line of the timeline, and when it happened."""

    occurred_at: datetime
    text: str


@dataclass(frozen=True)
class OpenActionItem:
    text: str
    owner_id: str | None


@dataclass(frozen=True)
class HandoverFacts:
    number: int
    title: str
    severity: int
    status: str
    started_at: datetime
    roles: Mapping[str, str]  # role → user id, commander first
    latest_update: Said | None
    open_action_items: tuple[OpenActionItem, ...]
    recent_entries: tuple[TimelineEntry, ...]  # oldest first


async def handover_facts(session: AsyncSession, incident: Incident, *,
                         recent: int = RECENT_ENTRIES) -> HandoverFacts:
    roles = await incidents.current_roles(session, incident)
    # Newest first, in the timeline's own order (occurred_at, then id), so "latest" and
    # "recent" mean what the full timeline would say.
    newest_first = (col(TimelineEntry.occurred_at).desc(), col(TimelineEntry.id).desc())
    latest = (await session.exec(
        select(TimelineEntry.occurred_at, TimelineEntry.text)
        .where(col(TimelineEntry.incident_id) == incident.id,
               col(TimelineEntry.kind) == Kind.UPDATE)
        .order_by(*newest_first).limit(1))).first()
    last = (await session.exec(
        select(TimelineEntry)
        .where(col(TimelineEntry.incident_id) == incident.id)
        .order_by(*newest_first).limit(recent))).all()
    items = (await session.exec(
        select(ActionItem.text, ActionItem.owner_id)
        .where(col(ActionItem.incident_id) == incident.id, col(ActionItem.done_at).is_(None))
        .order_by(col(ActionItem.created_at), col(ActionItem.id)))).all()
    return HandoverFacts(
        number=incident.number, title=incident.title, severity=incident.severity,
        status=incident.status, started_at=incident.created_at, roles=roles,
        latest_update=Said(*latest) if latest is not None else None,
        open_action_items=tuple(OpenActionItem(text, owner) for text, owner in items),
        recent_entries=tuple(reversed(last)))
