"""Update reminders end to end: the bot, the scheduler and the emulator, with a clock the
test moves. The cadence per severity, what resets it, snoozes by button and by command,
resolve stopping everything, the handover hint, one reminder waiting at a time, and a
restart that neither loses nor repeats one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator
from bot.slack import reminder_blocks
from bot.slack.blocks import UPDATE_BUTTON
from tests.support import rows
from tests.support.clock import MovableClock
from tests.support.incident_steps import Opened, command, refusal, start_incident
from tests.support.reminder_steps import (
    RemindingBot,
    first_text,
    press,
    reminders,
    reminding_bot,
    waiting_reminders,
)
from tests.support.settings import make_settings
from tests.support.slack_reading import card_action_ids

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday morning


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


async def _start(reminding: RemindingBot, text: str) -> Opened:
    opened = await start_incident(reminding.bot, text)
    await reminding.run_due()
    return opened


@pytest.mark.parametrize(("severity", "minutes"), [(1, 30), (2, 60), (3, 240)])
async def test_the_channel_is_reminded_after_its_severitys_wait(
        reminding: RemindingBot, severity: int, minutes: int) -> None:
    opened = await _start(reminding, f"sev{severity} Checkout returns 500s")
    slack = reminding.bot.slack
    await reminding.later(minutes=minutes - 1)
    assert reminders(slack, opened.channel_id) == []
    await reminding.later(minutes=1)
    (reminder,) = waiting_reminders(slack, opened.channel_id)
    said = first_text(reminder)
    assert said.startswith(f":alarm_clock: <@U0ALICE> *INC-{opened.number}* has had no update")
    # (A SEV3's first reminder comes after four hours: its commander is offered a handover.)
    assert card_action_ids(reminder)[:4] == [UPDATE_BUTTON, "reminder_snooze_30m",
                                             "reminder_snooze_1h", "reminder_snooze_2h"]


async def test_sev4_is_never_reminded(reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev4 Typo on the status page")
    await reminding.later(days=2)
    assert reminders(reminding.bot.slack, opened.channel_id) == []


async def test_an_update_starts_the_clock_again_and_answers_the_waiting_reminder(
        reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    slack = reminding.bot.slack
    await reminding.later(minutes=20)
    await command(reminding.bot, "update Rolling back deploy 4512", channel=opened.channel_id)
    await reminding.later(minutes=29)
    assert reminders(slack, opened.channel_id) == []
    await reminding.later(minutes=1)
    assert len(waiting_reminders(slack, opened.channel_id)) == 1

    await command(reminding.bot, "update Rolled back; errors falling",
                  channel=opened.channel_id)
    await reminding.run_due()
    (answered,) = reminders(slack, opened.channel_id)
    assert first_text(answered).startswith(":white_check_mark: Answered: an update was posted")
    assert card_action_ids(answered) == []  # nothing left to press


async def test_one_reminder_waits_at_a_time_edited_rather_than_piled_up(
        reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    slack = reminding.bot.slack
    await reminding.later(minutes=30)
    (first,) = waiting_reminders(slack, opened.channel_id)
    await reminding.later(minutes=30)
    await reminding.later(minutes=30)
    (still,) = reminders(slack, opened.channel_id)
    assert still["ts"] == first["ts"]
    assert "no update for 1 h 30 min (reminder 3)" in first_text(still)


async def test_a_severity_change_sets_the_new_pace_from_the_change(
        reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev3 Checkout slow for some")
    await reminding.later(hours=1)
    await command(reminding.bot, "sev 1", channel=opened.channel_id)
    await reminding.later(minutes=29)
    assert reminders(reminding.bot.slack, opened.channel_id) == []
    await reminding.later(minutes=1)
    assert len(waiting_reminders(reminding.bot.slack, opened.channel_id)) == 1


async def test_monitoring_waits_twice_as_long(reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    await command(reminding.bot, "status monitoring", channel=opened.channel_id)
    await reminding.later(minutes=59)
    assert reminders(reminding.bot.slack, opened.channel_id) == []
    await reminding.later(minutes=1)
    (reminder,) = waiting_reminders(reminding.bot.slack, opened.channel_id)
    assert "one every 1 h while monitoring" in first_text(reminder)


async def test_the_snooze_buttons_pause_the_reminders(reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    slack = reminding.bot.slack
    await reminding.later(minutes=30)
    (reminder,) = waiting_reminders(slack, opened.channel_id)
    await press(reminding, reminder, "reminder_snooze_1h", value="1h",
                channel_id=opened.channel_id)
    await reminding.run_due()
    (snoozed,) = reminders(slack, opened.channel_id)
    assert first_text(snoozed).startswith(":zzz: Update reminders snoozed by <@U0ALICE> until")
    assert card_action_ids(snoozed) == []
    told = (await slack.wait_for_response("reminder")).body
    assert told["response_type"] == "ephemeral" and "snoozed until" in told["text"]

    await reminding.later(minutes=59)
    assert waiting_reminders(slack, opened.channel_id) == []
    await reminding.later(minutes=1)
    assert len(waiting_reminders(slack, opened.channel_id)) == 1


async def test_snooze_by_command_and_off_again(reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    slack = reminding.bot.slack
    await command(reminding.bot, "snooze 2h", channel=opened.channel_id)
    await reminding.later(hours=1, minutes=59)
    assert reminders(slack, opened.channel_id) == []
    await command(reminding.bot, "snooze off", channel=opened.channel_id)
    await reminding.run_due()
    assert len(waiting_reminders(slack, opened.channel_id)) == 1


async def test_a_snooze_that_makes_no_sense_is_refused(reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    said = await refusal(reminding.bot, "snooze soon", channel=opened.channel_id)
    assert "`/incident snooze 30m`" in said
    said = await refusal(reminding.bot, "snooze 30d", channel=opened.channel_id,
                         after_ack=True)
    assert said.startswith("Snooze for at most 7 d")
    said = await refusal(reminding.bot, "snooze 1h", channel="C0GENERAL", after_ack=True)
    assert "isn't an incident channel" in said


async def test_resolving_stops_everything(reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    slack = reminding.bot.slack
    await reminding.later(minutes=30)
    await command(reminding.bot, "resolve Rolled back", channel=opened.channel_id)
    await reminding.run_due()
    (answered,) = reminders(slack, opened.channel_id)
    assert first_text(answered) == (f":white_check_mark: *INC-{opened.number}* is resolved: "
                                    "no more reminders.")
    posts = len(slack.calls_to("chat.postMessage"))
    await reminding.later(days=10)
    # Only the review meeting's own reminder (its deadline passed) may still speak.
    assert [str(call.args.get("text"))[:40] for call in slack.calls_to("chat.postMessage")
            [posts:]] == [":alarm_clock: INC-1's retrospective revi"]


@pytest.mark.parametrize("reminder_settings", [{"SITREP_STALE_AFTER": "off",
                                                "SITREP_DIGEST_AT": "off",
                                                "SITREP_UPDATE_REMINDERS": "sev2=1h"}])
async def test_a_tired_commander_is_offered_a_handover(reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev2 Checkout returns 500s")
    slack = reminding.bot.slack
    for _ in range(2):
        await reminding.later(hours=1)
        assert "hand" not in first_text(waiting_reminders(slack, opened.channel_id)[0])
    await reminding.later(hours=1)
    (reminder,) = waiting_reminders(slack, opened.channel_id)
    hint = reminder["blocks"][1]["text"]["text"]
    assert hint.startswith(":hourglass_flowing_sand: <@U0ALICE>, you have been commander "
                           "for 3 h.")
    assert reminder_blocks.HANDOVER_BUTTON in card_action_ids(reminder)

    slack.join_channel(opened.channel_id, "U0BOB")
    await press(reminding, reminder, reminder_blocks.HANDOVER_BUTTON,
                channel_id=opened.channel_id)
    form = slack.calls_to("views.open")[-1].args["view"]
    assert form["callback_id"] == reminder_blocks.HANDOVER_MODAL
    response = await reminding.bot.client.interaction(payloads.view_submission(
        user_id="U0ALICE", view=form,
        values={"commander_block": {"commander": {"type": "users_select",
                                                  "selected_user": "U0BOB"}}}))
    assert response.status == 200
    await reminding.bot.settle()
    assert (await rows.roles(reminding.bot.engine, opened.number))[-1].user_id == "U0BOB"
    # Bob is fresh: his first reminder carries no hint.
    await reminding.later(hours=1)
    (reminder,) = waiting_reminders(slack, opened.channel_id)
    assert first_text(reminder).startswith(":alarm_clock: <@U0BOB>")
    assert reminder_blocks.HANDOVER_BUTTON not in card_action_ids(reminder)


async def test_the_post_update_button_opens_the_update_form(reminding: RemindingBot) -> None:
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    await reminding.later(minutes=30)
    (reminder,) = waiting_reminders(reminding.bot.slack, opened.channel_id)
    await press(reminding, reminder, UPDATE_BUTTON, channel_id=opened.channel_id)
    form = reminding.bot.slack.calls_to("views.open")[-1].args["view"]
    assert form["callback_id"] == "incident_update"
    assert form["private_metadata"] == opened.channel_id


async def test_a_restart_neither_loses_nor_repeats_a_reminder(
        database_url: str, slack: SlackEmulator, clock: MovableClock,
        reminder_settings: dict[str, object]) -> None:
    settings = make_settings(database_url, slack, **reminder_settings)
    async with reminding_bot(settings, slack, clock) as before:
        opened = await _start(before, "sev1 Checkout returns 500s")
        await before.later(minutes=30)
        (waiting,) = waiting_reminders(slack, opened.channel_id)
    # Down for five hours: ten reminders' worth.
    clock.advance(hours=5)
    async with reminding_bot(settings, slack, clock) as after:
        posts = len(slack.calls_to("chat.postMessage"))
        edits = len(slack.calls_to("chat.update"))
        assert await after.run_due() == 1
        assert len(slack.calls_to("chat.update")) == edits + 1
        assert len(slack.calls_to("chat.postMessage")) == posts
        (still,) = reminders(slack, opened.channel_id)
        assert still["ts"] == waiting["ts"]
        assert "(reminder 2)" in first_text(still)
        # The next one counts from now, not from before the restart.
        await after.later(minutes=29)
        assert len(slack.calls_to("chat.update")) == edits + 1
        await after.later(minutes=1)
        assert len(slack.calls_to("chat.update")) == edits + 2


async def test_incidents_open_before_an_upgrade_are_reminded_too(
        database_url: str, slack: SlackEmulator, clock: MovableClock,
        reminder_settings: dict[str, object]) -> None:
    settings = make_settings(database_url, slack, **reminder_settings)
    async with reminding_bot(settings, slack, clock) as before:
        opened = await _start(before, "sev1 Checkout returns 500s")
        async with before.bot.engine.begin() as connection:
            # As a version without reminders left it.
            await connection.execute(text("DELETE FROM due_job"))
    clock.advance(minutes=45)
    async with reminding_bot(settings, slack, clock) as after:
        await after.run_due()
        assert len(waiting_reminders(slack, opened.channel_id)) == 1


async def test_with_nobody_in_command_the_reminder_asks_the_room_to_take_it(
        reminding: RemindingBot) -> None:
    """A page that found no on-call person in Slack opens an incident nobody commands: its
    reminder cannot ping a commander, so it pings whoever is in the room and offers the
    command; once someone takes it, the reminders name them."""
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    async with reminding.bot.engine.begin() as connection:
        # As a page leaves it (the start made Alice commander; a page makes nobody).
        await connection.execute(text("DELETE FROM role_assignment"))
    slack = reminding.bot.slack
    await reminding.later(minutes=30)
    (reminder,) = waiting_reminders(slack, opened.channel_id)
    said = first_text(reminder)
    assert said.startswith(f":alarm_clock: <!here> *INC-{opened.number}* has had no update")
    assert "Nobody has taken command yet" in said
    assert card_action_ids(reminder)[:2] == ["incident_take_command", UPDATE_BUTTON]

    slack.join_channel(opened.channel_id, "U0BOB")
    await press(reminding, reminder, "incident_take_command", channel_id=opened.channel_id,
                value=str(opened.number), user="U0BOB")
    assert [(r.role, r.user_id) for r in await rows.roles(reminding.bot.engine,
                                                          opened.number)] == [
        ("commander", "U0BOB")]
    await reminding.later(minutes=30)
    (again,) = waiting_reminders(slack, opened.channel_id)
    assert first_text(again).startswith(f":alarm_clock: <@U0BOB> *INC-{opened.number}*")
    assert "incident_take_command" not in card_action_ids(again)


@pytest.mark.parametrize(("gone", "waiting"), [("archived", False), ("archived", True),
                                               ("bot removed", False)])
async def test_a_channel_the_bot_can_no_longer_post_in_is_given_up_not_retried(
        reminding: RemindingBot, gone: str, waiting: bool) -> None:
    """An incident whose channel was archived, or that the bot was removed from, while
    still open: its reminders stop at Slack's first refusal (`is_archived`,
    `not_in_channel`) instead of asking Slack again every hour for ever."""
    opened = await _start(reminding, "sev1 Checkout returns 500s")
    slack = reminding.bot.slack
    if waiting:
        await reminding.later(minutes=30)
        assert len(waiting_reminders(slack, opened.channel_id)) == 1
    channel = slack.channel(opened.channel_id)
    if gone == "archived":
        channel.is_archived = True
    else:
        channel.members.remove(slack.bot_user_id)

    def asked() -> int:
        return len(slack.calls_to("chat.update")) + len(slack.calls_to("chat.postMessage"))

    before = asked()
    await reminding.later(minutes=30)
    assert asked() == before + 1  # tried once, and refused
    for _ in range(6):
        await reminding.later(hours=2)
    assert asked() == before + 1
