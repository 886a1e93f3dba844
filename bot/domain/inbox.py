"""The inbox of Slack events: at-least-once in, idempotent work, so exactly-once in effect.

An event is written here before Slack is acknowledged, so a crash after the ack cannot
lose it; its effect is idempotent, so doing it again (a redelivery that slipped past, a
replay after a crash, a second replica) changes nothing."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, delete, func, or_, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import InboxEvent

# Processed ids are kept this long: far beyond Slack's last redelivery (about five minutes
# after the first attempt), short enough that the table stays small.
KEEP_PROCESSED = timedelta(days=3)
# A failed event is tried again after FIRST_WAIT, then after twice as long each time, up
# to MAX_WAIT: a long Slack outage is ridden out without hammering Slack meanwhile.
FIRST_WAIT = timedelta(minutes=1)
MAX_WAIT = timedelta(minutes=15)
# An event that keeps failing by its own fault (not Slack's outage) is tried for this long
# before it is given up; it then stays in the table for a person to look at.
GIVE_UP_AFTER = timedelta(hours=25)
# ...and only after this many failures of its own, so that one failure after a long Slack
# outage (which never counts) does not give up an event tried only once on its own account.
GIVE_UP_FAULTS = 10
# Events a replay takes at a time: one channel's among them are stored in one transaction.
REPLAY_PAGE = 100


@dataclass(frozen=True)
class Arrival:
    team_id: str
    event_id: str
    # The event as Slack sent it: parsed, or the JSON text itself (kept as it came).
    payload: dict[str, Any] | str
    received_at: datetime


async def receive(session: AsyncSession, *, team_id: str, event_id: str,
                  payload: dict[str, Any], now: datetime) -> bool:
    """Record an event; False when it was already processed (a redelivery to skip)."""
    (fresh,) = await receive_many(session, [Arrival(team_id, event_id, payload, now)])
    return fresh


async def receive_many(session: AsyncSession, arrivals: Sequence[Arrival]) -> list[bool]:
    """Record events in one statement; for each, False when it was already processed."""
    if not arrivals:
        return []
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # One single-row statement run for many rows (SQLAlchemy's "insertmanyvalues"): it is
    # compiled once for the life of the process, where a multi-row VALUES list is compiled
    # afresh for every batch size, and that compiling was most of the ack's own CPU.
    statement = insert(InboxEvent).on_conflict_do_nothing(
        index_elements=["team_id", "event_id"]).returning(
        col(InboxEvent.team_id), col(InboxEvent.event_id))
    connection = await session.connection()
    inserted = {(row.team_id, row.event_id) for row in (await connection.execute(statement, [
        {"team_id": a.team_id, "event_id": a.event_id, "payload": _as_json(a.payload),
         "received_at": a.received_at, "replays": 0} for a in arrivals
    ])).all()}
    # Only an event already in the inbox can be done already: a redelivery, the rare case.
    seen_before = {a.event_id for a in arrivals if (a.team_id, a.event_id) not in inserted}
    processed = set((await session.exec(select(InboxEvent.team_id, InboxEvent.event_id).where(
        col(InboxEvent.event_id).in_(seen_before),
        col(InboxEvent.processed_at).is_not(None)))).all()) if seen_before else set()
    return [(a.team_id, a.event_id) not in processed for a in arrivals]


def _as_json(payload: dict[str, Any] | str) -> str:
    return payload if isinstance(payload, str) else json.dumps(payload)


async def mark_processed(session: AsyncSession, *, team_id: str, event_id: str,
                         now: datetime) -> None:
    await session.exec(update(InboxEvent).where(
        col(InboxEvent.team_id) == team_id, col(InboxEvent.event_id) == event_id,
    ).values(processed_at=now, payload=None))


async def mark_processed_many(session: AsyncSession, *, team_id: str,
                              event_ids: Collection[str], now: datetime) -> None:
    """`mark_processed` for many events of one team in one statement."""
    if event_ids:
        await session.exec(update(InboxEvent).where(
            col(InboxEvent.team_id) == team_id, col(InboxEvent.event_id).in_(event_ids),
        ).values(processed_at=now, payload=None))


async def take_for_replay(session: AsyncSession, *, received_before: datetime,
                          due_by: datetime | None,
                          limit: int = REPLAY_PAGE) -> Sequence[InboxEvent]:
    """Unprocessed events to try again, oldest first: those whose wait after their last
    failure is over by `due_by`, or all of them (a fresh start) when it is None."""
    waited = [] if due_by is None else [
        or_(col(InboxEvent.next_attempt_at).is_(None), col(InboxEvent.next_attempt_at) <= due_by)]
    return (await session.exec(select(InboxEvent).where(
        col(InboxEvent.processed_at).is_(None),
        col(InboxEvent.given_up_at).is_(None),
        col(InboxEvent.received_at) < received_before,
        *waited,
    ).order_by(col(InboxEvent.received_at)).limit(limit))).all()


async def failed(session: AsyncSession, *, team_id: str, event_id: str, now: datetime,
                 own_fault: bool) -> InboxEvent | None:
    """Record a failed attempt and when to try next. Returns the row if the event is now
    given up: only an event failing by its own fault `GIVE_UP_FAULTS` times or more, tried
    for `GIVE_UP_AFTER`."""
    row = await session.get(InboxEvent, (team_id, event_id), with_for_update=True)
    if row is None or row.processed_at is not None or row.given_up_at is not None:
        return None
    row.next_attempt_at = now + wait_after(row.replays)
    row.replays += 1
    if own_fault:
        row.faults += 1
        if row.faults >= GIVE_UP_FAULTS and now - (row.received_at or now) >= GIVE_UP_AFTER:
            row.given_up_at = now
    session.add(row)
    return row if row.given_up_at is not None else None


def wait_after(failures_before: int) -> timedelta:
    """The wait after a failure, doubling with each one before it."""
    return min(FIRST_WAIT * (1 << min(failures_before, 20)), MAX_WAIT)


async def forget_old(session: AsyncSession, *, now: datetime) -> None:
    await session.exec(delete(InboxEvent).where(
        col(InboxEvent.processed_at) < now - KEEP_PROCESSED))


@dataclass(frozen=True)
class Backlog:
    """Events received and not yet processed (nor given up), counted up to a cap."""

    waiting: int
    oldest_received_at: datetime | None


async def backlog(session: AsyncSession, *, count_up_to: int) -> Backlog:
    """Bounded, for a metrics scrape: the count stops at `count_up_to` (a backlog that
    long is an alert either way), the oldest comes from the same unprocessed rows."""
    waiting = select(InboxEvent.received_at).where(
        col(InboxEvent.processed_at).is_(None),
        col(InboxEvent.given_up_at).is_(None)).limit(count_up_to).subquery()
    count = (await session.exec(select(func.count()).select_from(waiting))).one()
    oldest = (await session.exec(select(func.min(InboxEvent.received_at)).where(
        col(InboxEvent.processed_at).is_(None),
        col(InboxEvent.given_up_at).is_(None)))).one()
    return Backlog(waiting=int(count), oldest_received_at=oldest)
