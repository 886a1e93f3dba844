"""The inbox of Slack events as rows: recorded once, done once, replayed a bounded number of
times, and forgotten when old. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db.engine import SessionFactory
from bot.domain import inbox

T0 = datetime(2026, 11, 27, 14, 2, tzinfo=UTC)
EVENT = {"event": {"type": "reaction_added"}}


async def _receive(sessions: SessionFactory, event_id: str, at: datetime = T0) -> bool:
    async with sessions() as session, session.begin():
        return await inbox.receive(session, team_id="T1", event_id=event_id, payload=EVENT,
                                   now=at)


async def _replayable(sessions: SessionFactory, now: datetime) -> list[str]:
    async with sessions() as session, session.begin():
        return [row.event_id for row in
                await inbox.take_for_replay(session, received_before=now)]


async def test_an_event_is_new_until_it_is_processed(sessions: SessionFactory) -> None:
    assert await _receive(sessions, "Ev1")
    # Received again before it was done: it is still to do (a retry while handling).
    assert await _receive(sessions, "Ev1")
    async with sessions() as session, session.begin():
        await inbox.mark_processed(session, team_id="T1", event_id="Ev1", now=T0)
    assert not await _receive(sessions, "Ev1")


async def test_an_unfinished_event_is_replayed_a_bounded_number_of_times(
        sessions: SessionFactory) -> None:
    await _receive(sessions, "Ev1")
    later = T0 + timedelta(minutes=1)
    replays = [await _replayable(sessions, later) for _ in range(inbox.MAX_REPLAYS + 1)]
    assert replays == [["Ev1"]] * inbox.MAX_REPLAYS + [[]]


async def test_processed_events_are_forgotten_after_a_while(sessions: SessionFactory) -> None:
    await _receive(sessions, "Ev1")
    async with sessions() as session, session.begin():
        await inbox.mark_processed(session, team_id="T1", event_id="Ev1", now=T0)
        await inbox.forget_old(session, now=T0 + inbox.KEEP_PROCESSED - timedelta(minutes=1))
    assert not await _receive(sessions, "Ev1")
    async with sessions() as session, session.begin():
        await inbox.forget_old(session, now=T0 + inbox.KEEP_PROCESSED + timedelta(minutes=1))
    assert await _receive(sessions, "Ev1")  # a stranger now: Slack never redelivers that late
