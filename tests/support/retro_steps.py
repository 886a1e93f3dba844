"""Resolving an incident and waiting for its retrospective to be posted."""

from __future__ import annotations

import asyncio

from tests.support import rows
from tests.support.bot_under_test import Bot
from tests.support.incident_steps import Opened, command, start_incident
from tests.support.timeline_steps import react


async def resolve(bot: Bot, text: str, *, channel: str, user: str = "U0ALICE") -> None:
    """Resolve, and wait until the retrospective's version is posted (its Slack id stored):
    posting runs after the ack, so a test must not read Slack's side before that."""
    before = len(await rows.retrospectives(bot.engine))
    await command(bot, text, channel=channel, user=user)
    async with asyncio.timeout(10):
        while True:
            versions = (await rows.retrospectives(bot.engine))[before:]
            if [version for version in versions if version.slack_file_id]:
                return
            await asyncio.sleep(0.02)


async def resolved_incident(bot: Bot) -> Opened:
    """INC-1 with a pinned message, a handover to Bob, and Bob's resolve."""
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Deploy 4512 is bad")
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")
    await command(bot, "handover <@U0BOB|bob>", channel=opened.channel_id)
    await resolve(bot, "resolve Rolled back 4512", channel=opened.channel_id, user="U0BOB")
    return opened
