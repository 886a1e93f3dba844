"""The retrospective review: by when it should be held, whether it was, and when the channel
is reminded.

At resolve the deadline is fixed on the incident's row (`review_due_on`, a calendar day in
the team's time zone) from the team's rule for its severity (SITREP_REVIEW_WITHIN); a
severity without a rule gets none (a review is optional for it). The retrospective is a
draft until the review is marked held, then reviewed. A review not held by the end of its
due day is worth one reminder in the channel, on the next working morning."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.settings import ReviewDeadline
from bot.db.models import Incident, TimelineEntry
from bot.domain import schedules
from bot.domain.errors import WrongState
from bot.domain.vocabulary import Kind, Status, label

# The scheduler's kind for the reminder (`bot.usecases.follow_up_schedule`).
REVIEW_REMINDER = "review_reminder"
# When the reminder is said: the morning after the deadline, when people read the channel.
REMIND_AT = time(9, 0)
_SATURDAY = 5


class RetroState(StrEnum):
    DRAFT = "draft"
    REVIEWED = "reviewed"


def retro_state(incident: Incident) -> RetroState:
    return RetroState.REVIEWED if incident.reviewed_at is not None else RetroState.DRAFT


def is_working_day(day: date) -> bool:
    return day.weekday() < _SATURDAY


def add_working_days(day: date, count: int) -> date:
    """`count` working days (Monday to Friday) after `day`: Friday + 1 is Monday."""
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day


def due_on(*, resolved_at: datetime, severity: int,
           rules: Mapping[int, ReviewDeadline], zone: ZoneInfo) -> date | None:
    """The day the review should be held by, counted from the team's calendar day of the
    resolve; None when the severity has no deadline."""
    rule = rules.get(severity)
    if rule is None:
        return None
    resolved_on = resolved_at.astimezone(zone).date()
    if rule.working:
        return add_working_days(resolved_on, rule.days)
    return resolved_on + timedelta(days=rule.days)


def reminder_at(due: date, zone: ZoneInfo) -> datetime:
    """When a review still not held by the end of `due` is reminded: 09:00 in the team's
    time zone on the first working day after it (nobody reads a Saturday reminder)."""
    day = due + timedelta(days=1)
    while not is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day, REMIND_AT, tzinfo=zone)


def reminder_is_due(incident: Incident, *, now: datetime, zone: ZoneInfo) -> bool:
    """Whether the channel should be reminded of the review now (and only while it is
    resolved, has a deadline, and has not been held)."""
    return (incident.status == Status.RESOLVED and incident.reviewed_at is None
            and incident.review_due_on is not None
            and now >= reminder_at(incident.review_due_on, zone))


def subject(incident_id: int) -> str:
    """The review reminder's row in the scheduler (`bot.domain.schedules`)."""
    return f"incident:{incident_id}"


async def set_deadline(session: AsyncSession, incident: Incident, due: date | None, *,
                       zone: ZoneInfo) -> None:
    """At each resolve, until a review is held (a reopened incident resolved again is
    counted from its new resolve): the deadline on the incident's row, and its reminder
    armed in the scheduler in the same transaction."""
    if incident.reviewed_at is not None:
        return
    incident.review_due_on = due
    incident.review_reminded_at = None
    session.add(incident)
    assert incident.id is not None
    await schedules.arm(session, kind=REVIEW_REMINDER, subject=subject(incident.id),
                        team_id=incident.team_id,
                        at=reminder_at(due, zone) if due is not None else None)


async def mark_reviewed(session: AsyncSession, incident: Incident, *, by: str,
                        now: datetime) -> None:
    if incident.reviewed_at is not None:
        raise WrongState(f"The review of {label(incident.number)} was already marked held"
                         + (f" by <@{incident.reviewed_by}>." if incident.reviewed_by else "."))
    if incident.status != Status.RESOLVED:
        raise WrongState(f"{label(incident.number)} is not resolved yet: its review comes "
                         "after `/incident resolve`.")
    incident.reviewed_at, incident.reviewed_by = now, by
    session.add(incident)
    assert incident.id is not None
    # Held: nothing left to remind of.
    await schedules.arm(session, kind=REVIEW_REMINDER, subject=subject(incident.id),
                        team_id=incident.team_id, at=None)
    session.add(TimelineEntry(team_id=incident.team_id, incident_id=incident.id,
                              kind=Kind.REVIEWED, text="Retrospective review held",
                              author_id=by, occurred_at=now, created_by=by, created_at=now))


async def claim_reminder(session: AsyncSession, incident_id: int, *, now: datetime,
                         zone: ZoneInfo) -> Incident | None:
    """The incident whose review reminder is due now and not said yet, marked as said in
    the caller's transaction; None otherwise. The conditional UPDATE lets exactly one of
    several callers (replicas, a retry after a crash) have it."""
    incident = await session.get(Incident, incident_id)
    if incident is None or not reminder_is_due(incident, now=now, zone=zone) \
            or incident.review_reminded_at is not None:
        return None
    claimed = await session.exec(
        update(Incident).where(col(Incident.id) == incident_id,
                               col(Incident.review_reminded_at).is_(None),
                               col(Incident.reviewed_at).is_(None))
        .values(review_reminded_at=now))
    if int(getattr(claimed, "rowcount", 0)) == 0:
        return None
    await session.refresh(incident)
    return incident


async def release_reminder(session: AsyncSession, incident_id: int) -> None:
    """Give a claimed reminder back (Slack refused it), so a later call says it."""
    await session.exec(update(Incident).where(col(Incident.id) == incident_id)
                       .values(review_reminded_at=None))
