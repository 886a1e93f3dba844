"""The Socket Mode side of the emulator: the WebSocket an app connects to after
``apps.connections.open``, carrying envelopes out and acknowledgements back."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from bot.devtools.emulator_state import APP_ID

log = logging.getLogger(__name__)


class SocketModeServer:
    def __init__(self, on_change: Callable[[], None]) -> None:
        self._on_change = on_change
        self._tickets: set[str] = set()
        self.connections: list[web.WebSocketResponse] = []
        self.connection_count = 0
        # envelope_id -> the whole ack message the app sent back
        self.acks: dict[str, dict[str, Any]] = {}
        self.sent: list[dict[str, Any]] = []
        self.received: list[Any] = []

    def issue_ticket(self) -> str:
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        return ticket

    def open_connections(self) -> list[web.WebSocketResponse]:
        return [ws for ws in self.connections if not ws.closed]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        # The SDK reuses its URL when it reconnects, so a ticket stays valid once issued.
        if request.query.get("ticket") not in self._tickets:
            return web.json_response({"ok": False, "error": "invalid_ticket"}, status=401)
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.connections.append(ws)
        self.connection_count += 1
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.open_connections()),
                "debug_info": {"host": "emulator", "approximate_connection_time": 18060},
                "connection_info": {"app_id": APP_ID},
            }
        )
        self._on_change()
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    self._receive(message.data)
                elif message.type == WSMsgType.ERROR:
                    log.debug("socket mode connection error: %s", ws.exception())
        finally:
            if ws in self.connections:
                self.connections.remove(ws)
            self._on_change()
        return ws

    def _receive(self, data: str) -> None:
        try:
            body = json.loads(data)
        except ValueError:
            log.warning("socket mode client sent non-JSON: %r", data[:200])
            return
        self.received.append(body)
        if isinstance(body, dict) and isinstance(body.get("envelope_id"), str):
            self.acks[body["envelope_id"]] = body
            self._on_change()

    async def send(
        self,
        type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool,
        retry_attempt: int,
        retry_reason: str,
    ) -> str:
        connections = self.open_connections()
        if not connections:
            raise RuntimeError("no Socket Mode client is connected to the emulator")
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": type,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": retry_attempt,
            "retry_reason": retry_reason,
        }
        self.sent.append(envelope)
        # Slack delivers each envelope on one connection; the newest is the one that's live.
        await connections[-1].send_json(envelope)
        return envelope_id

    async def disconnect(self, reason: str) -> None:
        """Ask the client to reconnect, as Slack does before it recycles a connection."""
        for ws in self.open_connections():
            await ws.send_json(
                {"type": "disconnect", "reason": reason, "debug_info": {"host": "emulator"}}
            )

    async def close(self) -> None:
        for ws in list(self.connections):
            await ws.close(code=WSCloseCode.GOING_AWAY, message=b"emulator stopping")
        self.connections.clear()
