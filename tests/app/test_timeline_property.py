"""Whatever Slack does with its events — repeats them, reorders them, delivers them at once,
or never sends a message's own event — the stored timeline equals what the final reactions
and the final text imply. On SQLite and PostgreSQL, with concurrent deliveries dispatched to
the app at once."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.devtools import payloads
from tests.support import rows
from tests.support.app_under_test import AppUnderTest
from tests.support.incident_steps import Opened, start_incident
from tests.support.timeline_steps import processed

PEOPLE = ("U0ALICE", "U0BOB")
EMOJI = {"pushpin": "key_event", "bulb": "hypothesis"}
MESSAGES = 2


@dataclass(frozen=True)
class Op:
    add: bool
    user: str
    emoji: str
    message: int


ops = st.lists(st.builds(Op, st.booleans(), st.sampled_from(PEOPLE), st.sampled_from(list(EMOJI)),
                         st.integers(0, MESSAGES - 1)), min_size=1, max_size=10)


@pytest.fixture
def bot_settings() -> dict[str, object]:
    return {"SITREP_TIMELINE_EMOJI": ",".join(f"{e}={k}" for e, k in EMOJI.items())}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(script=ops, data=st.data())
async def test_the_timeline_converges_on_the_final_reactions(
        bot: AppUnderTest, script: list[Op], data: st.DataObject) -> None:
    opened = await _incident(bot)
    channel = opened.channel_id
    posted = [bot.slack.post_human_message(channel, "U0CAROL", f"message {i}")
              for i in range(MESSAGES)]
    messages = [message["ts"] for message in posted]
    reacted: set[tuple[int, str, str]] = set()
    # Each real change in Slack yields one event; Slack may deliver it late (any time after
    # the change) and more than once, with the same event id.
    deliveries: dict[int, list[tuple[str, dict[str, object]]]] = {}

    def send(event: dict[str, object], earliest: int) -> None:
        event_id = f"Ev{uuid.uuid4().hex[:10].upper()}"
        for _ in range(data.draw(st.integers(1, 3), label="deliveries of this event")):
            slot = data.draw(st.integers(earliest, len(script)), label="delivered after step")
            deliveries.setdefault(slot, []).append((event_id, event))

    # A message's own event may come late, twice, or never (then the bot reads it once).
    for message in posted:
        if data.draw(st.booleans(), label="Slack sends the message event"):
            send(payloads.message_event(channel=channel, message=message), 0)
    for step, op in enumerate(script):
        key = (op.message, op.user, op.emoji)
        if op.add == (key in reacted):
            continue  # Slack refuses a second identical reaction or removing a missing one
        ts = messages[op.message]
        if op.add:
            bot.slack.add_human_reaction(channel, ts, op.user, op.emoji)
            reacted.add(key)
        else:
            bot.slack.remove_human_reaction(channel, ts, op.user, op.emoji)
            reacted.discard(key)
        send(payloads.reaction_event("reaction_added" if op.add else "reaction_removed",
                                     user=op.user, reaction=op.emoji, channel=channel, ts=ts),
             step)
        await _deliver(bot, deliveries.pop(step, []))
    # The first message is edited at the end; the edit's event races the others too.
    edited = bot.slack.edit_message(channel, messages[0], "message 0, corrected")
    send(payloads.message_changed_event(channel=channel, message=edited,
                                        previous_message=posted[0]), len(script))
    await _deliver(bot, [d for slot in sorted(deliveries) for d in deliveries[slot]])

    entries = [entry for entry in await rows.entries(bot.engine) if entry.source_ts in messages]
    expected = {(messages[m], EMOJI[emoji]) for (m, _user, emoji) in reacted}
    assert {(entry.source_ts, entry.kind) for entry in entries} == expected
    assert {entry.text for entry in entries if entry.source_ts == messages[0]} <= \
        {"message 0, corrected"}


async def _deliver(bot: AppUnderTest, batch: list[tuple[str, dict[str, object]]]) -> None:
    """One slot's deliveries arrive at once, as concurrent requests."""
    seen: dict[str, int] = {}
    requests = []
    for event_id, event in batch:
        retry = seen.get(event_id)
        seen[event_id] = (retry or 0) + 1
        requests.append(bot.client.event(event, event_id=event_id, retry_num=retry))
    for response in await asyncio.gather(*requests):
        assert response.status == 200
    await bot.settle()
    for event_id in seen:
        await processed(bot, event_id)


_incidents: dict[str, Opened] = {}


async def _incident(bot: AppUnderTest) -> Opened:
    # Hypothesis runs many examples in one test, so one incident serves them all; each
    # test has a database of its own, which keys it.
    key = bot.settings.database_url
    if key not in _incidents:
        _incidents[key] = await start_incident(bot, "Checkout down")
    return _incidents[key]
