"""The emulator throttles like Slack when asked: each method by its published tier,
chat.postMessage per channel, a 429 with Retry-After beyond the limit; and not at all unless
asked. Time is the emulator's clock, moved by the test (or by the SDK's own wait)."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import AsyncIterator, Awaitable
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import builtin_async_handlers
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.devtools.emulator_rate_tiers import METHOD_LIMITS
from bot.devtools.emulator_scopes import EVERY_SCOPE
from bot.devtools.slack_emulator import APP_TOKEN_METHODS, SlackEmulator

BOT_TOKEN = "xoxb-sitrep-test"
GENERAL = "C0GENERAL"
PROCESS_START_LIMIT_S = 30


class MovableClock:
    def __init__(self) -> None:
        self.current = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
async def slack(clock: MovableClock) -> AsyncIterator[SlackEmulator]:
    # Every scope: the tiers of methods Sitrep's manifest does not ask for are tested too.
    async with SlackEmulator(clock=clock, rate_tiers=True, scopes=EVERY_SCOPE) as emulator:
        yield emulator


def client_for(slack: SlackEmulator, *retry_handlers: AsyncRateLimitErrorRetryHandler
               ) -> AsyncWebClient:
    return AsyncWebClient(token=BOT_TOKEN, base_url=slack.api_url,
                          retry_handlers=list(retry_handlers))


async def refused(call: Awaitable[Any]) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        await call
    return caught.value


async def test_the_51st_history_call_in_a_minute_is_refused_until_time_moves(
    slack: SlackEmulator, clock: MovableClock
) -> None:
    client = client_for(slack)
    for _ in range(50):
        assert (await client.conversations_history(channel=GENERAL))["ok"] is True

    error = await refused(client.conversations_history(channel=GENERAL))

    assert error.response.status_code == 429
    assert error.response.data == {"ok": False, "error": "ratelimited"}
    retry_after = int(error.response.headers["Retry-After"])
    # Tier 3 refills one call every 1.2 s: Retry-After rounds that up, not to a minute.
    assert retry_after == 2
    clock.advance(1)
    assert (await refused(client.conversations_history(channel=GENERAL))
            ).response.status_code == 429
    clock.advance(retry_after - 1)
    assert (await client.conversations_history(channel=GENERAL))["ok"] is True


async def test_the_sdks_rate_limit_handler_gets_through_once_its_wait_has_passed(
    slack: SlackEmulator, clock: MovableClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def wait_on_the_emulators_clock(seconds: float) -> None:
        # The handler's own sleep moves the emulator's time instead of the test's.
        waits.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    monkeypatch.setattr(builtin_async_handlers, "asyncio",
                        SimpleNamespace(sleep=wait_on_the_emulators_clock))
    plain = client_for(slack)
    for _ in range(50):
        await plain.conversations_history(channel=GENERAL)
    retrying = client_for(slack, AsyncRateLimitErrorRetryHandler(max_retry_count=1))

    response = await retrying.conversations_history(channel=GENERAL)

    assert response["ok"] is True
    statuses = [call.http_status for call in slack.calls_to("conversations.history")]
    assert statuses[-2:] == [429, 200]
    assert len(waits) == 1 and waits[0] >= 2


async def test_methods_are_limited_each_on_its_own(slack: SlackEmulator) -> None:
    client = client_for(slack)
    message = slack.post_human_message(GENERAL, "U0ALICE", "Error rate is up")
    for _ in range(50):
        await client.conversations_history(channel=GENERAL)

    # replies shares history's tier, not its allowance.
    replies = await client.conversations_replies(channel=GENERAL, ts=message["ts"])

    assert replies["ok"] is True


@pytest.mark.parametrize(("method", "arguments", "allowed"), [
    ("conversations.list", {}, 20),
    ("reactions.get", {"channel": GENERAL, "timestamp": "1.000001"}, 50),
    ("users.info", {"user": "U0ALICE"}, 100),
])
async def test_each_tier_allows_its_minutes_worth(slack: SlackEmulator, method: str,
                                                  arguments: dict[str, str],
                                                  allowed: int) -> None:
    client = client_for(slack)
    statuses = []
    for _ in range(allowed + 1):
        try:
            await client.api_call(method, params=arguments)
            statuses.append(200)
        except SlackApiError as error:
            statuses.append(error.response.status_code)

    # Slack's own errors (no such message) still count as calls; only the last is throttled.
    assert statuses[-1] == 429
    assert 429 not in statuses[:-1]


async def test_post_message_is_limited_per_channel(slack: SlackEmulator,
                                                   clock: MovableClock) -> None:
    client = client_for(slack)
    other = slack.create_channel("other")
    burst = 0
    while True:
        try:
            await client.chat_postMessage(channel=GENERAL, text=f"update {burst}")
        except SlackApiError as error:
            assert error.response.status_code == 429
            assert error.response.headers["Retry-After"] == "1"
            break
        burst += 1
        assert burst <= 60, "chat.postMessage was never limited"

    # A short burst over one a second goes through, as Slack allows; then one a second.
    assert burst > 1
    assert (await client.chat_postMessage(channel=other, text="elsewhere"))["ok"] is True
    clock.advance(1)
    assert (await client.chat_postMessage(channel=GENERAL, text="a second later"))["ok"]
    assert (await refused(client.chat_postMessage(channel=GENERAL, text="too soon"))
            ).response.status_code == 429


async def test_every_emulated_method_has_its_tier() -> None:
    emulator = SlackEmulator()
    assert set(emulator.api.methods) | APP_TOKEN_METHODS <= set(METHOD_LIMITS)


async def test_off_by_default(clock: MovableClock) -> None:
    async with SlackEmulator(clock=clock) as slack:
        client = client_for(slack)
        for _ in range(120):
            assert (await client.conversations_history(channel=GENERAL))["ok"] is True
        assert slack.rate_tiers is None


async def test_the_emulator_process_throttles_with_the_flag_and_stops_on_sigterm() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.devtools.slack_emulator", "--rate-tiers",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        first_line = await asyncio.wait_for(process.stdout.readline(),
                                            timeout=PROCESS_START_LIMIT_S)
        api_url = first_line.decode().strip().removeprefix("SLACK_API_URL=")
        assert api_url.startswith("http://127.0.0.1:")
        statuses = []
        async with aiohttp.ClientSession(
                headers={"Authorization": f"Bearer {BOT_TOKEN}"}) as session:
            for _ in range(21):
                # A tier-2 method the manifest's scopes cover (refusals count as calls).
                async with session.post(f"{api_url}conversations.archive",
                                        data={"channel": "C0NOSUCH"}) as response:
                    statuses.append(response.status)
                    retry_after = response.headers.get("Retry-After")
        assert statuses == [200] * 20 + [429]
        assert retry_after is not None and int(retry_after) >= 1

        process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(process.wait(), timeout=PROCESS_START_LIMIT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
