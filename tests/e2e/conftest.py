"""End to end: the bot served over real HTTP (in this process, or as `sitrep serve`)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.devtools.slack_emulator import SlackEmulator
from tests.support.dashboard import Browser, browser, serve_dashboard
from tests.support.served_bot import ServedBot, serve, stop
from tests.support.settings import make_settings


@pytest.fixture
async def bot(database_url: str, slack: SlackEmulator) -> AsyncIterator[ServedBot]:
    running = await serve(make_settings(database_url, slack), slack)
    try:
        yield running
    finally:
        await stop(running)


@pytest.fixture
async def dashboard(database_url: str, slack: SlackEmulator) -> AsyncIterator[ServedBot]:
    """The bot served with its dashboard on (Sign in with Slack through the emulator)."""
    running = await serve_dashboard(database_url, slack)
    try:
        yield running
    finally:
        await stop(running)


@pytest.fixture
async def signed_in(dashboard: ServedBot) -> AsyncIterator[Browser]:
    """A browser signed in to `dashboard` as Alice."""
    async with browser(dashboard.url) as opened:
        await opened.sign_in(dashboard.slack)
        yield opened
