"""After the resolve, follow-ups are not forgotten: action items carry a due day, are closed
or handed on from `/incident actions`, land on the timeline, and their owners get a weekly
direct message across incidents; the review meeting is prompted at resolve, reminded once
when its deadline passes (a restart neither loses nor repeats it), and marked held.

The bot runs in process against the emulator, with a clock the test moves; the timed parts
run when the scheduler is asked what is due at the clock's time, as `serve`'s loop does."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator
from bot.slack import follow_up_blocks
from bot.usecases.due_work import scheduled_work
from tests.support import rows
from tests.support.app_under_test import AppUnderTest, app_under_test
from tests.support.clock import MovableClock
from tests.support.incident_steps import Opened, command, refusal, start_incident
from tests.support.retro_steps import resolve
from tests.support.settings import make_settings
from tests.support.slack_reading import card_text, posted_texts

# Thursday 2026-12-03, 10:00 in the team's time zone (UTC here).
T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
BOB = "<@U0BOB|bob>"
CAROL = "<@U0CAROL|carol>"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


@pytest.fixture
async def bot(database_url: str, slack: SlackEmulator,
              clock: MovableClock) -> AsyncIterator[AppUnderTest]:
    async with app_under_test(make_settings(database_url, slack), slack,
                              clock=clock) as running:
        yield running


async def _actions_list(bot: AppUnderTest, channel: str, user: str = "U0ALICE",
                        ) -> dict[str, Any]:
    """`/incident actions`, as the person who ran it sees it (only them)."""
    key = uuid.uuid4().hex
    await bot.client.slash_command("actions", user_id=user, channel_id=channel,
                                   response_key=key)
    body = (await bot.slack.wait_for_response(key)).body
    assert body["response_type"] == "ephemeral"
    return body


def _item_ids(body: dict[str, Any]) -> list[str]:
    return [element["value"] for block in body["blocks"] if block["type"] == "actions"
            for element in block["elements"] if element["action_id"] == follow_up_blocks.ITEM_DONE]


def _shown(body: dict[str, Any]) -> str:
    return card_text(body)


async def _press(bot: AppUnderTest, channel: str, action_id: str, *, user: str,
                 value: str = "", key: str | None = None, selected_user: str | None = None,
                 block_id: str = "") -> str:
    """Press a follow-up control on an ephemeral list (or a DM); returns its response key."""
    key = key or uuid.uuid4().hex
    await bot.client.interaction(payloads.block_actions(
        user_id=user, channel_id=channel, message={"ts": "1.000001"}, action_id=action_id,
        value=value, response_url=bot.slack.response_url(key), block_id=block_id,
        selected_user=selected_user, is_ephemeral=True))
    await bot.settle()
    return key


async def _incident_with_items(bot: AppUnderTest) -> Opened:
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    await command(bot, f"action Add a canary stage {BOB} due 2026-12-04",
                  channel=opened.channel_id)
    await command(bot, "action Write the customer notice", channel=opened.channel_id)
    return opened


async def test_an_action_item_is_done_from_its_button_and_lands_on_the_timeline(
        bot: AppUnderTest) -> None:
    opened = await _incident_with_items(bot)
    assert any(":memo: Action item recorded by <@U0ALICE>, owner <@U0BOB>, due 2026-12-04: "
               "Add a canary stage" in text
               for text in posted_texts(bot.slack, opened.channel_id))
    listed = await _actions_list(bot, opened.channel_id)
    shown = _shown(listed)
    assert "INC-1's action items*: 2 open of 2" in shown
    assert "owner <@U0BOB> · open, due 2026-12-04" in shown
    canary, notice = _item_ids(listed)

    # Bob owns it: he may close it though he never joined the channel.
    assert "U0BOB" not in bot.slack.channel(opened.channel_id).members
    key = await _press(bot, opened.channel_id, follow_up_blocks.ITEM_DONE, user="U0BOB",
                       value=canary)
    redrawn = (await bot.slack.wait_for_response(key)).body
    assert redrawn["replace_original"] is True
    assert "1 open of 2" in _shown(redrawn)
    assert "done on 2026-12-03 by <@U0BOB>" in _shown(redrawn)
    assert _item_ids(redrawn) == [notice]  # no Done button on a done item

    (item, _) = await rows.action_items(bot.engine)
    assert (item.done_at, item.done_by) == (T0, "U0BOB")
    entry = (await rows.timeline(bot.engine, opened.number))[-1]
    assert (entry.kind, entry.text, entry.author_id) == ("action_done", "Add a canary stage",
                                                          "U0BOB")
    assert any("<@U0BOB> marked an action item done: Add a canary stage" in text
               for text in posted_texts(bot.slack, opened.channel_id))

    # A second press (a double click, a stale list) changes nothing and says why.
    again = await _press(bot, opened.channel_id, follow_up_blocks.ITEM_DONE, user="U0BOB",
                         value=canary)
    said = (await bot.slack.wait_for_response(again)).body
    assert said["text"] == "“Add a canary stage” was already marked done by <@U0BOB>."
    assert len([e for e in await rows.timeline(bot.engine, opened.number)
                if e.kind == "action_done"]) == 1


async def test_only_the_owner_or_people_in_the_channel_close_or_hand_on_an_item(
        bot: AppUnderTest) -> None:
    opened = await _incident_with_items(bot)
    _, notice = _item_ids(await _actions_list(bot, opened.channel_id))
    key = await _press(bot, opened.channel_id, follow_up_blocks.ITEM_DONE, user="U0CAROL",
                       value=notice)
    said = (await bot.slack.wait_for_response(key)).body["text"]
    assert said == (f"Only an action item's owner, or people in <#{opened.channel_id}>, can "
                    "close or hand on INC-1's action items.")
    assert all(item.done_at is None for item in await rows.action_items(bot.engine))


async def test_an_item_is_handed_on_from_the_owner_select(bot: AppUnderTest) -> None:
    opened = await _incident_with_items(bot)
    canary, _ = _item_ids(await _actions_list(bot, opened.channel_id))
    key = await _press(bot, opened.channel_id, follow_up_blocks.ITEM_REASSIGN, user="U0ALICE",
                       selected_user="U0CAROL",
                       block_id=f"{follow_up_blocks.ITEM_BLOCK_PREFIX}{canary}")
    redrawn = (await bot.slack.wait_for_response(key)).body
    assert "Add a canary stage\nowner <@U0CAROL> · open, due 2026-12-04" in _shown(redrawn)
    entry = (await rows.timeline(bot.engine, opened.number))[-1]
    assert (entry.kind, entry.subject_id, entry.previous_id) == ("action_reassigned",
                                                                 "U0CAROL", "U0BOB")
    assert any("<@U0ALICE> handed an action item to <@U0CAROL> (was <@U0BOB>): Add a canary"
               in text for text in posted_texts(bot.slack, opened.channel_id))


def _told_directly(bot: AppUnderTest, user_id: str) -> list[str]:
    """What the bot said to a person in their direct conversation with it."""
    return [str(message.get("text", "")) for message in
            bot.slack.messages(bot.slack.workspace.dm_channel(user_id).id)]


async def test_an_owner_outside_the_channel_is_told_by_direct_message(
        bot: AppUnderTest) -> None:
    """Slack notifies nobody of a mention in a channel they are not in."""
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    bot.slack.join_channel(opened.channel_id, "U0CAROL")
    await command(bot, f"action Add a canary stage {BOB} due 2026-12-04",
                  channel=opened.channel_id)
    await command(bot, f"action Write the customer notice {CAROL}", channel=opened.channel_id)
    await command(bot, "action Check the other card processors <@U0ALICE|alice>",
                  channel=opened.channel_id)

    assert _told_directly(bot, "U0BOB") == [
        f":memo: <@U0ALICE> made you the owner of an action item of *INC-1* in "
        f"<#{opened.channel_id}>: Add a canary stage · due 2026-12-04\nPress *Done* when it "
        "is; until then it is in the list of your open items Sitrep sends you each week."]
    # Carol saw the mention in the channel; Alice chose herself.
    assert _told_directly(bot, "U0CAROL") == []
    assert _told_directly(bot, "U0ALICE") == []

    # Handed on from the list to Bob, who is still outside: told again; to Carol: not.
    _, notice, processors = _item_ids(await _actions_list(bot, opened.channel_id))
    await _press(bot, opened.channel_id, follow_up_blocks.ITEM_REASSIGN, user="U0ALICE",
                 selected_user="U0BOB",
                 block_id=f"{follow_up_blocks.ITEM_BLOCK_PREFIX}{notice}")
    await _press(bot, opened.channel_id, follow_up_blocks.ITEM_REASSIGN, user="U0ALICE",
                 selected_user="U0CAROL",
                 block_id=f"{follow_up_blocks.ITEM_BLOCK_PREFIX}{processors}")
    told = _told_directly(bot, "U0BOB")
    assert len(told) == 2 and told[1].startswith(
        ":memo: <@U0ALICE> made you the owner of an action item of *INC-1* in "
        f"<#{opened.channel_id}>: Write the customer notice\nPress *Done*")
    assert _told_directly(bot, "U0CAROL") == []

    # Bob closes the canary stage from the message itself, though not in the channel.
    dm = bot.slack.workspace.dm_channel("U0BOB").id
    given = bot.slack.messages(dm)[0]
    done = given["blocks"][0]["accessory"]
    assert (done["action_id"], done["text"]["text"]) == (follow_up_blocks.OWNED_ITEM_DONE,
                                                         "Done")
    key = await _press(bot, dm, follow_up_blocks.OWNED_ITEM_DONE, user="U0BOB",
                       value=done["value"])
    bodies = [(await bot.slack.wait_for_response(key)).body for _ in range(2)]
    assert any(body.get("text") == "Marked done: Add a canary stage" for body in bodies)
    canary = next(item for item in await rows.action_items(bot.engine)
                  if item.text == "Add a canary stage")
    assert canary.done_by == "U0BOB"


async def test_an_item_is_given_even_when_slack_will_not_open_the_direct_message(
        bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    bot.slack.fail("conversations.open", "user_not_found")
    await command(bot, f"action Add a canary stage {BOB}", channel=opened.channel_id)

    (item,) = await rows.action_items(bot.engine)
    assert (item.text, item.owner_id) == ("Add a canary stage", "U0BOB")
    assert any("owner <@U0BOB>: Add a canary stage" in text
               for text in posted_texts(bot.slack, opened.channel_id))


@pytest.mark.parametrize(("typed", "told"), [
    ("action Canary due 2026-12-02", "2026-12-02 is in the past (today is 2026-12-03)"),
    ("action Canary due 03/12/2026", "`03/12/2026` is not a date"),
    ("action Canary due 2026-11-31", "`2026-11-31` is not a day of the calendar"),
])
async def test_a_bad_due_day_is_explained_privately_and_changes_nothing(
        bot: AppUnderTest, typed: str, told: str) -> None:
    opened = await start_incident(bot, "Checkout down")
    said = await refusal(bot, typed, channel=opened.channel_id)
    assert said.startswith(told)
    assert await rows.action_items(bot.engine) == []


async def test_owners_get_one_weekly_message_of_their_open_items_across_incidents(
        bot: AppUnderTest, clock: MovableClock) -> None:
    first = await _incident_with_items(bot)  # Bob: canary (due Friday); nobody: notice
    second = await start_incident(bot, "sev3 Search is slow")
    await command(bot, f"action Tune the index {BOB}", channel=second.channel_id)
    await command(bot, f"action Alert on latency {CAROL}", channel=second.channel_id)
    _, latency = _item_ids(await _actions_list(bot, second.channel_id))
    await _press(bot, second.channel_id, follow_up_blocks.ITEM_DONE, user="U0CAROL",
                 value=latency)  # Carol's only item is done: she hears nothing
    scheduler = scheduled_work(bot.deps)
    await scheduler.prepare()

    # Bob and Carol were told when they were given their items (neither is in the
    # channels); the weekly message is another thing.
    told = len(bot.slack.calls_to("conversations.open"))
    dm = bot.slack.workspace.dm_channel("U0BOB").id
    before = len(bot.slack.messages(dm))
    # Thursday: nothing is due until Monday 09:00 (SITREP_ACTION_ITEMS_DM's default).
    await scheduler.run_due()
    clock.current = datetime(2026, 12, 7, 8, 59, tzinfo=UTC)
    await scheduler.run_due()
    assert len(bot.slack.calls_to("conversations.open")) == told
    clock.current = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    await scheduler.run_due()

    opened_dms = bot.slack.calls_to("conversations.open")[told:]
    assert [call.args.get("users") for call in opened_dms] == ["U0BOB"]
    (message,) = bot.slack.messages(dm)[before:]
    shown = card_text(message)
    assert "You own 2 open action items from past incidents, 1 of them overdue" in shown
    # Overdue first (due Friday, it is Monday), then the other incident's.
    assert shown.index("Add a canary stage") < shown.index("Tune the index")
    assert f"INC-1 <#{first.channel_id}> · :warning: *overdue*, was due 2026-12-04" in shown
    assert f"INC-2 <#{second.channel_id}>" in shown
    # Once a week: the same Monday again says nothing more; the next Monday does.
    await scheduler.run_due()
    assert len(bot.slack.messages(dm)) == before + 1
    clock.current = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)
    await scheduler.run_due()
    assert len(bot.slack.messages(dm)) == before + 2

    # Bob closes one from his message: it is redrawn with what is left.
    canary = next(element["value"] for block in message["blocks"]
                  for element in [block.get("accessory") or {}]
                  if element.get("action_id") == follow_up_blocks.OWNED_ITEM_DONE)
    key = await _press(bot, dm, follow_up_blocks.OWNED_ITEM_DONE, user="U0BOB", value=canary)
    bodies = [(await bot.slack.wait_for_response(key)).body for _ in range(2)]
    redrawn = next(body for body in bodies if body.get("replace_original"))
    assert "You own 1 open action item" in card_text(redrawn)
    assert "Add a canary stage" not in card_text(redrawn)
    assert any(body.get("text") == "Marked done: Add a canary stage" for body in bodies)
    assert any("<@U0BOB> marked an action item done: Add a canary stage" in text
               for text in posted_texts(bot.slack, first.channel_id))


async def test_the_review_is_prompted_at_resolve_reminded_once_and_marked_held(
        database_url: str, slack: SlackEmulator, bot: AppUnderTest,
        clock: MovableClock) -> None:
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    await resolve(bot, "resolve Rolled back", channel=opened.channel_id)
    # Sev2: 5 working days from Thursday is next Thursday.
    prompt = next(message for message in bot.slack.messages(opened.channel_id)
                  if "schedule INC-1's retrospective review" in message.get("text", ""))
    assert "by *Thu 2026-12-10* (SEV2)" in prompt["text"]
    assert any(element.get("action_id") == follow_up_blocks.REVIEW_HELD
               for block in prompt["blocks"] for element in block.get("elements", []))
    assert (await rows.incident(bot.engine, 1)).review_due_on == date(2026, 12, 10)
    (stored,) = await rows.retrospectives(bot.engine)
    assert "| Review | **draft**: the review meeting is due by 2026-12-10 |" in stored.markdown

    reminders = lambda: [text for text in posted_texts(bot.slack, opened.channel_id)  # noqa: E731
                         if "has not been marked held" in text]
    scheduler = scheduled_work(bot.deps)
    clock.current = datetime(2026, 12, 10, 23, 0, tzinfo=UTC)  # the deadline day: not yet
    await scheduler.run_due()
    assert reminders() == []

    # The bot is down over the next morning; a new process (another replica's scheduler
    # on the same database) finds the overdue reminder and says it once.
    clock.current = datetime(2026, 12, 11, 15, 0, tzinfo=UTC)
    async with app_under_test(make_settings(database_url, slack), slack,
                              clock=clock) as restarted:
        again = scheduled_work(restarted.deps)
        await again.prepare()
        await again.run_due()
        assert len(reminders()) == 1
        await scheduler.run_due()
        clock.advance(days=3)
        await again.run_due()
        await scheduler.run_due()
    assert reminders() == [":alarm_clock: INC-1's retrospective review was due by Thu "
                           "2026-12-10 and has not been marked held. Please schedule it, or "
                           "mark it held with `/incident reviewed` if it took place."]

    # Held: the button (Bob is in the channel), then the state shows in the retrospective.
    bot.slack.join_channel(opened.channel_id, "U0BOB")
    await bot.client.interaction(payloads.block_actions(
        user_id="U0BOB", channel_id=opened.channel_id, message=prompt,
        action_id=follow_up_blocks.REVIEW_HELD, value="1", block_id="retro_review",
        response_url=bot.slack.response_url("review")))
    await bot.settle()
    incident = await rows.incident(bot.engine, 1)
    assert (incident.reviewed_at, incident.reviewed_by) == (clock.current, "U0BOB")
    assert any("<@U0BOB> marked INC-1's retrospective review held: the retrospective is now "
               "*reviewed*." in text for text in posted_texts(bot.slack, opened.channel_id))
    assert (await rows.timeline(bot.engine, 1))[-1].kind == "reviewed"
    said = await refusal(bot, "reviewed", channel=opened.channel_id, after_ack=True)
    assert said == "The review of INC-1 was already marked held by <@U0BOB>."


async def test_reviewed_before_the_resolve_is_refused(bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "sev1 Checkout down")
    said = await refusal(bot, "reviewed", channel=opened.channel_id, after_ack=True)
    assert said == ("INC-1 is not resolved yet: its review comes after `/incident resolve`.")
    assert (await rows.incident(bot.engine, 1)).reviewed_at is None


async def test_a_review_is_optional_for_sev3_and_never_reminded(
        bot: AppUnderTest, clock: MovableClock) -> None:
    opened = await start_incident(bot, "sev3 Slow search")
    await resolve(bot, "resolve", channel=opened.channel_id)
    assert any("A review meeting is optional for SEV3" in text
               for text in posted_texts(bot.slack, opened.channel_id))
    clock.advance(days=30)
    await scheduled_work(bot.deps).run_due()
    assert not any("has not been marked held" in text
                   for text in posted_texts(bot.slack, opened.channel_id))


async def test_a_review_reminder_for_an_archived_channel_is_given_up_not_retried(
        slack: SlackEmulator, bot: AppUnderTest, clock: MovableClock) -> None:
    """Teams archive an incident's channel once it is resolved; the review reminder comes
    days later. Slack refuses it for good (`is_archived`): it is tried once, not every
    hour for ever."""
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    await resolve(bot, "resolve Rolled back", channel=opened.channel_id)
    slack.channel(opened.channel_id).is_archived = True
    scheduler = scheduled_work(bot.deps)
    tries = lambda: [call for call in slack.calls_to("chat.postMessage")  # noqa: E731
                     if call.args.get("channel") == opened.channel_id and not call.ok]
    clock.current = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    await scheduler.run_due()
    assert len(tries()) == 1
    for _ in range(12):
        clock.advance(hours=2)
        await scheduler.run_due()
    assert len(tries()) == 1
