"""End to end: the bot served over real HTTP (in this process, or as `sitrep serve`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.devtools.slack_emulator import SlackEmulator
from tests.support.served_bot import ServedBot, serve, stop
from tests.support.settings import make_settings


@pytest.fixture
async def bot(database_url: str, slack: SlackEmulator) -> AsyncIterator[ServedBot]:
    running = await serve(make_settings(database_url, slack), slack)
    try:
        yield running
    finally:
        await stop(running)
