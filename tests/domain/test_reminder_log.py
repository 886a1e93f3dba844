"""The record of reminders said: the same one recorded twice is one row; a repeat in the
same message marks the earlier one asked again; an answer goes to the one still waiting,
never to one said after it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.db.engine import SessionFactory, transaction
from bot.db.models import Incident
from bot.domain import reminder_log
from bot.domain.reminder_log import Answered, ReminderAnswer, ReminderKind, Said

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _said(incident_id: int, ts: str, minutes: int, repeat: int = 1) -> Said:
    return Said(incident_id=incident_id, team_id="T0001", kind=ReminderKind.UPDATE_REMINDER,
                channel_id="C0INC", message_ts=ts, sent_at=T0 + timedelta(minutes=minutes),
                repeat=repeat, quiet_since=T0)


async def test_reminders_are_recorded_once_and_answered_where_they_wait(
        sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        incident = Incident(team_id="T0001", number=1, title="Checkout returns 500s",
                            severity=1, status="investigating", reporter_id="U0ALICE",
                            created_at=T0)
        session.add(incident)
        await session.flush()
        assert incident.id is not None
        incident_id = incident.id
    for _ in range(2):  # a retry of the same decision
        async with transaction(sessions) as session:
            await reminder_log.record(session, [_said(incident_id, "1.1", 30)])
    async with transaction(sessions) as session:
        await reminder_log.record(session, [_said(incident_id, "1.1", 60, repeat=2)])
        # An update at 10:50 answers the reminder then waiting, not one said later.
        await reminder_log.record(session, [
            Answered(incident_id=incident_id, how=ReminderAnswer.UPDATE,
                     at=T0 + timedelta(minutes=50), message_ts="1.1")])
    async with sessions() as session:
        found = await session.get(Incident, incident_id)
        assert found is not None
        said = await reminder_log.of_incident(session, found)
    assert [(r.sent_at, r.repeat, r.edited_at, r.answer) for r in said] == [
        (T0 + timedelta(minutes=30), 1, T0 + timedelta(minutes=60), None),
        (T0 + timedelta(minutes=60), 2, None, None),
    ]
    async with transaction(sessions) as session:
        await reminder_log.record(session, [
            Answered(incident_id=incident_id, how=ReminderAnswer.UPDATE,
                     at=T0 + timedelta(minutes=70), message_ts="1.1")])
    async with sessions() as session:
        said = await reminder_log.of_incident(session, found)
    assert [r.answer for r in said] == [None, "update"]
