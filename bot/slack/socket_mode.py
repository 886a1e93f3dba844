"""Socket Mode as Bolt's adapter runs it, with each request counted as over HTTP
(`bot/core/metrics.py`): by kind and outcome, with its time to answer."""

from __future__ import annotations

import time

from slack_bolt.adapter.socket_mode.aiohttp import AsyncSocketModeHandler
from slack_bolt.adapter.socket_mode.async_internals import (
    run_async_bolt_app,
    send_async_response,
)
from slack_sdk.socket_mode.aiohttp import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.core.metrics import observe_request
from bot.slack.request_kinds import kind_of, outcome_of


class MeteredSocketModeHandler(AsyncSocketModeHandler):
    async def handle(self, client: SocketModeClient,  # type: ignore[override]
                     req: SocketModeRequest) -> None:
        # Bolt's own `handle`, timed: its time() for the debug line, ours for the metric.
        started, start = time.perf_counter(), time.time()
        kind, status = kind_of(req.payload, req.type), 500
        try:
            response = await run_async_bolt_app(self.app, req)
            status = response.status
            await send_async_response(client, req, response, start)
        finally:
            observe_request(kind, outcome_of(status), time.perf_counter() - started)
