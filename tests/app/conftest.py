"""The app built by `bot.app.build_app`, dispatched in process against the Slack emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.devtools.slack_emulator import SlackEmulator
from tests.support.app_under_test import AppUnderTest, app_under_test
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

