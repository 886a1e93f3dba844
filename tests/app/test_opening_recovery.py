"""`OpeningRecovery` on its own: a start cut short (here, cancelled as a stop cancels it,
while Slack works on its call) is left alone while it may still be in hand, then finished
by exactly one replica, or given up when Slack keeps refusing."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import create_engine
from bot.deps import Deps
from bot.devtools.slack_emulator import SlackEmulator
from bot.usecases.lifecycle import Lifecycle
from bot.usecases.opening_recovery import MAX_ATTEMPTS, OpeningRecovery
from tests.support import rows
from tests.support.app_under_test import make_deps, stop_background_work
from tests.support.clock import MovableClock
from tests.support.slack_reading import cards, direct_messages

TEAM = "T0001"


async def _cut_short_at(deps: Deps, slack: SlackEmulator, method: str) -> str:
    """A start stopped while Slack was doing `method`; the id of the channel it made."""
    slack.hold(method)
    start = asyncio.create_task(Lifecycle(deps).start(
        team_id=TEAM, reporter_id="U0ALICE", title="Checkout returns 500s", severity=2,
        description=None))
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
