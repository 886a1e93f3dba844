"""The app built by `bot.app.build_app`, dispatched in process against the Slack emulator;
and, for use cases tested on their own, the `Deps` it is built from, with a clock the test
moves."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.deps import Deps
from bot.devtools.slack_emulator import SlackEmulator
from tests.support.app_under_test import (
    AppUnderTest,
    app_under_test,
    make_deps,
    stop_background_work,
)
from tests.support.clock import MovableClock
from tests.support.reminder_steps import RemindingBot, reminding_bot
from tests.support.settings import make_settings


@pytest.fixture
def bot_settings() -> dict[str, object]:
    """Extra settings for the `bot` fixture; a test overrides this to change them."""
    return {}


@pytest.fixture
async def bot(database_url: str, slack: SlackEmulator,
              bot_settings: dict[str, object]) -> AsyncIterator[AppUnderTest]:
    async with app_under_test(make_settings(database_url, slack, **bot_settings),
                              slack) as running:
        yield running


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def reminder_settings() -> dict[str, object]:
    """Extra settings for `reminding`: only update reminders, unless a test says more."""
    return {"SITREP_STALE_AFTER": "off", "SITREP_DIGEST_AT": "off"}


@pytest.fixture
async def reminding(database_url: str, slack: SlackEmulator, clock: MovableClock,
                    reminder_settings: dict[str, object]) -> AsyncIterator[RemindingBot]:
    """The bot with its scheduler on the test's clock (`tests.support.reminder_steps`)."""
    settings = make_settings(database_url, slack, **reminder_settings)
    async with reminding_bot(settings, slack, clock) as running:
        yield running


@pytest.fixture
async def deps(database_url: str, engine: AsyncEngine, slack: SlackEmulator,
               clock: MovableClock) -> AsyncIterator[Deps]:
    """What `sitrep serve` gives every handler, for calling a use case directly."""
    made = make_deps(make_settings(database_url, slack), engine, clock)
    try:
        yield made
    finally:
        await stop_background_work(made)
