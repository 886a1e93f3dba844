"""When an incident's reminders fall due, computed from its record: the update reminder
(per severity), the stale nudge, and the daily digest's time. Pure rules over plain values,
and the queries that read those values; the scheduler (`bot.usecases.scheduler`) runs them.

- **Update reminder**: due `cadence(severity)` after the latest of: the start (or reopen),
  the last update, the last change of severity or status, the last reminder. So an update
  resets the clock, and a severity change starts the new cadence from the change.
  `monitoring` halves the pressure: the cadence is doubled while the fix is watched. A
  snooze pushes the due time to its end. Resolved, or a cadence of `off`: none.
- **Command fatigue**: a commander who has held the role `SITREP_HANDOVER_AFTER` (3 h) is
  offered a handover in the reminder.
- **Stale nudge**: due `stale_after` (3 d) after the last entry on the timeline; each
  further nudge without activity waits twice as long as the one before (3 d, then 6 d,
  12 d …). A due time on a Saturday or Sunday in the team's time zone moves to Monday, same
  time of day.
- **Digest**: every day at `SITREP_DIGEST_AT` in the team's time zone, whatever its offset
  from UTC that day (summer time included)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Incident, RoleAssignment, TimelineEntry
from bot.domain.vocabulary import Kind, Role, Status

SATURDAY = 5


class DueKind(StrEnum):
    """The scheduler's kinds of work this module computes the times of."""

    UPDATE_REMINDER = "update_reminder"
    STALE_NUDGE = "stale_nudge"
    DIGEST = "digest"


def incident_subject(incident_id: int) -> str:
    return f"incident:{incident_id}"


def incident_id_of(subject: str) -> int:
    return int(subject.removeprefix("incident:"))


async def open_incidents(session: AsyncSession) -> Sequence[Incident]:
    """Incidents open now, with their channel made."""
    return (await session.exec(
        select(Incident).where(col(Incident.status) != Status.RESOLVED,
                               col(Incident.channel_id).is_not(None)))).all()


# --- update reminders -----------------------------------------------------------------------

@dataclass(frozen=True)
class UpdateClock:
    """What the update reminder's due time depends on."""

    severity: int
    status: str
    # The start, or the last reopen.
    opened_at: datetime
    last_update_at: datetime | None
    # The last change of severity or status.
    last_change_at: datetime | None
    reminded_at: datetime | None = None
    snoozed_until: datetime | None = None


def update_interval(severity: int, status: str,
                    cadence: Mapping[int, timedelta | None]) -> timedelta | None:
    """How long an incident may go without an update; None: no reminders."""
    every = cadence.get(severity)
    if every is None or status == Status.RESOLVED:
        return None
    return every * 2 if status == Status.MONITORING else every


def next_update_reminder(clock: UpdateClock,
                         cadence: Mapping[int, timedelta | None]) -> datetime | None:
    every = update_interval(clock.severity, clock.status, cadence)
    if every is None:
        return None
    since = max(moment for moment in (clock.opened_at, clock.last_update_at,
                                      clock.last_change_at, clock.reminded_at)
                if moment is not None)
    due = since + every
    if clock.snoozed_until is not None and clock.snoozed_until > due:
        return clock.snoozed_until
    return due


def silent_since(clock: UpdateClock) -> datetime:
    """Since when the channel has had no update: the last one, or the (re)opening."""
    return max(moment for moment in (clock.opened_at, clock.last_update_at)
               if moment is not None)


def needs_handover(commander_since: datetime | None, now: datetime,
                   handover_after: timedelta | None) -> bool:
    return (handover_after is not None and commander_since is not None
            and now - commander_since >= handover_after)


async def update_clock(session: AsyncSession, incident: Incident) -> UpdateClock:
    latest = await _latest_by_kind(session, incident, (
        Kind.UPDATE, Kind.SEVERITY, Kind.STATUS, Kind.REOPENED))
    changes = [latest[kind] for kind in (Kind.SEVERITY, Kind.STATUS) if kind in latest]
    return UpdateClock(severity=incident.severity, status=incident.status,
                       opened_at=latest.get(Kind.REOPENED, incident.created_at),
                       last_update_at=latest.get(Kind.UPDATE),
                       last_change_at=max(changes) if changes else None)


