"""`OpeningRecovery` on its own: a start cut short (here, cancelled as a stop cancels it,
while Slack works on its call) is left alone while it may still be in hand, then finished
by exactly one replica, or given up when Slack keeps refusing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.db.engine import create_engine
from bot.db.models import IncidentOpening
from bot.db.types import UTCDateTime
from bot.deps import Deps
from bot.devtools.slack_emulator import SlackEmulator
from bot.domain import openings
from bot.usecases.lifecycle import Lifecycle
from bot.usecases.opening_recovery import MAX_ATTEMPTS, OpeningRecovery
from tests.support import rows
from tests.support.app_under_test import make_deps, stop_background_work
from tests.support.clock import MovableClock
from tests.support.settings import make_settings
from tests.support.slack_reading import cards, direct_messages, posted_texts

TEAM = "T0001"
ANNOUNCE = "C0GENERAL"


async def _cut_short_at(deps: Deps, slack: SlackEmulator, method: str, *,
                        private: bool = False) -> str:
    """A start stopped while Slack was doing `method`; the id of the channel it made."""
    slack.hold(method)
    start = asyncio.create_task(Lifecycle(deps).start(
        team_id=TEAM, reporter_id="U0ALICE", title="Checkout returns 500s", severity=2,
        description=None, private=private))
    await slack.wait_for_call(method)
    start.cancel()
    await asyncio.wait([start])
    slack.release()
    channel = slack.channel_by_name("inc-1-checkout-returns-500s")
    assert channel is not None
    return channel.id


async def test_a_start_cut_short_is_left_alone_until_its_lease_runs_out(
        deps: Deps, slack: SlackEmulator, clock: MovableClock) -> None:
    channel_id = await _cut_short_at(deps, slack, "conversations.invite")

    clock.advance(seconds=30)
    assert await OpeningRecovery(deps).recover() == 0
    assert not cards(slack, channel_id) and not direct_messages(slack, "U0ALICE")

    clock.advance(minutes=1)
    assert await OpeningRecovery(deps).recover() == 1
    assert len(cards(slack, channel_id)) == 1
    (told,) = direct_messages(slack, "U0ALICE")
    assert "*INC-1* is open" in told
    # Finished is finished: a later round finds nothing to do.
    clock.advance(minutes=5)
    assert await OpeningRecovery(deps).recover() == 0


async def test_two_replicas_recovering_at_once_finish_a_start_once(
        deps: Deps, database_url: str, slack: SlackEmulator, clock: MovableClock) -> None:
    channel_id = await _cut_short_at(deps, slack, "conversations.invite")
    clock.advance(minutes=2)
    other_engine = create_engine(database_url)
    other = make_deps(deps.settings, other_engine, clock)
    try:
        claimed = await asyncio.gather(OpeningRecovery(deps).recover(),
                                       OpeningRecovery(other).recover())
    finally:
        await stop_background_work(other)
        await other_engine.dispose()

    assert sorted(claimed) == [0, 1]
    (card,) = cards(slack, channel_id)
    assert card["ts"] in slack.channel(channel_id).pins
    assert len(direct_messages(slack, "U0ALICE")) == 1


async def test_a_room_slack_keeps_refusing_to_finish_is_given_up_and_the_reporter_told(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock) -> None:
    channel_id = await _cut_short_at(deps, slack, "conversations.invite")
    slack.fail("pins.add", "restricted_action", times=MAX_ATTEMPTS)
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(minutes=2)
        assert await OpeningRecovery(deps).recover() == 1
        assert not direct_messages(slack, "U0ALICE")

    clock.advance(minutes=2)
    assert await OpeningRecovery(deps).recover() == 1
    (told,) = direct_messages(slack, "U0ALICE")
    assert "couldn't finish setting up" in told and f"<#{channel_id}>" in told
    # The incident stays, with its channel: people can still work in it.
    assert (await rows.incident(engine, 1)).channel_id == channel_id
    clock.advance(minutes=5)
    assert await OpeningRecovery(deps).recover() == 0


async def _lease_renewed(engine: AsyncEngine, clock: MovableClock) -> None:
    async with asyncio.timeout(10):
        while True:
            async with engine.connect() as connection:
                (lease_until,) = (await connection.execute(
                    select(IncidentOpening.lease_until))).one()
            if UTCDateTime().process_result_value(lease_until, engine.dialect) > clock.now():
                return
            await asyncio.sleep(0.02)


async def test_a_start_slack_keeps_waiting_is_not_taken_over_while_it_lives(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Slack answering the invite minutes late is slowness, not a dead process: the start
    keeps its lease, and the recovery of its own process leaves it alone."""
    monkeypatch.setattr(openings, "RENEW_EVERY", timedelta(milliseconds=20))
    slack.hold("conversations.invite")
    start = asyncio.create_task(Lifecycle(deps).start(
        team_id=TEAM, reporter_id="U0ALICE", title="Checkout returns 500s", severity=2,
        description=None))
    await slack.wait_for_call("conversations.invite")
    clock.advance(minutes=3)
    await _lease_renewed(engine, clock)

    assert await OpeningRecovery(deps).recover() == 0
    slack.release()
    started = await start
    assert len(cards(slack, started.channel_id)) == 1
    assert direct_messages(slack, "U0ALICE") == []
    assert (await rows.incident(engine, 1)).channel_id == started.channel_id


@pytest.fixture
async def announcing(database_url: str, engine: AsyncEngine, slack: SlackEmulator,
                     clock: MovableClock) -> AsyncIterator[Deps]:
    made = make_deps(make_settings(database_url, slack, SITREP_ANNOUNCE_CHANNEL=ANNOUNCE),
                     engine, clock)
    try:
        yield made
    finally:
        await stop_background_work(made)


async def test_a_private_start_cut_short_is_finished_without_an_announcement(
        announcing: Deps, slack: SlackEmulator, clock: MovableClock) -> None:
    deps = announcing
    channel_id = await _cut_short_at(deps, slack, "conversations.invite", private=True)
    clock.advance(minutes=2)
    assert await OpeningRecovery(deps).recover() == 1
    assert len(cards(slack, channel_id)) == 1
    assert posted_texts(slack, ANNOUNCE) == []


async def test_a_start_whose_channel_was_made_private_meanwhile_is_not_announced(
        announcing: Deps, slack: SlackEmulator, clock: MovableClock) -> None:
    deps = announcing
    channel_id = await _cut_short_at(deps, slack, "conversations.invite")
    slack.convert_to_private(channel_id)  # while the start waited to be finished
    clock.advance(minutes=2)
    assert await OpeningRecovery(deps).recover() == 1
    assert posted_texts(slack, ANNOUNCE) == []


async def test_an_abandoned_start_archives_its_own_channel_not_a_persons_of_that_name(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, clock: MovableClock) -> None:
    theirs = slack.workspace.create_channel("inc-1-checkout-returns-500s", creator="U0BOB").id
    # Bob's channel has the first name, so the start makes `-2`, and is stopped while
    # Slack's answer is on its way.
    slack.slow("conversations.create", seconds=1.0, times=2)
    start = asyncio.create_task(Lifecycle(deps).start(
        team_id=TEAM, reporter_id="U0ALICE", title="Checkout returns 500s", severity=2,
        description=None))
    await slack.wait_for_call("conversations.create", count=2)
    start.cancel()
    await asyncio.wait([start])
    ours = slack.channel_by_name("inc-1-checkout-returns-500s-2")
    assert ours is not None

    clock.advance(minutes=2)
    assert await OpeningRecovery(deps).recover() == 1
    assert ours.is_archived
    assert not slack.channel(theirs).is_archived
