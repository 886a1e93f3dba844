"""The news of one incident channel waiting for the after-ack workers is stored together:
many reactions and new messages in one transaction, each message's entries reconciled once.
One event that cannot be stored holds up no other, and stays in the inbox for the replay;
a crash in the middle saves nothing of the batch and loses nothing."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.orm.session import Session

from bot.db.engine import SessionFactory
from bot.db.models import TimelineEntry
from bot.deps import Deps
from bot.devtools import payloads
from bot.devtools.in_process_client import SETTLE_TIMEOUT_S
from bot.devtools.slack_emulator import SlackEmulator
from bot.domain.inbox import FIRST_WAIT
from bot.usecases.event_inbox import EventInbox
from bot.usecases.lifecycle import Lifecycle, Started
from tests.support import rows
from tests.support.clock import MovableClock
from tests.support.crashes import CrashWhen, sessions_that_crash
from tests.support.statements import statements_sent
from tests.support.timeline_steps import new_event_id

TEAM = "T0001"


@pytest.fixture
async def started(deps: Deps) -> Started:
    return await Lifecycle(deps).start(team_id=TEAM, reporter_id="U0ALICE",
                                       title="Checkout returns 500s", severity=2,
                                       description=None)


def _posted(slack: SlackEmulator, channel_id: str, texts: Sequence[str]) -> list[dict[str, Any]]:
    return [slack.post_human_message(channel_id, "U0BOB", text) for text in texts]


def _message_bodies(channel_id: str, messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [payloads.event_envelope(payloads.message_event(channel=channel_id, message=m),
                                    event_id=new_event_id()) for m in messages]


def _pin_bodies(slack: SlackEmulator, channel_id: str,
                messages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Alice pins each message in Slack; the events Slack sends for that."""
    bodies = []
    for message in messages:
        slack.add_human_reaction(channel_id, message["ts"], "U0ALICE", "pushpin")
        bodies.append(payloads.event_envelope(payloads.reaction_event(
            "reaction_added", user="U0ALICE", reaction="pushpin", channel=channel_id,
            ts=message["ts"]), event_id=new_event_id()))
    return bodies


async def _arrive_together(inbox: EventInbox, deps: Deps, bodies: Sequence[dict[str, Any]]
                           ) -> None:
    """The events are acknowledged one after another while the workers are busy elsewhere,
    so they wait in the queue together; then the workers do them."""
    for body in bodies:
        assert await inbox.receive(TEAM, body["event_id"], body)
    await _worked_together(inbox, deps, bodies)


async def _worked_together(inbox: EventInbox, deps: Deps,
                           bodies: Sequence[dict[str, Any]]) -> None:
    for body in bodies:
        inbox.handle_soon(TEAM, body["event_id"], body["event"])
    assert await deps.after_ack.drain(SETTLE_TIMEOUT_S)


async def _unprocessed(engine: AsyncEngine, bodies: Sequence[dict[str, Any]]) -> list[str]:
    waiting = []
    for body in bodies:
        row = await rows.inbox_event(engine, body["event_id"])
        assert row is not None
        if row.processed_at is None:
            waiting.append(body["event_id"])
    return waiting


async def test_pins_queued_together_are_stored_in_a_few_statements_without_a_slack_read(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, started: Started) -> None:
    channel = started.channel_id
    messages = _posted(slack, channel, [f"p99 at {n} ms" for n in range(30)])
    await _arrive_together(EventInbox(deps), deps, _message_bodies(channel, messages))
    pins = _pin_bodies(slack, channel, messages)
    inbox = EventInbox(deps)
    for body in pins:
        await inbox.receive(TEAM, body["event_id"], body)

    with statements_sent(engine) as sent:
        await _worked_together(inbox, deps, pins)

    assert sorted(entry.text for entry in await rows.marked(engine)) == \
        sorted(f"p99 at {n} ms" for n in range(30))
    assert await _unprocessed(engine, pins) == []
    # One transaction for the thirty, in which each statement serves them all.
    marks = [s for s in sent if s.startswith("UPDATE processed_event SET payload")]
    inserts = [s for s in sent if s.startswith("INSERT INTO timeline_event")]
    assert (len(marks), len(inserts)) == (1, 1)
    assert len(sent) <= 12, sent
    if engine.dialect.name == "sqlite":
        assert sent.count("BEGIN IMMEDIATE") == 1
    assert slack.calls_to("conversations.history") == []
    assert slack.calls_to("conversations.replies") == []


async def test_a_pin_arriving_with_its_message_needs_no_slack_read(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, started: Started) -> None:
    channel = started.channel_id
    (message,) = _posted(slack, channel, ["Rolled back 4512"])
    # The message's own event and the pin's, both waiting when a worker gets to them.
    bodies = [*_message_bodies(channel, [message]), *_pin_bodies(slack, channel, [message])]
    await _arrive_together(EventInbox(deps), deps, bodies)

    assert [entry.text for entry in await rows.marked(engine)] == ["Rolled back 4512"]
    assert await _unprocessed(engine, bodies) == []
    assert slack.calls_to("conversations.history") == []


