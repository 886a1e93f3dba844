"""The bot's Slack client rides out rate limits and Slack's bad moments by itself."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.app import RATE_LIMIT_RETRIES, build_web_client
from bot.devtools.slack_emulator import SlackEmulator

from .conftest import make_settings

pytestmark = pytest.mark.asyncio


async def test_a_429_is_retried_after_retry_after(slack: SlackEmulator) -> None:
    client = build_web_client(make_settings("sqlite+aiosqlite://", slack))
    slack.rate_limit("chat.postMessage", times=1, retry_after=1)
    response = await client.chat_postMessage(channel="C0GENERAL", text="hello")
    assert response["ok"] is True
    attempts = slack.calls_to("chat.postMessage")
    assert [call.http_status for call in attempts] == [429, 200]


async def test_a_5xx_is_retried(slack: SlackEmulator) -> None:
    client = build_web_client(make_settings("sqlite+aiosqlite://", slack))
    slack.server_error("chat.postMessage", times=1, status=503)
    response = await client.chat_postMessage(channel="C0GENERAL", text="hello")
    assert response["ok"] is True
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_rate_limits_that_outlast_the_retries_surface_as_ratelimited(
        slack: SlackEmulator) -> None:
    client = build_web_client(make_settings("sqlite+aiosqlite://", slack))
    slack.rate_limit("chat.postMessage", times=RATE_LIMIT_RETRIES + 1, retry_after=1)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0GENERAL", text="hello")
    assert raised.value.response.status_code == 429
    assert len(slack.calls_to("chat.postMessage")) == RATE_LIMIT_RETRIES + 1
