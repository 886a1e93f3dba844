"""The bot's Slack client rides out rate limits and Slack's bad moments by itself."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.app import RATE_LIMIT_RETRIES, build_web_client
from bot.devtools.slack_emulator import SlackEmulator
from tests.support.retry_waits import RetryWaits
from tests.support.settings import make_settings


async def test_a_429_is_retried_after_retry_after(slack: SlackEmulator,
                                                  retry_waits: RetryWaits) -> None:
    client = build_web_client(make_settings("sqlite+aiosqlite://", slack))
    slack.rate_limit("chat.postMessage", times=1, retry_after=2)
    response = await client.chat_postMessage(channel="C0GENERAL", text="hello")
    assert response["ok"] is True
    attempts = slack.calls_to("chat.postMessage")
    assert [call.http_status for call in attempts] == [429, 200]
    (waited,) = retry_waits.seconds
    assert waited >= 2  # Retry-After, and never less


async def test_a_5xx_is_retried(slack: SlackEmulator, retry_waits: RetryWaits) -> None:
    client = build_web_client(make_settings("sqlite+aiosqlite://", slack))
    slack.server_error("chat.postMessage", times=1, status=503)
    response = await client.chat_postMessage(channel="C0GENERAL", text="hello")
    assert response["ok"] is True
    assert len(slack.calls_to("chat.postMessage")) == 2


async def test_rate_limits_that_outlast_the_retries_surface_as_ratelimited(
        slack: SlackEmulator, retry_waits: RetryWaits) -> None:
    client = build_web_client(make_settings("sqlite+aiosqlite://", slack))
    slack.rate_limit("chat.postMessage", times=RATE_LIMIT_RETRIES + 1, retry_after=1)
    with pytest.raises(SlackApiError) as raised:
        await client.chat_postMessage(channel="C0GENERAL", text="hello")
    assert raised.value.response.status_code == 429
    assert len(slack.calls_to("chat.postMessage")) == RATE_LIMIT_RETRIES + 1
    assert len(retry_waits.seconds) == RATE_LIMIT_RETRIES