async def test_a_pin_whose_message_slack_will_not_show_fails_alone_and_is_replayed(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started) -> None:
    channel = started.channel_id
    kept = _posted(slack, channel, ["DB failover done", "Cache flushed"])
    await _arrive_together(EventInbox(deps), deps, _message_bodies(channel, kept))
    # Posted before anyone could see it: the bot must read it from Slack, which fails now.
    (unseen,) = _posted(slack, channel, ["Paging the DB on-call"])
    slack.fail("conversations.history", "internal_error")
    pins = _pin_bodies(slack, channel, [kept[0], unseen, kept[1]])

    await _arrive_together(EventInbox(deps), deps, pins)

    assert sorted(entry.text for entry in await rows.marked(engine)) == \
        ["Cache flushed", "DB failover done"]
    assert await _unprocessed(engine, pins) == [pins[1]["event_id"]]
    row = await rows.inbox_event(engine, pins[1]["event_id"])
    assert row is not None and row.replays == 1 and row.next_attempt_at is not None

    clock.advance(seconds=FIRST_WAIT.total_seconds() + 1)
    assert await EventInbox(deps).recover() == 1
    assert sorted(entry.text for entry in await rows.marked(engine)) == \
        ["Cache flushed", "DB failover done", "Paging the DB on-call"]
    assert await _unprocessed(engine, pins) == []


class _RefusingSession(Session):
    """A database that refuses the timeline entry of one message (as a constraint or a
    value it cannot store would): the statement holding it fails."""


def _sessions_refusing(engine: AsyncEngine, source_ts: str) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False,
                              sync_session_class=_RefusingSession,
                              info={"refused_ts": source_ts})


@event.listens_for(_RefusingSession, "do_orm_execute")
def _refuse(state: ORMExecuteState) -> None:
    if state.is_insert and getattr(state.statement, "table", None) is TimelineEntry.__table__:
        rows_given = state.parameters if isinstance(state.parameters, list) else \
            [state.parameters or {}]
        if any(row.get("source_ts") == state.session.info["refused_ts"] for row in rows_given):
            raise ValueError("the database refused this entry")


async def test_one_event_the_database_refuses_holds_up_no_other_and_is_replayed(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started) -> None:
    channel = started.channel_id
    messages = _posted(slack, channel, ["Seeing 500s on /pay", "Rolled back", "All green"])
    await _arrive_together(EventInbox(deps), deps, _message_bodies(channel, messages))
    pins = _pin_bodies(slack, channel, messages)
    refusing = dataclasses.replace(deps, sessions=_sessions_refusing(engine, messages[1]["ts"]))

    await _arrive_together(EventInbox(refusing), refusing, pins)

    # The batch failed whole; its events were then stored one at a time.
    assert sorted(entry.text for entry in await rows.marked(engine)) == \
        ["All green", "Seeing 500s on /pay"]
    assert await _unprocessed(engine, pins) == [pins[1]["event_id"]]
    row = await rows.inbox_event(engine, pins[1]["event_id"])
    assert row is not None and row.faults == 1

    # Once the database takes it, the replay stores it, once.
    clock.advance(seconds=FIRST_WAIT.total_seconds() + 1)
    assert await EventInbox(deps).recover() == 1
    assert sorted(entry.text for entry in await rows.marked(engine)) == \
        ["All green", "Rolled back", "Seeing 500s on /pay"]
    assert await _unprocessed(engine, pins) == []


async def test_a_crash_in_the_middle_of_a_batch_saves_none_of_it_and_loses_nothing(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        started: Started) -> None:
    channel = started.channel_id
    messages = _posted(slack, channel, ["Seeing 500s on /pay", "Rolled back", "All green"])
    await _arrive_together(EventInbox(deps), deps, _message_bodies(channel, messages))
    pins = _pin_bodies(slack, channel, messages)
    crashing = dataclasses.replace(
        deps, sessions=sessions_that_crash(engine, CrashWhen.EVENT_MARKED_PROCESSED))

    await _arrive_together(EventInbox(crashing), crashing, pins)

    assert await rows.marked(engine) == []
    assert len(await _unprocessed(engine, pins)) == 3
    # The bot comes back and replays what it had received, together: each entry once.
    clock.advance(seconds=FIRST_WAIT.total_seconds() + 1)
    with statements_sent(engine) as sent:
        assert await EventInbox(deps).recover() == 3
    assert len([s for s in sent if s.startswith("UPDATE processed_event SET payload")]) == 1
    assert sorted(entry.text for entry in await rows.marked(engine)) == \
        ["All green", "Rolled back", "Seeing 500s on /pay"]
    assert await _unprocessed(engine, pins) == []
    assert await EventInbox(deps).recover() == 0


async def test_a_pin_and_its_removal_in_one_batch_leave_the_message_off_the_timeline(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, started: Started) -> None:
    channel = started.channel_id
    messages = _posted(slack, channel, ["lunch?", "Failover to eu-west done"])
    await _arrive_together(EventInbox(deps), deps, _message_bodies(channel, messages))
    pins = _pin_bodies(slack, channel, messages)
    slack.remove_human_reaction(channel, messages[0]["ts"], "U0ALICE", "pushpin")
    unpin = payloads.event_envelope(payloads.reaction_event(
        "reaction_removed", user="U0ALICE", reaction="pushpin", channel=channel,
        ts=messages[0]["ts"]), event_id=new_event_id())
    # Delivered out of order: the removal first, and the pin again (Slack's retry).
    bodies = [unpin, *pins, pins[0]]

    await _arrive_together(EventInbox(deps), deps, [unpin, *pins])
    EventInbox(deps).handle_soon(TEAM, bodies[-1]["event_id"], bodies[-1]["event"])
    assert await deps.after_ack.drain(SETTLE_TIMEOUT_S)

    assert [entry.text for entry in await rows.marked(engine)] == ["Failover to eu-west done"]
    assert await _unprocessed(engine, bodies) == []
