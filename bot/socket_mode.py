"""Socket Mode as `serve` runs it: Bolt's handler, plus what an operator needs around it —
whether it is connected (for `/healthz`), and a stop that takes no new envelope at once yet
still acknowledges the ones in hand before the connection closes."""

from __future__ import annotations

import asyncio
from contextlib import suppress
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.async_client import AsyncBaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.slack.socket_mode import MeteredSocketModeHandler


class SocketModeConnection:
    def __init__(self, app: AsyncApp, app_token: str) -> None:
        # Bolt's handler, each envelope counted and timed for /metrics.
        self._handler = MeteredSocketModeHandler(app, app_token)
        self._client: SocketModeClient = self._handler.client
        # Envelopes read and not yet acknowledged: the connection must stay open for them.
        self._in_hand: set[asyncio.Task[Any]] = set()
        self._client.socket_mode_request_listeners[:] = [self._answer]

    async def connect(self) -> None:
        await self._handler.connect_async()  # type: ignore[no-untyped-call]

    async def connected(self) -> bool:
        return bool(await self._client.is_connected())

    async def close(self, *, in_hand_timeout: float) -> None:
        """Stop reading (Slack gives what is not acknowledged to another connection, or
        again later), acknowledge what is in hand, then close the connection."""
        client = self._client
        client.closed = True
        client.auto_reconnect_enabled = False
        for reader in (client.message_receiver, client.current_session_monitor,
                       client.message_processor):
            if reader is not None:
                reader.cancel()
                with suppress(asyncio.CancelledError):
                    await reader
        if self._in_hand:
            await asyncio.wait(self._in_hand, timeout=in_hand_timeout)
        # Nothing reads the connection any more, so closing it reads Slack's reply itself
        # instead of waiting for a reader to pass it on.
        await client.close()  # type: ignore[no-untyped-call]

    async def _answer(self, _client: AsyncBaseSocketModeClient,
                      request: SocketModeRequest) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._in_hand.add(task)
        try:
            await self._handler.handle(self._client, request)
        finally:
            self._in_hand.discard(task)
