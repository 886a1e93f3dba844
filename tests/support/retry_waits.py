"""Slack's client waits between retries (Retry-After on a 429, a back-off after a 5xx). Tests
record how long it would have waited instead of waiting: the retries are the behaviour, the
seconds are only Slack's manners."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from slack_sdk.http_retry import async_handler, builtin_async_handlers


class RetryWaits:
    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(0)


def record_retry_waits(monkeypatch: pytest.MonkeyPatch) -> RetryWaits:
    """Replace the sleep of slack_sdk's retry handlers (only theirs) for this test."""
    waits = RetryWaits()
    for module in (async_handler, builtin_async_handlers):
        monkeypatch.setattr(module, "asyncio", SimpleNamespace(sleep=waits.sleep))
    return waits
