"""The inbox of Slack events: at-least-once in, idempotent work, so exactly-once in effect.

An event is written here before Slack is acknowledged, so a crash after the ack cannot
lose it; its effect is idempotent, so doing it again (a redelivery that slipped past, a
replay after a crash, a second replica) changes nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import InboxEvent

# Processed ids are kept this long: far beyond Slack's last redelivery (about five minutes
# after the first attempt), short enough that the table stays small.
KEEP_PROCESSED = timedelta(days=3)
# Replays of an event that keeps failing (Slack refusing for good, say) before it is left
# alone; it stays in the table for a person to look at.
MAX_REPLAYS = 5


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


async def take_for_replay(session: AsyncSession, *, received_before: datetime,
                          limit: int = 100) -> Sequence[InboxEvent]:
    """Unprocessed events to try again, each counted as one more replay."""
    rows = (await session.exec(select(InboxEvent).where(
        col(InboxEvent.processed_at).is_(None),
        col(InboxEvent.received_at) < received_before,
        col(InboxEvent.replays) < MAX_REPLAYS,
    ).order_by(col(InboxEvent.received_at)).limit(limit))).all()
    for row in rows:
        row.replays += 1
        session.add(row)
    return rows


async def forget_old(session: AsyncSession, *, now: datetime) -> None:
    await session.exec(delete(InboxEvent).where(
        col(InboxEvent.processed_at) < now - KEEP_PROCESSED))
