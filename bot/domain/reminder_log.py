"""The record of what Sitrep said in an incident's channel on its own — update reminders,
stale nudges, the review's prompt and reminder — and how each was answered, for the
dashboard's incident page and its API.

The scheduler's work writes it in the same transaction as its decision (`Ran.record`), so
what is recorded is what the scheduler kept: a run that lost its row to another replica
records nothing, and the run that took over records its own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import insert_unless_present
from bot.db.models import Incident, IncidentReminder


class ReminderKind(StrEnum):
    UPDATE_REMINDER = "update_reminder"
    STALE_NUDGE = "stale_nudge"
    REVIEW_PROMPT = "review_prompt"
    REVIEW_REMINDER = "review_reminder"


class ReminderAnswer(StrEnum):
    UPDATE = "update"
    SNOOZE = "snooze"
    RESOLVE = "resolve"
    # The incident's severity (or status) no longer gets update reminders.
    OFF = "off"
    # Someone spoke again in the incident: what a stale nudge asked for.
    ACTIVITY = "activity"
    REVIEWED = "reviewed"


@dataclass(frozen=True)
class Said:
    """A reminder said in a channel, as the work that said it knows it."""

    incident_id: int
    team_id: str
    kind: ReminderKind
    channel_id: str
    message_ts: str
    sent_at: datetime
    repeat: int = 1
    quiet_since: datetime | None = None
    handover_hint: bool = False


@dataclass(frozen=True)
class Answered:
    """What answered the reminders still waiting in one message (or, without a message,
    every waiting one of `kinds`)."""

    incident_id: int
    how: ReminderAnswer
    at: datetime
    message_ts: str | None = None
    kinds: tuple[ReminderKind, ...] = ()
    by: str | None = None
    snoozed_until: datetime | None = None


async def record_said(session: AsyncSession, said: Said) -> None:
    """Record `said`; an earlier reminder still waiting in the same message was asked
    again (edited over) at `said.sent_at`. Recording the same one twice changes nothing."""
    await session.exec(
        update(IncidentReminder)
        .where(col(IncidentReminder.incident_id) == said.incident_id,
               col(IncidentReminder.message_ts) == said.message_ts,
               col(IncidentReminder.sent_at) < said.sent_at,
               col(IncidentReminder.edited_at).is_(None),
               col(IncidentReminder.answered_at).is_(None))
        .values(edited_at=said.sent_at))
    await insert_unless_present(
        session, IncidentReminder, key=["incident_id", "kind", "message_ts", "sent_at"],
        incident_id=said.incident_id, team_id=said.team_id, kind=str(said.kind),
        channel_id=said.channel_id, message_ts=said.message_ts, sent_at=said.sent_at,
        repeat=said.repeat, quiet_since=said.quiet_since, handover_hint=said.handover_hint)


async def record_answered(session: AsyncSession, answered: Answered) -> None:
    """Mark the reminders that were still waiting as answered; one repeated since (edited
    over) was answered by its repeat, and one answered already keeps its answer."""
    where = [col(IncidentReminder.incident_id) == answered.incident_id,
             col(IncidentReminder.answered_at).is_(None),
             col(IncidentReminder.edited_at).is_(None),
             col(IncidentReminder.sent_at) <= answered.at]
    if answered.message_ts is not None:
        where.append(col(IncidentReminder.message_ts) == answered.message_ts)
    if answered.kinds:
        where.append(col(IncidentReminder.kind).in_([str(k) for k in answered.kinds]))
    await session.exec(
        update(IncidentReminder).where(*where)
        .values(answer=str(answered.how), answered_at=answered.at, answered_by=answered.by,
                snoozed_until=answered.snoozed_until))


async def record(session: AsyncSession, events: Iterable[Said | Answered]) -> None:
    """Answers first: a reminder said in the same run is never answered by it."""
    events = list(events)
    for event in events:
        if isinstance(event, Answered):
            await record_answered(session, event)
    for event in events:
        if isinstance(event, Said):
            await record_said(session, event)


async def of_incident(session: AsyncSession, incident: Incident) -> Sequence[IncidentReminder]:
    """The incident's reminders, oldest first."""
    return (await session.exec(
        select(IncidentReminder)
        .where(col(IncidentReminder.incident_id) == incident.id)
        .order_by(col(IncidentReminder.sent_at), col(IncidentReminder.id)))).all()
