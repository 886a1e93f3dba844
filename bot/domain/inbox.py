"""The inbox of Slack events: at-least-once in, idempotent work, so exactly-once in effect.

An event is written here before Slack is acknowledged, so a crash after the ack cannot
lose it; its effect is idempotent, so doing it again (a redelivery that slipped past, a
replay after a crash, a second replica) changes nothing."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import insert_unless_present
from bot.db.models import InboxEvent

# Processed ids are kept this long: far beyond Slack's last redelivery (about five minutes
# after the first attempt), short enough that the table stays small.
KEEP_PROCESSED = timedelta(days=3)
# Replays of an event that keeps failing (Slack refusing for good, say) before it is left
# alone; it stays in the table for a person to look at.
MAX_REPLAYS = 5


async def receive(session: AsyncSession, *, team_id: str, event_id: str,
                  payload: dict[str, Any], now: datetime) -> bool:
    """Record an event; False when it was already processed (a redelivery to skip)."""
    await insert_unless_present(session, InboxEvent, key=["team_id", "event_id"],
                                team_id=team_id, event_id=event_id,
                                payload=json.dumps(payload), received_at=now)
    processed_at = (await session.exec(select(InboxEvent.processed_at).where(
        col(InboxEvent.team_id) == team_id,
        col(InboxEvent.event_id) == event_id))).first()
    return processed_at is None


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
