"""The record of the reminders Sitrep said in an incident's channel, kept with the
scheduler's decision: each reminder, the one repeated in place, snoozes, the update that
answered, stale nudges, the review's prompt and reminder and the review held — once each,
whatever runs twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.usecases.due_work import scheduled_work
from tests.support import rows
from tests.support.clock import MovableClock
from tests.support.incident_steps import command, start_incident
from tests.support.reminder_steps import (
    RemindingBot,
    nudges,
    press,
    waiting_reminders,
)

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


async def test_reminders_snoozes_and_the_answering_update_are_recorded(
        reminding: RemindingBot) -> None:
    opened = await start_incident(reminding.bot, "sev1 Checkout returns 500s")
    await reminding.run_due()
    slack, engine = reminding.bot.slack, reminding.bot.engine
    await reminding.later(minutes=30)
    (first,) = waiting_reminders(slack, opened.channel_id)
    await reminding.later(minutes=5)
    await press(reminding, first, "reminder_snooze_1h", value="1h",
                channel_id=opened.channel_id)
    await reminding.run_due()
    await reminding.later(hours=1)
    (second,) = waiting_reminders(slack, opened.channel_id)
    await reminding.later(minutes=30)  # asked again, in the same message
    await reminding.later(minutes=10)
    await command(reminding.bot, "update Rolled back; errors falling",
                  channel=opened.channel_id)
    await reminding.run_due()

    said = await rows.reminders_said(engine, opened.number)
    assert [(r.kind, r.message_ts, r.sent_at, r.repeat, r.edited_at) for r in said] == [
        ("update_reminder", first["ts"], T0 + timedelta(minutes=30), 1, None),
        ("update_reminder", second["ts"], T0 + timedelta(minutes=95), 1,
         T0 + timedelta(minutes=125)),
        ("update_reminder", second["ts"], T0 + timedelta(minutes=125), 2, None),
    ]
    assert second["ts"] != first["ts"]
    assert all(r.quiet_since == T0 for r in said)  # no update before the last
    snoozed, repeated, answered = said
    assert (snoozed.answer, snoozed.answered_at, snoozed.answered_by,
            snoozed.snoozed_until) == ("snooze", T0 + timedelta(minutes=35), "U0ALICE",
                                       T0 + timedelta(minutes=95))
    assert repeated.answer is None  # the repeat was answered, not the first asking
    assert (answered.answer, answered.answered_at, answered.answered_by) == (
        "update", T0 + timedelta(minutes=135), None)

    # The scheduler looking again (another replica, a restart) adds nothing.
    again = scheduled_work(reminding.bot.deps)
    await again.run_due()
    await reminding.later(minutes=1)
    assert len(await rows.reminders_said(engine, opened.number)) == 3


async def test_the_handover_hint_and_the_resolve_are_recorded(
        reminding: RemindingBot) -> None:
    opened = await start_incident(reminding.bot, "sev3 Checkout slow for some")
    await reminding.run_due()
    await reminding.later(hours=4)  # the commander has held it for four hours
    await command(reminding.bot, "resolve Cache warmed", channel=opened.channel_id)
    await reminding.run_due()
    (said,) = [r for r in await rows.reminders_said(reminding.bot.engine, opened.number)
               if r.kind == "update_reminder"]
    assert said.handover_hint
    assert (said.answer, said.answered_at) == ("resolve", T0 + timedelta(hours=4))


@pytest.mark.parametrize("reminder_settings", [{"SITREP_STALE_AFTER": "3d",
                                                "SITREP_DIGEST_AT": "off",
                                                "SITREP_UPDATE_REMINDERS": "sev3=off"}])
async def test_a_stale_nudge_is_recorded_and_answered_by_activity(
        reminding: RemindingBot) -> None:
    opened = await start_incident(reminding.bot, "sev3 Checkout slow for some")
    await reminding.run_due()
    await reminding.later(days=3)
    (nudge,) = nudges(reminding.bot.slack, opened.channel_id)
    await reminding.later(hours=2)
    await command(reminding.bot, "note Still looking at the cache",
                  channel=opened.channel_id)
    await reminding.run_due()
    (said,) = await rows.reminders_said(reminding.bot.engine, opened.number)
    assert (said.kind, said.message_ts, said.sent_at, said.quiet_since) == (
        "stale_nudge", nudge["ts"], T0 + timedelta(days=3), T0)
    assert (said.answer, said.answered_at) == ("activity", T0 + timedelta(days=3, hours=2))


@pytest.mark.parametrize("reminder_settings", [{"SITREP_STALE_AFTER": "off",
                                                "SITREP_DIGEST_AT": "off",
                                                "SITREP_UPDATE_REMINDERS": "sev2=off"}])
async def test_the_reviews_prompt_and_reminder_are_recorded_and_answered_when_held(
        reminding: RemindingBot) -> None:
    opened = await start_incident(reminding.bot, "sev2 Checkout returns 500s")
    await command(reminding.bot, "resolve Rolled back", channel=opened.channel_id)
    await reminding.run_due()
    await reminding.later(days=14)
    await reminding.later(days=1)
    await command(reminding.bot, "reviewed", channel=opened.channel_id)
    said = await rows.reminders_said(reminding.bot.engine, opened.number)
    assert [r.kind for r in said] == ["review_prompt", "review_reminder"]
    assert {(r.answer, r.answered_by) for r in said} == {("reviewed", "U0ALICE")}
