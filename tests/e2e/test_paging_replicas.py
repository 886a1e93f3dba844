"""Two replicas of the bot on one database, given the same page at the same moment (a
retry that reached the other replica, or a load balancer's double delivery): one incident,
one channel, one set of timeline entries."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from datetime import timedelta

from bot.devtools.slack_emulator import SlackEmulator
from bot.usecases.event_inbox import EventInbox
from tests.support import rows
from tests.support.paging_steps import (
    PagedBot,
    alertmanager_delivery_id,
    fixture,
    handled,
    paged_bot,
)


async def _two_replicas(stack: AsyncExitStack, database_url: str,
                        slack: SlackEmulator) -> tuple[PagedBot, PagedBot]:
    first = await stack.enter_async_context(paged_bot(database_url, slack))
    second = await stack.enter_async_context(paged_bot(database_url, slack))
    return first, second


async def test_the_same_alertmanager_delivery_to_two_replicas_opens_one_incident(
        database_url: str, slack: SlackEmulator) -> None:
    async with AsyncExitStack() as stack:
        first, second = await _two_replicas(stack, database_url, slack)
        payload = fixture("alertmanager_firing.json")
        answers = await asyncio.gather(first.pages.alertmanager(payload),
                                       second.pages.alertmanager(payload))
        assert {answer.status for answer in answers} <= {200, 202}
        await handled(first.engine, alertmanager_delivery_id(payload), slack)
        await slack.wait_until_quiet(quiet_for=0.5)
        (incident,) = await rows.incidents(first.engine)
        assert len(slack.calls_to("conversations.create")) == 1
        kinds = [entry.kind for entry in await rows.timeline(first.engine, incident.number)]
        assert sorted(kinds) == ["alert", "started"]


async def test_the_same_pagerduty_trigger_to_two_replicas_opens_one_incident(
        database_url: str, slack: SlackEmulator) -> None:
    async with AsyncExitStack() as stack:
        first, second = await _two_replicas(stack, database_url, slack)
        triggered = fixture("pagerduty_incident_triggered.json")
        # The same delivery to both, and a second webhook of the same trigger to each.
        await asyncio.gather(first.pages.pagerduty(triggered, webhook_id="wh-1"),
                             second.pages.pagerduty(triggered, webhook_id="wh-1"),
                             first.pages.pagerduty(triggered, webhook_id="wh-2"),
                             second.pages.pagerduty(triggered, webhook_id="wh-2"))
        await slack.wait_for_call("pins.add")
        # The delivery that opened the incident is done; the other, about an incident then
        # being opened, waited in the inbox for the replay loop, which runs now.
        await slack.wait_until_quiet(quiet_for=0.5)
        await EventInbox(second.bot.running.deps).recover(grace=timedelta(0))
        for delivery in ("wh-1", "wh-2"):
            await handled(first.engine, delivery, slack)
        (incident,) = await rows.incidents(first.engine)
        assert len(slack.calls_to("conversations.create")) == 1
        kinds = [entry.kind for entry in await rows.timeline(first.engine, incident.number)]
        assert sorted(kinds) == ["pagerduty", "started"]
