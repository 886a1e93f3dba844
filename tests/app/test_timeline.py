"""The timeline from Slack: 📌 reactions, the "Add to timeline" shortcut, edits and deletions,
and `/incident timeline` — each a signed request dispatched to the app, against the emulator.

Restarts and a crash between receiving an event and writing it: tests/e2e/test_restarts.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator
from bot.domain import incidents
from tests.support import rows
from tests.support.app_under_test import AppUnderTest, app_under_test
from tests.support.incident_steps import Opened, refusal, start_incident
from tests.support.settings import make_settings
from tests.support.timeline_steps import deliver, processed, react, unreact


@pytest.fixture
async def opened(bot: AppUnderTest) -> Opened:
    return await start_incident(bot, "sev2 Checkout returns 500s")


async def test_a_pinned_message_goes_on_the_timeline_as_written(bot: AppUnderTest,
                                                                opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB",
                                           "Seeing 500s on /pay since 14:02")
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")

    (entry,) = await rows.marked(bot.engine)
    assert (entry.kind, entry.via, entry.text) == ("key_event", "reaction",
                                                   "Seeing 500s on /pay since 14:02")
    assert (entry.author_id, entry.author_name, entry.created_by) == ("U0BOB", "bob", "U0ALICE")
    # The time the message was written, not the time of the reaction.
    assert entry.occurred_at == datetime.fromtimestamp(float(message["ts"]), UTC)
    assert entry.permalink == (f"https://sitrep-test.slack.com/archives/{opened.channel_id}/"
                               f"p{message['ts'].replace('.', '')}")
    # Read the way the issue asks: history at exactly that ts (read again after the write,
    # in case the message moved meanwhile).
    history = bot.slack.calls_to("conversations.history")[0]
    assert history.args["latest"] == message["ts"]
    assert str(history.args["inclusive"]).lower() in {"true", "1"}
    assert str(history.args["limit"]) == "1"
    # Confirmed quietly: the bot's own small reaction, no message.
    (confirmation,) = bot.slack.calls_to("reactions.add")
    assert (confirmation.args["name"], confirmation.args["timestamp"]) == (
        "spiral_note_pad", message["ts"])


async def test_a_thread_reply_can_be_pinned(bot: AppUnderTest, opened: Opened) -> None:
    parent = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Is it the deploy?")
    reply = bot.slack.post_human_message(opened.channel_id, "U0CAROL", "Yes, 4512 is bad",
                                         thread_ts=parent["ts"])
    await react(bot, opened.channel_id, reply["ts"], "U0ALICE")
    (entry,) = await rows.marked(bot.engine)
    assert (entry.text, entry.author_id, entry.source_ts) == ("Yes, 4512 is bad", "U0CAROL",
                                                              reply["ts"])
    assert entry.permalink is not None and f"thread_ts={parent['ts']}" in entry.permalink


async def test_many_reactors_make_one_entry_until_the_last_takes_theirs_back(
        bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Rolled back")
    for user in ("U0ALICE", "U0BOB", "U0CAROL"):
        await react(bot, opened.channel_id, message["ts"], user)
    assert len(await rows.marked(bot.engine)) == 1
    await unreact(bot, opened.channel_id, message["ts"], "U0ALICE")
    await unreact(bot, opened.channel_id, message["ts"], "U0BOB")
    assert len(await rows.marked(bot.engine)) == 1
    await unreact(bot, opened.channel_id, message["ts"], "U0CAROL")
    assert await rows.marked(bot.engine) == []
    (taken_back,) = bot.slack.calls_to("reactions.remove")
    assert taken_back.args["name"] == "spiral_note_pad"


async def test_rich_text_attachments_and_files_become_readable_text(bot: AppUnderTest,
                                                                   opened: Opened) -> None:
    message = bot.slack.post_human_message(
        opened.channel_id, "U0BOB", "", files=[{"id": "F1", "name": "error-rate.png"}],
        blocks=[{"type": "rich_text", "elements": [{"type": "rich_text_section", "elements": [
            {"type": "text", "text": "Error rate is "},
            {"type": "text", "text": "12%", "style": {"bold": True}},
            {"type": "text", "text": ", see "},
            {"type": "link", "url": "https://grafana.example/d/1", "text": "the dashboard"},
            {"type": "text", "text": " cc "}, {"type": "user", "user_id": "U0ALICE"}]}]}])
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")
    (entry,) = await rows.marked(bot.engine)
    assert entry.text == ("Error rate is 12%, see the dashboard cc <@U0ALICE>\n"
                          "[file: error-rate.png]")


async def test_reactions_in_other_channels_are_ignored(bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message("C0GENERAL", "U0BOB", "lunch?")
    await react(bot, "C0GENERAL", message["ts"], "U0ALICE")
    assert await rows.marked(bot.engine) == []
    assert bot.slack.calls_to("conversations.history") == []


async def test_other_emoji_mark_nothing(bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "brb")
    bot.slack.add_human_reaction(opened.channel_id, message["ts"], "U0ALICE", "tada")
    await deliver(bot, payloads.reaction_event("reaction_added", user="U0ALICE",
                                               reaction="tada", channel=opened.channel_id,
                                               ts=message["ts"]), wait=False)
    await bot.settle()
    assert await rows.marked(bot.engine) == []
    assert bot.slack.calls_to("conversations.history") == []


async def test_a_redelivered_event_changes_nothing(bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "DB failover done")
    event_id = await react(bot, opened.channel_id, message["ts"], "U0ALICE")
    calls = len(bot.slack.calls)
    event = payloads.reaction_event("reaction_added", user="U0ALICE", reaction="pushpin",
                                    channel=opened.channel_id, ts=message["ts"])
    for retry in (1, 2, 3):
        response = await bot.client.event(event, event_id=event_id, retry_num=retry)
        assert response.status == 200
    assert len(await rows.marked(bot.engine)) == 1
    assert len(bot.slack.calls) == calls  # not even a read: the inbox knew it


async def test_edits_and_deletions_follow_the_message(bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Errors at 30%")
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")
    before = dict(message)
    edited = bot.slack.edit_message(opened.channel_id, message["ts"], "Errors at 3%")
    await deliver(bot, payloads.message_changed_event(channel=opened.channel_id, message=edited,
                                                      previous_message=before))
    (entry,) = await rows.marked(bot.engine)
    assert entry.text == "Errors at 3%"

    bot.slack.delete_message(opened.channel_id, message["ts"])
    await deliver(bot, payloads.message_deleted_event(channel=opened.channel_id,
                                                      deleted_ts=message["ts"],
                                                      previous_message=edited))
    assert await rows.marked(bot.engine) == []


async def test_edits_of_messages_not_on_the_timeline_cost_nothing(bot: AppUnderTest,
                                                                 opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "typo")
    calls = len(bot.slack.calls)
    edited = bot.slack.edit_message(opened.channel_id, message["ts"], "fixed")
    await deliver(bot, payloads.message_changed_event(channel=opened.channel_id, message=edited,
                                                      previous_message=message))
    assert len(bot.slack.calls) == calls


@pytest.mark.parametrize("bot_settings", [{
    "SITREP_TIMELINE_EMOJI": "pushpin=key_event,bulb=hypothesis,adhesive_bandage=mitigation",
    "SITREP_TIMELINE_CONFIRM": "none"}])
async def test_more_kinds_are_one_line_of_configuration(bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "Checkout down")
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Maybe the CDN?")
    await react(bot, opened.channel_id, message["ts"], "U0ALICE", "bulb")
    await react(bot, opened.channel_id, message["ts"], "U0CAROL", "pushpin")
    kinds = sorted(entry.kind for entry in await rows.marked(bot.engine))
    assert kinds == ["hypothesis", "key_event"]
    await unreact(bot, opened.channel_id, message["ts"], "U0ALICE", "bulb")
    assert [entry.kind for entry in await rows.marked(bot.engine)] == ["key_event"]
    assert bot.slack.calls_to("reactions.add") == []  # confirmation switched off


async def test_the_shortcut_adds_a_message_with_a_comment(bot: AppUnderTest,
                                                          opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Rolled back 4512")
    # Carol works in the incident channel, so the bot's private confirmation can reach her.
    bot.slack.channel(opened.channel_id).members.append("U0CAROL")
    response = await bot.client.interaction(payloads.message_action(
        user_id="U0CAROL", channel_id=opened.channel_id, message=message,
        callback_id="add_to_timeline", response_url=bot.slack.response_url("shortcut")))
    assert response.status == 200
    (opened_view,) = await bot.slack.wait_for_call("views.open")
    view = opened_view.args["view"]
    assert view["callback_id"] == "timeline_add"
    await bot.client.interaction(payloads.view_submission(user_id="U0CAROL", view=view, values={
        "kind_block": {"kind": {"type": "static_select", "selected_option": {
            "value": "key_event"}}},
        "comment_block": {"comment": {"type": "plain_text_input",
                                      "value": "This is what fixed it"}}}))
    (told,) = await bot.slack.wait_for_call("chat.postEphemeral")
    assert told.args["text"] == "Added to INC-1's timeline."
    assert told.ok
    (entry,) = await rows.marked(bot.engine)
    assert (entry.via, entry.comment, entry.created_by, entry.text) == (
        "shortcut", "This is what fixed it", "U0CAROL", "Rolled back 4512")
    # A pin and its removal later do not take a hand-added entry away.
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")
    await unreact(bot, opened.channel_id, message["ts"], "U0ALICE")
    assert len(await rows.marked(bot.engine)) == 1


async def test_the_shortcut_outside_an_incident_says_where_it_works(bot: AppUnderTest) -> None:
    message = bot.slack.post_human_message("C0GENERAL", "U0BOB", "hello")
    await bot.client.interaction(payloads.message_action(
        user_id="U0CAROL", channel_id="C0GENERAL", message=message,
        callback_id="add_to_timeline", response_url=bot.slack.response_url("elsewhere")))
    told = await bot.slack.wait_for_response("elsewhere")
    assert "isn't an incident channel" in told.body["text"]
    assert bot.slack.calls_to("views.open") == []


@pytest.mark.parametrize("bot_settings", [{"SITREP_TIMEZONE": "Europe/Berlin"}])
async def test_incident_timeline_shows_everything_in_order_to_the_asker(bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "sev2 Checkout down")
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Deploy 4512 is bad")
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")
    assert (await refusal(bot, "note Paged the payments team",
                          channel=opened.channel_id)).startswith("Added")
    shown = await refusal(bot, "timeline", channel=opened.channel_id, after_ack=True)
    lines = shown.splitlines()
    assert lines[0] == "*Timeline of INC-1* (times in Europe/Berlin)"
    assert "started" in lines[1] and "Incident declared as SEV2" in lines[1]
    assert "key event · bob: Deploy 4512 is bad <https://" in lines[2]
    assert "note" in lines[3] and "Paged the payments team" in lines[3]
    written = datetime.fromtimestamp(float(message["ts"]), UTC)
    berlin = written.astimezone(ZoneInfo("Europe/Berlin"))
    assert lines[2].startswith(f"• {berlin:%H:%M} ·")


async def test_a_long_timeline_shows_its_end_and_says_how_much_came_before(
        bot: AppUnderTest, opened: Opened) -> None:
    # 500 notes, written as `/incident note` writes them, in one transaction.
    async with bot.deps.sessions() as session, session.begin():
        incident = await incidents.by_number(session, "T0001", opened.number)
        assert incident is not None
        for index in range(500):
            await incidents.add_note(session, incident, text=f"note {index:03d} " + "x" * 60,
                                     by="U0ALICE", now=bot.deps.clock.now())
    shown = await refusal(bot, "timeline", channel=opened.channel_id, after_ack=True)
    lines = shown.splitlines()
    entries = [line for line in lines if line.startswith("• ")]
    assert "note 499" in entries[-1]
    assert len(shown) <= 12_000 + len(lines[0]) + len(lines[1]) + 2
    # 501 entries in all: the declaration and 500 notes.
    assert lines[1] == (f"_{501 - len(entries)} earlier entries are not shown here; the "
                        "retrospective has them all._")


async def test_two_replicas_receiving_the_same_event_make_one_entry(
        database_url: str, slack: SlackEmulator) -> None:
    # Two apps, each with its own engine and client, on one database: two replicas.
    settings = make_settings(database_url, slack)
    async with app_under_test(settings, slack) as one, app_under_test(settings, slack) as two:
        opened = await start_incident(one)
        message = slack.post_human_message(opened.channel_id, "U0BOB", "Cache flushed")
        slack.add_human_reaction(opened.channel_id, message["ts"], "U0ALICE", "pushpin")
        event = payloads.reaction_event("reaction_added", user="U0ALICE", reaction="pushpin",
                                        channel=opened.channel_id, ts=message["ts"])
        await asyncio.gather(one.client.event(event, event_id="EvSAME00001"),
                             two.client.event(event, event_id="EvSAME00001", retry_num=1))
        await asyncio.gather(one.settle(), two.settle())
        await processed(one, "EvSAME00001")
        assert len(await rows.entries(one.engine, source_ts=message["ts"])) == 1
        assert len(slack.calls_to("reactions.add")) == 1
