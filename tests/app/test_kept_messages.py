"""The bot keeps the messages of incident channels from the events Slack sends, so a 📌 on a
message it saw costs no Slack read (Slack's history methods allow about 50 calls a minute).
A message it never heard of is read once, however many reactions arrive for it at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator
from tests.support import rows
from tests.support.app_under_test import AppUnderTest, app_under_test
from tests.support.incident_steps import Opened, start_incident
from tests.support.settings import make_settings
from tests.support.timeline_steps import deliver, new_event_id, processed, react

READS = ("conversations.history", "conversations.replies")


@pytest.fixture
async def opened(bot: AppUnderTest) -> Opened:
    return await start_incident(bot, "sev1 Payments down")


def _reads(slack: SlackEmulator) -> int:
    return sum(len(slack.calls_to(method)) for method in READS)


async def _seen(bot: AppUnderTest, channel: str, message: dict[str, Any]) -> None:
    """Slack tells the bot of a new message in its channel."""
    await deliver(bot, payloads.message_event(channel=channel, message=message))


async def test_a_pin_on_a_message_the_bot_saw_reads_nothing_from_slack(
        bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "p99 at 4s on /pay")
    await _seen(bot, opened.channel_id, message)
    reads_before = _reads(bot.slack)

    await react(bot, opened.channel_id, message["ts"], "U0ALICE")

    (entry,) = await rows.marked(bot.engine)
    assert (entry.text, entry.author_id, entry.author_name, entry.created_by) == (
        "p99 at 4s on /pay", "U0BOB", "bob", "U0ALICE")
    assert entry.permalink == (f"https://sitrep-test.slack.com/archives/{opened.channel_id}/"
                               f"p{message['ts'].replace('.', '')}")
    assert _reads(bot.slack) == reads_before
    assert bot.slack.calls_to("chat.getPermalink") == []


async def test_threads_bots_and_files_are_kept_as_people_read_them(
        bot: AppUnderTest, opened: Opened) -> None:
    channel = opened.channel_id
    parent = bot.slack.post_human_message(channel, "U0BOB", "Is it the deploy?")
    reply = bot.slack.post_human_message(channel, "U0CAROL", "Yes, 4512", thread_ts=parent["ts"])
    alert = {"type": "message", "subtype": "bot_message", "bot_id": "B0PAGER",
             "username": "PagerDuty", "text": "", "ts": "1764480000.000100",
             "attachments": [{"fallback": "[FIRING] checkout 5xx > 5%"}]}
    upload = {"type": "message", "subtype": "file_share", "user": "U0BOB",
              "text": "the graph", "ts": "1764480000.000200",
              "files": [{"id": "F1", "name": "p99.png"}]}
    for message in (parent, reply, alert, upload):
        await _seen(bot, channel, message)
    reads_before = _reads(bot.slack)

    for message in (reply, alert, upload):
        await deliver(bot, payloads.reaction_event("reaction_added", user="U0ALICE",
                                                   reaction="pushpin", channel=channel,
                                                   ts=message["ts"]))

    entries = {entry.source_ts: entry for entry in await rows.marked(bot.engine)}
    assert entries[reply["ts"]].text == "Yes, 4512"
    assert f"thread_ts={parent['ts']}" in (entries[reply["ts"]].permalink or "")
    assert (entries[alert["ts"]].text, entries[alert["ts"]].author_name) == (
        "[FIRING] checkout 5xx > 5%", "PagerDuty")
    assert entries[upload["ts"]].text == "the graph\n[file: p99.png]"
    assert _reads(bot.slack) == reads_before


async def test_edits_and_deletions_of_kept_messages_follow_without_reads(
        bot: AppUnderTest, opened: Opened) -> None:
    channel = opened.channel_id
    message = bot.slack.post_human_message(channel, "U0BOB", "errors at 30%")
    await _seen(bot, channel, message)
    await react(bot, channel, message["ts"], "U0ALICE")
    reads_before = _reads(bot.slack)

    edited = bot.slack.edit_message(channel, message["ts"], "errors at 3% (typo)")
    await deliver(bot, payloads.message_changed_event(channel=channel, message=edited,
                                                      previous_message=message))
    (entry,) = await rows.marked(bot.engine)
    assert entry.text == "errors at 3% (typo)"

    bot.slack.delete_message(channel, message["ts"])
    await deliver(bot, payloads.message_deleted_event(channel=channel, deleted_ts=message["ts"],
                                                      previous_message=edited))
    assert await rows.marked(bot.engine) == []
    assert _reads(bot.slack) == reads_before


async def test_a_message_the_bot_never_heard_of_is_read_once_for_many_reactions(
        bot: AppUnderTest, opened: Opened) -> None:
    # Posted before the channel was kept (or its event was lost): no message event.
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "DNS looks wrong")
    people = ("U0ALICE", "U0BOB", "U0CAROL")
    for person in people:
        bot.slack.add_human_reaction(opened.channel_id, message["ts"], person, "pushpin")
    events = [(new_event_id(), payloads.reaction_event(
        "reaction_added", user=person, reaction="pushpin", channel=opened.channel_id,
        ts=message["ts"])) for person in people]

    responses = await asyncio.gather(*(bot.client.event(event, event_id=event_id)
                                       for event_id, event in events))
    assert all(response.status == 200 for response in responses)
    await bot.settle()
    for event_id, _ in events:
        await processed(bot, event_id)

    (entry,) = await rows.marked(bot.engine)
    assert entry.text == "DNS looks wrong"
    assert len(bot.slack.calls_to("conversations.history")) == 1
    # Later news of it is kept news: taking every pin back reads nothing more.
    for person in people:
        bot.slack.remove_human_reaction(opened.channel_id, message["ts"], person, "pushpin")
        await deliver(bot, payloads.reaction_event("reaction_removed", user=person,
                                                   reaction="pushpin", channel=opened.channel_id,
                                                   ts=message["ts"]))
    assert await rows.marked(bot.engine) == []
    assert len(bot.slack.calls_to("conversations.history")) == 1


async def test_a_reaction_that_arrives_before_its_message_event(
        bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "rolling back 4512")
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")  # read once from Slack
    # The message's own event, delayed: old news that changes nothing.
    await _seen(bot, opened.channel_id, message)
    (entry,) = await rows.marked(bot.engine)
    assert entry.text == "rolling back 4512"
    reads_before = _reads(bot.slack)
    await react(bot, opened.channel_id, message["ts"], "U0CAROL")
    assert len(await rows.marked(bot.engine)) == 1
    assert _reads(bot.slack) == reads_before


async def test_a_redelivered_message_event_changes_nothing(
        bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "first look")
    event = payloads.message_event(channel=opened.channel_id, message=message)
    await deliver(bot, event, event_id="EvMSG0000001")
    edited = bot.slack.edit_message(opened.channel_id, message["ts"], "second look")
    await deliver(bot, payloads.message_changed_event(channel=opened.channel_id,
                                                      message=edited, previous_message=message))
    # Slack retries the first delivery after the edit was heard of.
    await deliver(bot, event, event_id="EvMSG0000001", retry_num=1)
    await deliver(bot, event, retry_num=2)  # a copy under another id, as after a replay
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")
    (entry,) = await rows.marked(bot.engine)
    assert entry.text == "second look"


async def test_messages_outside_incident_channels_are_not_kept(
        bot: AppUnderTest, opened: Opened) -> None:
    general = bot.slack.create_channel("watercooler")
    message = bot.slack.post_human_message(general, "U0BOB", "lunch?")
    await _seen(bot, general, message)
    assert await rows.kept_messages(bot.engine) == []


async def test_two_replicas_keep_messages_and_pins_once(database_url: str,
                                                        slack: SlackEmulator) -> None:
    settings = make_settings(database_url, slack)
    async with app_under_test(settings, slack) as one, app_under_test(settings, slack) as two:
        opened = await start_incident(one)
        posted = [slack.post_human_message(opened.channel_id, "U0BOB", f"step {i}")
                  for i in range(6)]
        deliveries = []
        for message in posted:
            event_id = new_event_id()
            event = payloads.message_event(channel=opened.channel_id, message=message)
            # Slack's retry reaches the other replica while the first is still at it.
            deliveries += [one.client.event(event, event_id=event_id),
                           two.client.event(event, event_id=event_id, retry_num=1)]
        await asyncio.gather(*deliveries)
        await asyncio.gather(one.settle(), two.settle())
        reads_before = _reads(slack)
        pins = []
        for index, message in enumerate(posted):
            slack.add_human_reaction(opened.channel_id, message["ts"], "U0ALICE", "pushpin")
            event = payloads.reaction_event("reaction_added", user="U0ALICE",
                                            reaction="pushpin", channel=opened.channel_id,
                                            ts=message["ts"])
            replica = one if index % 2 else two
            pins.append((new_event_id(), event, replica))
        await asyncio.gather(*(replica.client.event(event, event_id=event_id)
                               for event_id, event, replica in pins))
        await asyncio.gather(one.settle(), two.settle())
        for event_id, _, _ in pins:
            await processed(one, event_id)

        assert len(await rows.kept_messages(one.engine)) == len(posted)
        assert sorted(entry.text for entry in await rows.marked(one.engine)) == [
            f"step {i}" for i in range(6)]
        assert _reads(slack) == reads_before
