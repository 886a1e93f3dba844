"""The inbox of Slack events as rows: recorded once, done once, replayed with a growing wait
until done (given up only when it fails by its own fault for a day), and forgotten when old.
On SQLite and PostgreSQL."""

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
                await inbox.take_for_replay(session, received_before=now, due_by=now)]


async def _failed(sessions: SessionFactory, now: datetime, *, own_fault: bool) -> bool:
    """One more failed try of Ev1; True when the inbox gave it up."""
    async with sessions() as session, session.begin():
        return await inbox.failed(session, team_id="T1", event_id="Ev1", now=now,
                                  own_fault=own_fault) is not None


async def test_an_event_is_new_until_it_is_processed(sessions: SessionFactory) -> None:
    assert await _receive(sessions, "Ev1")
    # Received again before it was done: it is still to do (a retry while handling).
    assert await _receive(sessions, "Ev1")
    async with sessions() as session, session.begin():
        await inbox.mark_processed(session, team_id="T1", event_id="Ev1", now=T0)
    assert not await _receive(sessions, "Ev1")


async def test_a_failed_event_waits_twice_as_long_after_each_failure(
        sessions: SessionFactory) -> None:
    await _receive(sessions, "Ev1")
    now = T0 + timedelta(minutes=1)
    waits = []
    for _ in range(6):
        assert await _replayable(sessions, now) == ["Ev1"]
        assert not await _failed(sessions, now, own_fault=True)
        wait = timedelta(0)
        while not await _replayable(sessions, now + wait):
            wait += timedelta(minutes=1)
        waits.append(wait)
        now += wait
    assert waits == [timedelta(minutes=m) for m in (1, 2, 4, 8, 15, 15)]


async def test_an_event_failing_by_its_own_fault_is_given_up_only_after_a_day(
        sessions: SessionFactory) -> None:
    await _receive(sessions, "Ev1")
    now = T0
    while now - T0 < inbox.GIVE_UP_AFTER - inbox.MAX_WAIT:
        now += inbox.MAX_WAIT
        assert await _replayable(sessions, now) == ["Ev1"]
        assert not await _failed(sessions, now, own_fault=True)
    assert now - T0 >= timedelta(hours=24)
    now += inbox.MAX_WAIT
    assert await _failed(sessions, now, own_fault=True)
    assert await _replayable(sessions, now + timedelta(days=1)) == []


async def test_slack_being_down_never_makes_the_inbox_give_an_event_up(
        sessions: SessionFactory) -> None:
    await _receive(sessions, "Ev1")
    now = T0
    while now - T0 < timedelta(days=2):
        now += inbox.MAX_WAIT
        assert await _replayable(sessions, now) == ["Ev1"]
        assert not await _failed(sessions, now, own_fault=False)
    assert await _replayable(sessions, now + inbox.MAX_WAIT) == ["Ev1"]


async def test_processed_events_are_forgotten_after_a_while(sessions: SessionFactory) -> None:
    await _receive(sessions, "Ev1")
    async with sessions() as session, session.begin():
        await inbox.mark_processed(session, team_id="T1", event_id="Ev1", now=T0)
        await inbox.forget_old(session, now=T0 + inbox.KEEP_PROCESSED - timedelta(minutes=1))
    assert not await _receive(sessions, "Ev1")
    async with sessions() as session, session.begin():
        await inbox.forget_old(session, now=T0 + inbox.KEEP_PROCESSED + timedelta(minutes=1))
    assert await _receive(sessions, "Ev1")  # a stranger now: Slack never redelivers that late
