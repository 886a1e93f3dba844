"""The reminders Sitrep said in an incident's channel, on the incident's page and in its
API answer: when each was sent (in the team's time zone), what it asked, and how it was
answered — a snooze, then an update."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.devtools.slack_emulator import SlackEmulator
from tests.support.clock import MovableClock
from tests.support.dashboard import Browser, browser, run_scheduled_until, serve_dashboard
from tests.support.incident_steps import command, start_incident
from tests.support.openapi_check import ApiContract
from tests.support.served_bot import ServedBot, stop

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # 11:00 in Berlin


async def _record_once(bot: ServedBot, visitor: Browser, number: int, *,
                       reminders: int, answered: int) -> dict[str, Any]:
    """Run what is due until the API shows `reminders` reminders, `answered` of them
    answered; the API's answer then, checked against the OpenAPI document."""
    shown: dict[str, Any] = {}

    async def done() -> bool:
        answer = await visitor.get(f"/api/incidents/{number}")
        shown["record"] = await answer.json()
        said = shown["record"]["reminders"]
        if (len(said), sum(r["answer"] is not None for r in said)) != (reminders, answered):
            return False
        await ApiContract().check(answer)
        return True

    await run_scheduled_until(bot, done)
    record: dict[str, Any] = shown["record"]
    return record


async def test_reminders_snoozes_and_updates_show_on_the_page_and_in_the_api(
        database_url: str, slack: SlackEmulator) -> None:
    clock = MovableClock(T0)
    bot = await serve_dashboard(database_url, slack, clock=clock,
                                SITREP_TIMEZONE="Europe/Berlin", SITREP_STALE_AFTER="off",
                                SITREP_DIGEST_AT="off")
    try:
        opened = await start_incident(bot, "sev1 Checkout returns 500s")
        async with browser(bot.url) as visitor:
            await visitor.sign_in(slack)
            page = await visitor.get(f"/incidents/{opened.number}")
            assert "Sitrep has not had to remind anyone of anything here." in await page.text()

            clock.advance(minutes=30)
            await _record_once(bot, visitor, opened.number, reminders=1, answered=0)
            await command(bot, "snooze 1h", channel=opened.channel_id)
            await _record_once(bot, visitor, opened.number, reminders=1, answered=1)
            clock.advance(hours=1)
            await _record_once(bot, visitor, opened.number, reminders=2, answered=1)
            clock.advance(minutes=10)
            await command(bot, "update Rolled back; errors falling",
                          channel=opened.channel_id)
            record = await _record_once(bot, visitor, opened.number, reminders=2,
                                        answered=2)

            first, second = record["reminders"]
            assert first["kind"] == second["kind"] == "update_reminder"
            assert (first["sent_at"], second["sent_at"]) == ("2026-11-30T10:30:00+00:00",
                                                              "2026-11-30T11:30:00+00:00")
            assert first["asked"] == "Post a status update: none for 30 min"
            assert first["answer"] == {"how": "snooze", "at": "2026-11-30T10:30:00+00:00",
                                       "by": {"id": "U0ALICE", "name": "alice"},
                                       "snoozed_until": "2026-11-30T11:30:00+00:00"}
            assert second["answer"] == {"how": "update", "at": "2026-11-30T11:40:00+00:00",
                                        "by": None, "snoozed_until": None}
            assert second["permalink"].startswith(record["channel_url"] + "/p")
            assert second["permalink"] != first["permalink"]  # a new message after the snooze

            html = await (await visitor.get(f"/incidents/{opened.number}")).text()
            reminders = html[html.index('id="reminders-title"'):
                             html.index('id="actions-title"')]
            for shown in ('<time datetime="2026-11-30T10:30:00+00:00">2026-11-30 11:30</time>',
                          "Post a status update: none for 30 min",
                          "Snoozed by alice at 2026-11-30 11:30, until 2026-11-30 12:30",
                          "Post a status update: none for 1 h 30 min",
                          "Answered by an update at 2026-11-30 12:40",
                          "times in Europe/Berlin"):
                assert shown in reminders, shown
    finally:
        await stop(bot)

