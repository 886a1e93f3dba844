"""The daily digest in the announce channel and the nudges of stale incidents, end to end
with a clock the test moves: the digest's content and its local time on both sides of a
change to summer time, nothing when nothing is open; stale nudges at growing intervals
that skip the weekend; and two replicas on one database reminding once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.devtools.slack_emulator import SlackEmulator
from bot.slack.blocks import RESOLVE_BUTTON, UPDATE_BUTTON
from tests.support.clock import MovableClock
from tests.support.incident_steps import command, start_incident
from tests.support.reminder_steps import (
    RemindingBot,
    first_text,
    nudges,
    press,
    reminders,
    reminding_bot,
)
from tests.support.settings import make_settings
from tests.support.slack_reading import card_action_ids, posted_texts

ANNOUNCE = "C0GENERAL"
# Friday 26 March 2027; London moves from GMT to BST early on Sunday the 28th.
BEFORE_SUMMER_TIME = datetime(2027, 3, 26, 10, 0, tzinfo=UTC)


def _digests(slack: SlackEmulator) -> list[str]:
    return [text for text in posted_texts(slack, ANNOUNCE) if text.startswith(":sunrise:")]


@pytest.fixture
async def digesting(database_url: str, slack: SlackEmulator) -> AsyncIterator[RemindingBot]:
    settings = make_settings(database_url, slack, SITREP_ANNOUNCE_CHANNEL=ANNOUNCE,
                             SITREP_TIMEZONE="Europe/London", SITREP_DIGEST_AT="09:00",
                             SITREP_UPDATE_REMINDERS="sev1=off,sev2=off",
                             SITREP_STALE_AFTER="off")
    async with reminding_bot(settings, slack, MovableClock(BEFORE_SUMMER_TIME)) as running:
        yield running


async def test_the_digest_lists_open_incidents_at_the_local_hour_across_summer_time(
        digesting: RemindingBot) -> None:
    bot, slack = digesting.bot, digesting.bot.slack
    slack.add_user("U0BOB", "bob", "Bob Example")
    checkout = await start_incident(bot, "sev2 Checkout returns 500s")
    await command(bot, "update Rolled back deploy 4512", channel=checkout.channel_id)
    digesting.clock.advance(hours=2)
    search = await start_incident(bot, "sev1 Search is down", user="U0BOB")
    await start_incident(bot, "--private sev1 Credentials leaked")

    # Saturday: 09:00 in London is 09:00 UTC.
    await digesting.later(hours=20, minutes=59)
    assert _digests(slack) == []
    await digesting.later(minutes=1)
    (digest,) = _digests(slack)
    assert digest.startswith(":sunrise: *Open incidents: 2*")
    # Most severe first; each with its severity, status, age, commander and last update.
    assert f"*INC-{search.number}* SEV1 · :mag: investigating · Search is down" in digest
    assert digest.index(f"INC-{search.number}*") < digest.index(f"INC-{checkout.number}*")
    assert "open 21 h · IC bob · no update yet" in digest
    assert ("open 23 h · IC alice · last update 23 h ago: Rolled back deploy 4512"
            in digest)
    assert "Credentials" not in digest  # a private incident is never announced

    # Sunday: summer time began at 01:00 UTC, so 09:00 in London is 08:00 UTC.
    await digesting.later(hours=22, minutes=59)
    assert len(_digests(slack)) == 1
    await digesting.later(minutes=1)
    assert len(_digests(slack)) == 2
    await digesting.later(hours=1)
    assert len(_digests(slack)) == 2


async def test_no_digest_when_nothing_is_open(digesting: RemindingBot) -> None:
    bot, slack = digesting.bot, digesting.bot.slack
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    await command(bot, "resolve Rolled back", channel=opened.channel_id)
    await digesting.later(days=3)
    assert _digests(slack) == []
    assert digesting.clock.now().hour == 10  # three digest times went by


async def test_a_digest_missed_while_down_is_posted_once(
        database_url: str, slack: SlackEmulator) -> None:
    clock = MovableClock(BEFORE_SUMMER_TIME)
    settings = make_settings(database_url, slack, SITREP_ANNOUNCE_CHANNEL=ANNOUNCE,
                             SITREP_DIGEST_AT="09:00", SITREP_STALE_AFTER="off",
                             SITREP_UPDATE_REMINDERS="sev2=off")
    async with reminding_bot(settings, slack, clock) as before:
        await start_incident(before.bot, "sev2 Checkout returns 500s")
    clock.advance(days=3)
    async with reminding_bot(settings, slack, clock) as after:
        await after.run_due()
        assert len(_digests(slack)) == 1
        await after.later(hours=22, minutes=59)
        assert len(_digests(slack)) == 1
        await after.later(minutes=1)
        assert len(_digests(slack)) == 2


# --- stale incidents -------------------------------------------------------------------------

WEDNESDAY_EVENING = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)


@pytest.fixture
async def staling(database_url: str, slack: SlackEmulator) -> AsyncIterator[RemindingBot]:
    settings = make_settings(database_url, slack, SITREP_TIMEZONE="Europe/London",
                             SITREP_DIGEST_AT="off", SITREP_STALE_AFTER="3d")
    async with reminding_bot(settings, slack, MovableClock(WEDNESDAY_EVENING)) as running:
        yield running


async def test_a_quiet_incident_is_nudged_on_weekdays_each_time_later(
        staling: RemindingBot) -> None:
    bot, slack = staling.bot, staling.bot.slack
    opened = await start_incident(bot, "sev4 Status page typo")
    await staling.run_due()
    # Quiet three days by Saturday evening: it waits for Monday.
    await staling.later(days=3)
    assert nudges(slack, opened.channel_id) == []
    await staling.later(days=1, hours=23, minutes=59)
    assert nudges(slack, opened.channel_id) == []
    await staling.later(minutes=1)  # Monday 18:00
    (nudge,) = nudges(slack, opened.channel_id)
    assert first_text(nudge).startswith(
        f":spider_web: <@U0ALICE> *INC-{opened.number}* has been quiet for 5 d:")
    assert card_action_ids(nudge) == [RESOLVE_BUTTON, UPDATE_BUTTON]
    # Then twice as long: six days is Sunday, so Monday again, a week later.
    await staling.later(days=6)
    assert len(nudges(slack, opened.channel_id)) == 1
    await staling.later(days=1)
    assert len(nudges(slack, opened.channel_id)) == 2
    # Activity starts the count again: three quiet days from the note.
    await command(bot, "note Still waiting on the vendor", channel=opened.channel_id)
    await staling.later(days=2, hours=23)
    assert len(nudges(slack, opened.channel_id)) == 2
    await staling.later(hours=1)
    assert len(nudges(slack, opened.channel_id)) == 3

    await press(staling, nudges(slack, opened.channel_id)[-1], RESOLVE_BUTTON,
                channel_id=opened.channel_id)
    assert slack.calls_to("views.open")[-1].args["view"]["callback_id"] == "incident_resolve"
    await command(bot, "resolve Fixed the typo", channel=opened.channel_id)
    await staling.later(days=30)
    assert len(nudges(slack, opened.channel_id)) == 3


# --- two replicas ---------------------------------------------------------------------------

async def test_two_replicas_on_one_database_remind_once(
        database_url: str, slack: SlackEmulator) -> None:
    clock = MovableClock(datetime(2026, 11, 30, 10, 0, tzinfo=UTC))
    settings = make_settings(database_url, slack, SITREP_DIGEST_AT="off",
                             SITREP_STALE_AFTER="off")
    async with reminding_bot(settings, slack, clock) as first, \
            reminding_bot(settings, slack, clock) as second:
        opened = await start_incident(first.bot, "sev1 Checkout returns 500s")
        await first.run_due()
        for minutes in (30, 30, 30):
            clock.advance(minutes=minutes)
            await asyncio.gather(first.run_due(), second.run_due(), first.run_due(),
                                 second.run_due())
        (reminder,) = reminders(slack, opened.channel_id)
        assert "(reminder 3)" in first_text(reminder)
        reminded = [call for call in slack.calls_to("chat.postMessage")
                    if call.args.get("channel") == opened.channel_id
                    and ":alarm_clock:" in str(call.args.get("text"))]
        edits = [call for call in slack.calls_to("chat.update")
                 if call.args.get("ts") == reminder["ts"]]
        assert (len(reminded), len(edits)) == (1, 2)


async def test_a_digest_slack_refuses_for_good_waits_for_the_next_morning(
        digesting: RemindingBot) -> None:
    """The announce channel archived (or the bot not in it): the digest is tried at its
    time, refused, and tried again the next morning, not every hour in between; once the
    channel is back, the morning's digest is posted."""
    bot, slack = digesting.bot, digesting.bot.slack
    await start_incident(bot, "sev2 Checkout returns 500s")
    slack.channel(ANNOUNCE).members.remove(slack.bot_user_id)

    def refused() -> int:
        return len([call for call in slack.calls_to("chat.postMessage")
                    if call.args.get("channel") == ANNOUNCE and not call.ok])

    await digesting.later(hours=23)  # Saturday 09:00 has gone by
    assert refused() == 1
    for _ in range(11):
        await digesting.later(hours=2)
    assert refused() == 1 and _digests(slack) == []
    slack.channel(ANNOUNCE).members.append(slack.bot_user_id)
    await digesting.later(hours=2)  # Sunday 09:00 (summer time: 08:00 UTC) has gone by
    assert refused() == 1 and len(_digests(slack)) == 1
