"""`/incident` with nothing to do, or something it does not know: usage, only to the asker.

Over signed HTTP (the first end-to-end path) in tests/e2e/test_http_endpoint.py."""

from __future__ import annotations

import pytest

from tests.support.app_under_test import AppUnderTest


async def test_an_empty_command_is_help(bot: AppUnderTest) -> None:
    response = await bot.client.slash_command("")
    assert "`/incident help`" in response.message


@pytest.mark.parametrize("typed", ["strat sev2 Checkout down", "resolv", "🔥"])
async def test_an_unknown_subcommand_is_answered_with_usage(bot: AppUnderTest,
                                                            typed: str) -> None:
    response = await bot.client.slash_command(typed, user_id="U0BOB")
    await bot.settle()
    assert response.status == 200
    text = response.message
    assert text.startswith(f"I don't know `/incident {typed.split()[0]}`.")
    assert "`/incident help`" in text
    assert bot.slack.calls_to("chat.postMessage") == []
    assert bot.slack.calls_to("conversations.create") == []
