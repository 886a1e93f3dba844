"""`EventInbox` and the timeline sync on their own: an event received is handled once, its
entry and its "processed" mark are saved together, and what a crash interrupted is replayed."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.deps import Deps
from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator
from bot.domain.inbox import FIRST_WAIT, GIVE_UP_AFTER, MAX_WAIT, REPLAY_PAGE
from bot.usecases.event_inbox import RECOVERY_GRACE, EventInbox
from bot.usecases.lifecycle import Lifecycle, Started
from tests.support import rows
from tests.support.clock import MovableClock
from tests.support.crashes import CrashWhen, SimulatedCrash, sessions_that_crash
from tests.support.retry_waits import RetryWaits
from tests.support.timeline_steps import new_event_id

TEAM = "T0001"


@pytest.fixture
async def started(deps: Deps) -> Started:
    return await Lifecycle(deps).start(team_id=TEAM, reporter_id="U0ALICE",
                                       title="Checkout returns 500s", severity=2,
                                       description=None)


def _pinned(slack: SlackEmulator, channel_id: str, text: str) -> dict[str, Any]:
    """A person's message, pinned 📌 by Alice, and the event Slack sends for it."""
    message = slack.post_human_message(channel_id, "U0BOB", text)
    slack.add_human_reaction(channel_id, message["ts"], "U0ALICE", "pushpin")
    return payloads.event_envelope(payloads.reaction_event(
        "reaction_added", user="U0ALICE", reaction="pushpin", channel=channel_id,
        ts=message["ts"]), event_id=new_event_id())


async def test_a_reaction_puts_one_entry_on_the_timeline_and_marks_the_event_processed(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started) -> None:
    body = _pinned(slack, started.channel_id, "Seeing 500s on /pay")
    inbox = EventInbox(deps)

    assert await inbox.receive(TEAM, body["event_id"], body)
    await inbox.handle(TEAM, body["event_id"], body["event"])

    (entry,) = await rows.marked(engine)
    assert (entry.kind, entry.text, entry.author_name) == ("key_event", "Seeing 500s on /pay",
                                                           "bob")
    row = await rows.inbox_event(engine, body["event_id"])
    assert row is not None and row.processed_at == clock.now()
    # Slack's redelivery of the same event is recognised and dropped.
    assert not await inbox.receive(TEAM, body["event_id"], body)
    (confirmed,) = slack.calls_to("reactions.add")
    assert confirmed.args["name"] == "spiral_note_pad"


@pytest.mark.parametrize("crash_when", list(CrashWhen))
async def test_the_entry_and_the_processed_mark_are_saved_together_or_not_at_all(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started, crash_when: CrashWhen) -> None:
    body = _pinned(slack, started.channel_id, "Failover complete")
    crashing = EventInbox(dataclasses.replace(deps,
                                              sessions=sessions_that_crash(engine, crash_when)))
    assert await crashing.receive(TEAM, body["event_id"], body)

    with pytest.raises(SimulatedCrash):
        await crashing.handle(TEAM, body["event_id"], body["event"])

    assert await rows.marked(engine) == []
    row = await rows.inbox_event(engine, body["event_id"])
    assert row is not None and row.processed_at is None
    # The bot comes back and replays what it had received.
    clock.advance(seconds=1)
    assert await EventInbox(deps).recover(grace=timedelta(0)) == 1
    assert [entry.text for entry in await rows.marked(engine)] == ["Failover complete"]
    row = await rows.inbox_event(engine, body["event_id"])
    assert row is not None and row.processed_at is not None


async def test_an_event_received_but_never_handled_is_replayed_once(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started) -> None:
    body = _pinned(slack, started.channel_id, "Rolled back 4512")
    inbox = EventInbox(deps)
    await inbox.receive(TEAM, body["event_id"], body)  # acknowledged, then the process died

    # A live handler may still have a young event in hand: it is left to it for a while.
    assert await inbox.recover() == 0
    clock.advance(seconds=RECOVERY_GRACE.total_seconds() + 1)
    assert await inbox.recover() == 1
    assert await inbox.recover() == 0

    assert [entry.text for entry in await rows.marked(engine)] == ["Rolled back 4512"]
    assert len(slack.calls_to("reactions.add")) == 1


