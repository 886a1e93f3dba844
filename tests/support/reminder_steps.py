"""The bot with its scheduler and a clock the test moves: `later(...)` moves the clock and
runs what has fallen due, as the scheduler's loop would at that moment."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from bot.core.settings import Settings
from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator
from bot.slack import reminder_blocks
from bot.usecases.due_work import scheduled_work
from bot.usecases.scheduler import Scheduler
from tests.support.app_under_test import AppUnderTest, app_under_test
from tests.support.clock import MovableClock


@dataclass
class RemindingBot:
    bot: AppUnderTest
    clock: MovableClock
    scheduler: Scheduler

    async def later(self, **delta: float) -> int:
        """Move the clock, then run everything due by then; returns how many runs."""
        self.clock.advance(**delta)
        return await self.run_due()

    async def run_due(self) -> int:
        await self.bot.settle()
        runs = 0
        while ran := await self.scheduler.run_due():
            runs += ran
        return runs


@asynccontextmanager
async def reminding_bot(settings: Settings, slack: SlackEmulator,
                        clock: MovableClock) -> AsyncIterator[RemindingBot]:
    async with app_under_test(settings, slack, clock=clock) as bot:
        scheduler = scheduled_work(bot.deps)
        await scheduler.prepare()
        yield RemindingBot(bot=bot, clock=clock, scheduler=scheduler)


def _first_block_id(message: dict[str, Any]) -> str | None:
    blocks = message.get("blocks") or []
    return blocks[0].get("block_id") if blocks else None


def reminders(slack: SlackEmulator, channel_id: str) -> list[dict[str, Any]]:
    """Update reminders in the channel as they are now: waiting or answered."""
    return [message for message in slack.messages(channel_id)
            if message.get("user") == slack.bot_user_id
            and _first_block_id(message) in {reminder_blocks.REMINDER_BLOCK,
                                             reminder_blocks.ANSWERED_BLOCK}]


def waiting_reminders(slack: SlackEmulator, channel_id: str) -> list[dict[str, Any]]:
    return [message for message in reminders(slack, channel_id)
            if _first_block_id(message) == reminder_blocks.REMINDER_BLOCK]


def nudges(slack: SlackEmulator, channel_id: str) -> list[dict[str, Any]]:
    return [message for message in slack.messages(channel_id)
            if message.get("user") == slack.bot_user_id
            and _first_block_id(message) == reminder_blocks.NUDGE_BLOCK]


def first_text(message: dict[str, Any]) -> str:
    return str(message["blocks"][0]["text"]["text"])


async def press(reminding: RemindingBot, message: dict[str, Any], action_id: str, *,
                channel_id: str, value: str = "1", user: str = "U0ALICE") -> None:
    bot = reminding.bot
    block_id = next(block["block_id"] for block in message["blocks"]
                    if block["type"] == "actions")
    response = await bot.client.interaction(payloads.block_actions(
        user_id=user, channel_id=channel_id, message=message, action_id=action_id,
        value=value, response_url=bot.slack.response_url("reminder"), block_id=block_id))
    assert response.status == 200
    await bot.settle()
