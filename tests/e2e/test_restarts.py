"""What only a real start-up does: the database outlives the process, and events received but
not finished before a crash are replayed when the bot comes back (`bot.server.start_bot`,
served over signed HTTP)."""

from __future__ import annotations

import uuid

from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator
from tests.support import rows
from tests.support.incident_steps import start_incident
from tests.support.retry_waits import RetryWaits
from tests.support.served_bot import serve, stop
from tests.support.settings import make_settings
from tests.support.timeline_steps import deliver, new_event_id, processed, react


async def test_an_incident_survives_a_restart(database_url: str, slack: SlackEmulator) -> None:
    settings = make_settings(database_url, slack)
    first = await serve(settings, slack)
    try:
        opened = await start_incident(first)
    finally:
        await stop(first)
    second = await serve(settings, slack)
    try:
        key = uuid.uuid4().hex
        await second.client.slash_command("sev 1", channel_id=opened.channel_id,
                                          response_key=key)
        await slack.wait_for_call("chat.update")
        assert (await rows.incident(second.engine, opened.number)).severity == 1
        await second.settle()  # the topic and the last read, before the engine goes
    finally:
        await stop(second)


async def test_nothing_is_lost_when_the_bot_restarts_between_events(
        database_url: str, slack: SlackEmulator) -> None:
    settings = make_settings(database_url, slack)
    first = await serve(settings, slack)
    try:
        opened = await start_incident(first)
        one = slack.post_human_message(opened.channel_id, "U0BOB", "first")
        two = slack.post_human_message(opened.channel_id, "U0BOB", "second")
        await react(first, opened.channel_id, one["ts"], "U0ALICE")
    finally:
        await stop(first)
    # While the bot is down Slack gets no answer for the second reaction, so it retries.
    slack.add_human_reaction(opened.channel_id, two["ts"], "U0ALICE", "pushpin")
    second = await serve(settings, slack)
    try:
        await deliver(second, payloads.reaction_event(
            "reaction_added", user="U0ALICE", reaction="pushpin", channel=opened.channel_id,
            ts=two["ts"]), retry_num=1)
        assert [entry.text for entry in await rows.marked(second.engine)] == ["first", "second"]
    finally:
        await stop(second)


async def test_an_event_received_but_not_written_before_a_crash_is_replayed(
        database_url: str, slack: SlackEmulator, retry_waits: RetryWaits) -> None:
    settings = make_settings(database_url, slack)
    first = await serve(settings, slack)
    try:
        opened = await start_incident(first)
        message = slack.post_human_message(opened.channel_id, "U0BOB", "Failover complete")
        slack.add_human_reaction(opened.channel_id, message["ts"], "U0ALICE", "pushpin")
        # Slack has its 200 (the event is in the inbox) but the bot dies before the write:
        # here, Slack's API is down until after the restart.
        slack.server_error("conversations.history", times=100, status=503)
        event_id = new_event_id()
        await deliver(first, payloads.reaction_event(
            "reaction_added", user="U0ALICE", reaction="pushpin", channel=opened.channel_id,
            ts=message["ts"]), event_id=event_id, wait=False)
        # The first try and the client's two retries: the bot has given up on the event.
        await slack.wait_for_call("conversations.history", count=3)
    finally:
        await stop(first)
    slack.clear_faults()
    second = await serve(settings, slack)
    try:
        await processed(second, event_id)
        assert [entry.text for entry in await rows.marked(second.engine)] == [
            "Failover complete"]
    finally:
        await stop(second)