async def test_a_restart_in_the_middle_of_a_burst_replays_the_whole_backlog_at_once(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started) -> None:
    """Several pages of acknowledged, unhandled events: the replay goes from one page to
    the next without waiting its interval (an hour here) between them."""
    backlog = [_pinned(slack, started.channel_id, f"Step {n}")
               for n in range(REPLAY_PAGE * 2 + 50)]
    inbox = EventInbox(deps)
    for body in backlog:
        await inbox.receive(TEAM, body["event_id"], body)
    clock.advance(seconds=RECOVERY_GRACE.total_seconds() + 1)

    replaying = asyncio.create_task(inbox.keep_recovering(interval_s=3600))
    try:
        async with asyncio.timeout(60):
            while True:
                if len(await rows.marked(engine)) == len(backlog):
                    break
                await asyncio.sleep(0.05)
    finally:
        replaying.cancel()
    assert sorted(entry.text for entry in await rows.marked(engine)) == sorted(
        f"Step {n}" for n in range(len(backlog)))


async def test_a_replay_that_slack_refuses_stays_in_the_inbox_for_the_next_one(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started) -> None:
    body = _pinned(slack, started.channel_id, "DB failover done")
    inbox = EventInbox(deps)
    await inbox.receive(TEAM, body["event_id"], body)
    clock.advance(seconds=1)
    slack.fail("conversations.history", "internal_error")

    assert await inbox.recover(grace=timedelta(0)) == 1
    assert await rows.marked(engine) == []

    # Tried again once its wait is over, not at once.
    assert await inbox.recover(grace=timedelta(0)) == 0
    clock.advance(seconds=FIRST_WAIT.total_seconds())
    assert await inbox.recover(grace=timedelta(0)) == 1
    assert [entry.text for entry in await rows.marked(engine)] == ["DB failover done"]


async def test_an_event_outside_any_incident_is_marked_processed_without_asking_slack(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, started: Started) -> None:
    body = _pinned(slack, "C0GENERAL", "lunch?")
    inbox = EventInbox(deps)
    await inbox.receive(TEAM, body["event_id"], body)
    await inbox.handle(TEAM, body["event_id"], body["event"])

    assert await rows.marked(engine) == []
    row = await rows.inbox_event(engine, body["event_id"])
    assert row is not None and row.processed_at is not None
    assert slack.calls_to("conversations.history") == []


async def test_an_event_outlasting_a_long_slack_outage_is_done_once_slack_is_back(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started, retry_waits: RetryWaits) -> None:
    body = _pinned(slack, started.channel_id, "Failover to eu-west done")
    inbox = EventInbox(deps)
    await inbox.receive(TEAM, body["event_id"], body)
    slack.server_error("conversations.history", times=10_000, status=503)

    # Hours of Slack answering 503: far more tries than the five the inbox used to allow.
    for _ in range(12):
        clock.advance(seconds=MAX_WAIT.total_seconds())
        assert await inbox.recover() == 1
    assert await rows.marked(engine) == []
    row = await rows.inbox_event(engine, body["event_id"])
    assert row is not None and row.given_up_at is None and row.faults == 0

    slack.clear_faults()
    clock.advance(seconds=MAX_WAIT.total_seconds())
    assert await inbox.recover() == 1
    assert [entry.text for entry in await rows.marked(engine)] == ["Failover to eu-west done"]


async def test_an_event_failing_by_its_own_fault_is_tried_for_a_day_then_given_up_loudly(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started, caplog: pytest.LogCaptureFixture) -> None:
    body = _pinned(slack, started.channel_id, "Cache flushed")
    inbox = EventInbox(deps)
    await inbox.receive(TEAM, body["event_id"], body)
    received = clock.now()
    # Slack refuses this one for good: not an outage, so it is the event's own fault.
    slack.fail("conversations.history", "channel_not_found", times=10_000)

    with caplog.at_level(logging.WARNING, logger="bot.usecases.event_inbox"):
        while clock.now() - received < timedelta(hours=24):
            clock.advance(seconds=MAX_WAIT.total_seconds())
            assert await inbox.recover() == 1
        assert not [r for r in caplog.records if "giving up" in r.message]
        clock.advance(seconds=GIVE_UP_AFTER.total_seconds())
        assert await inbox.recover() == 1

    (given_up,) = [r for r in caplog.records if "giving up" in r.message]
    assert given_up.levelno == logging.WARNING and body["event_id"] in given_up.message
    clock.advance(days=1)
    assert await inbox.recover() == 0
    row = await rows.inbox_event(engine, body["event_id"])
    assert row is not None and row.given_up_at is not None and row.processed_at is None
