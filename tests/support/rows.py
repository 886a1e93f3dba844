"""What the database holds, read the plain way, to check what a step left behind."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import (
    ActionItem,
    InboxEvent,
    Incident,
    IncidentReminder,
    KeptMessage,
    Retrospective,
    RoleAssignment,
    TimelineEntry,
)


async def incident(engine: AsyncEngine, number: int) -> Incident:
    async with AsyncSession(engine) as session:
        found = (await session.exec(select(Incident).where(
            col(Incident.number) == number))).first()
    assert found is not None, f"INC-{number} is not in the database"
    return found


async def incidents(engine: AsyncEngine) -> Sequence[Incident]:
    async with AsyncSession(engine) as session:
        return (await session.exec(select(Incident).order_by(col(Incident.number)))).all()


async def roles(engine: AsyncEngine, number: int) -> Sequence[RoleAssignment]:
    found = await incident(engine, number)
    async with AsyncSession(engine) as session:
        return (await session.exec(select(RoleAssignment).where(
            col(RoleAssignment.incident_id) == found.id).order_by(
            col(RoleAssignment.id)))).all()


async def timeline(engine: AsyncEngine, number: int) -> Sequence[TimelineEntry]:
    found = await incident(engine, number)
    async with AsyncSession(engine) as session:
        return (await session.exec(select(TimelineEntry).where(
            col(TimelineEntry.incident_id) == found.id).order_by(
            col(TimelineEntry.occurred_at), col(TimelineEntry.id)))).all()


async def entries(engine: AsyncEngine, *, source_ts: str | None = None) -> Sequence[TimelineEntry]:
    async with AsyncSession(engine) as session:
        query = select(TimelineEntry).order_by(col(TimelineEntry.occurred_at),
                                               col(TimelineEntry.id))
        if source_ts is not None:
            query = query.where(col(TimelineEntry.source_ts) == source_ts)
        return (await session.exec(query)).all()


async def marked(engine: AsyncEngine) -> Sequence[TimelineEntry]:
    """Timeline entries made from Slack messages (not the lifecycle's own)."""
    return [entry for entry in await entries(engine) if entry.source_ts is not None]


async def action_items(engine: AsyncEngine) -> Sequence[ActionItem]:
    async with AsyncSession(engine) as session:
        return (await session.exec(select(ActionItem).order_by(col(ActionItem.id)))).all()


async def retrospectives(engine: AsyncEngine) -> Sequence[Retrospective]:
    async with AsyncSession(engine) as session:
        return (await session.exec(select(Retrospective).order_by(
            col(Retrospective.version)))).all()


async def inbox_event(engine: AsyncEngine, event_id: str) -> InboxEvent | None:
    async with AsyncSession(engine) as session:
        return (await session.exec(select(InboxEvent).where(
            col(InboxEvent.event_id) == event_id))).first()


async def kept_messages(engine: AsyncEngine) -> Sequence[KeptMessage]:
    async with AsyncSession(engine) as session:
        return (await session.exec(select(KeptMessage).order_by(col(KeptMessage.ts)))).all()


async def reminders_said(engine: AsyncEngine, number: int) -> Sequence[IncidentReminder]:
    found = await incident(engine, number)
    async with AsyncSession(engine) as session:
        return (await session.exec(select(IncidentReminder).where(
            col(IncidentReminder.incident_id) == found.id).order_by(
            col(IncidentReminder.sent_at), col(IncidentReminder.id)))).all()
