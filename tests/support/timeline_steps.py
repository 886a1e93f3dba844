"""Reacting, editing and deleting as people do in Slack, with the events Slack sends."""

from __future__ import annotations

import asyncio
import uuid

from bot.devtools import payloads
from bot.devtools.signed_client import BotResponse
from tests.support import rows
from tests.support.bot_under_test import Bot


def new_event_id() -> str:
    return f"Ev{uuid.uuid4().hex[:10].upper()}"


async def processed(bot: Bot, event_id: str, *, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until the bot has finished with an event (its inbox row is marked)."""
    async with asyncio.timeout(timeout):
        while True:
            row = await rows.inbox_event(bot.engine, event_id)
            if row is not None and row.processed_at is not None:
                return
            await asyncio.sleep(0.02)


async def deliver(bot: Bot, event: dict[str, object], *, event_id: str | None = None,
                  retry_num: int | None = None, wait: bool = True,
                  actor_team_id: str | None = None, org_install: bool = False) -> BotResponse:
    """Send an event as Slack does; `actor_team_id` when someone of another team caused it
    in a Slack Connect channel, `org_install` for an org-wide install's envelope."""
    event_id = event_id or new_event_id()
    response = await bot.client.event(event, event_id=event_id, retry_num=retry_num,
                                      actor_team_id=actor_team_id, org_install=org_install)
    assert response.status == 200, response.text
    if wait:
        # Marked processed first, confirmed with the bot's reaction after: wait for both.
        await bot.settle()
        await processed(bot, event_id)
    return response


async def react(bot: Bot, channel: str, ts: str, user: str, emoji: str = "pushpin", *,
                event_id: str | None = None, actor_team_id: str | None = None,
                org_install: bool = False) -> str:
    bot.slack.add_human_reaction(channel, ts, user, emoji)
    event_id = event_id or new_event_id()
    await deliver(bot, payloads.reaction_event("reaction_added", user=user, reaction=emoji,
                                               channel=channel, ts=ts), event_id=event_id,
                  actor_team_id=actor_team_id, org_install=org_install)
    return event_id


async def unreact(bot: Bot, channel: str, ts: str, user: str, emoji: str = "pushpin") -> None:
    bot.slack.remove_human_reaction(channel, ts, user, emoji)
    await deliver(bot, payloads.reaction_event("reaction_removed", user=user, reaction=emoji,
                                               channel=channel, ts=ts))