async def commander_since(session: AsyncSession, incident: Incident
                          ) -> tuple[str, datetime] | None:
    """The current commander, and since when they hold the role."""
    row = (await session.exec(
        select(RoleAssignment).where(RoleAssignment.incident_id == incident.id,
                                     col(RoleAssignment.role) == Role.COMMANDER,
                                     col(RoleAssignment.ended_at).is_(None)))).first()
    return (row.user_id, row.started_at) if row is not None else None


async def _latest_by_kind(session: AsyncSession, incident: Incident,
                          kinds: Sequence[str]) -> dict[str, datetime]:
    rows = (await session.exec(
        select(TimelineEntry.kind, func.max(TimelineEntry.occurred_at))
        .where(TimelineEntry.incident_id == incident.id, col(TimelineEntry.kind).in_(kinds))
        .group_by(col(TimelineEntry.kind)))).all()
    return {kind: _aware(at) for kind, at in rows if at is not None}


# --- stale incidents ------------------------------------------------------------------------

def next_stale_nudge(last_activity: datetime, *, last_nudge: datetime | None, nudges: int,
                     stale_after: timedelta | None, tz: ZoneInfo) -> datetime | None:
    """`nudges`: how many were sent since `last_activity` (activity after the last nudge
    starts the count again)."""
    if stale_after is None:
        return None
    if last_nudge is None or nudges == 0 or last_activity >= last_nudge:
        due = last_activity + stale_after
    else:
        due = last_nudge + stale_after * 2 ** nudges
    return on_a_weekday(due, tz)


def on_a_weekday(at: datetime, tz: ZoneInfo) -> datetime:
    """`at`, or the Monday after it at the same local time when it falls on a weekend."""
    local = at.astimezone(tz)
    if local.weekday() < SATURDAY:
        return at
    monday = local.date() + timedelta(days=7 - local.weekday())
    return datetime.combine(monday, local.time(), tzinfo=tz).astimezone(UTC)


async def last_activity(session: AsyncSession, incident: Incident) -> datetime:
    """The latest entry on the incident's timeline (its start at least)."""
    latest = (await session.exec(select(func.max(TimelineEntry.occurred_at)).where(
        TimelineEntry.incident_id == incident.id))).one()
    return max(_aware(latest), incident.created_at) if latest is not None \
        else incident.created_at


# --- the daily digest -----------------------------------------------------------------------

def next_digest(after: datetime, at: time, tz: ZoneInfo) -> datetime:
    """The first `at` o'clock in `tz` strictly after `after`."""
    today = after.astimezone(tz).date()
    for day in (today, today + timedelta(days=1)):
        candidate = _local(day, at, tz)
        if candidate > after:
            return candidate
    return _local(today + timedelta(days=2), at, tz)


def _local(day: date, at: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class DigestLine:
    number: int
    title: str
    severity: int
    status: str
    channel_id: str | None
    started_at: datetime
    commander_id: str | None
    last_update: str | None
    last_update_at: datetime | None


async def digest_lines(session: AsyncSession) -> list[DigestLine]:
    """Open incidents, most severe first then oldest, that may be named in the announce
    channel (not private ones, nor starts still being made)."""
    incidents = (await session.exec(
        select(Incident).where(col(Incident.status) != Status.RESOLVED,
                               col(Incident.private).is_(False),
                               col(Incident.channel_id).is_not(None))
        .order_by(col(Incident.severity), col(Incident.created_at)))).all()
    lines = []
    for incident in incidents:
        update = (await session.exec(
            select(TimelineEntry).where(TimelineEntry.incident_id == incident.id,
                                        col(TimelineEntry.kind) == Kind.UPDATE)
            .order_by(col(TimelineEntry.occurred_at).desc(), col(TimelineEntry.id).desc())
            .limit(1))).first()
        commander = await commander_since(session, incident)
        lines.append(DigestLine(
            number=incident.number, title=incident.title, severity=incident.severity,
            status=incident.status, channel_id=incident.channel_id,
            started_at=incident.created_at,
            commander_id=commander[0] if commander else None,
            last_update=update.text if update else None,
            last_update_at=update.occurred_at if update else None))
    return lines


def _aware(value: object) -> datetime:
    # max() comes back through the driver: SQLite gives text or a naive UTC datetime.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
