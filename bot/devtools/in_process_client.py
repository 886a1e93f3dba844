"""Slack's side of the conversation without a web server: signed requests handed straight to
`AsyncApp.async_dispatch`, as bolt-python's own scenario tests do.

The bodies, headers and signatures are the ones `SignedSlackClient` sends over HTTP, so the
app's real signature check runs; only the socket and aiohttp's request parsing are left out.
Bolt runs a listener's work after its ack in tasks of its own; `settle()` waits for exactly
those, so a test reads Slack's and the database's state once the work is done instead of
after a quiet moment."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import slack_bolt
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.devtools import payloads
from bot.devtools.signed_client import BotResponse, sign
from bot.devtools.slack_emulator import SlackEmulator

# A listener's work normally takes milliseconds against the emulator; this only turns a hang
# into a readable failure.
SETTLE_TIMEOUT_S = 30.0
_BOLT_SOURCE = str(Path(slack_bolt.__file__).parent)


def signed_bolt_request(body: str, content_type: str, signing_secret: str, *,
                        extra_headers: Mapping[str, str] | None = None,
                        timestamp: int | None = None) -> AsyncBoltRequest:
    """A request as Slack would send it to the app's request URL, signed with v0."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    headers: dict[str, str | Sequence[str]] = {
        "content-type": content_type,
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": sign(signing_secret, stamp, body),
        **{name.lower(): value for name, value in (extra_headers or {}).items()},
    }
    return AsyncBoltRequest(body=body, headers=headers)


class InProcessSlackClient:
    """The same steps as `SignedSlackClient` (slash commands, events, interactions), handed
    to an app in this process."""

    def __init__(self, app: AsyncApp, signing_secret: str, slack: SlackEmulator) -> None:
        self.app = app
        self.signing_secret = signing_secret
        self.slack = slack
        self._work: set[asyncio.Task[Any]] = set()

    async def slash_command(
        self,
        text: str,
        *,
        user_id: str = "U0ALICE",
        channel_id: str = "C0GENERAL",
        response_key: str | None = None,
        bad_signature: bool = False,
    ) -> BotResponse:
        fields = payloads.slash_command(
            text, user_id=user_id, channel_id=channel_id,
            response_url=self.slack.response_url(response_key or uuid.uuid4().hex))
        return await self._dispatch(urlencode(fields), "application/x-www-form-urlencoded",
                                    bad_signature=bad_signature)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> BotResponse:
        envelope = payloads.event_envelope(event, event_id=event_id)
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self._dispatch(json.dumps(envelope), "application/json",
                                    extra_headers=headers)

    async def interaction(self, payload: dict[str, Any]) -> BotResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self._dispatch(body, "application/x-www-form-urlencoded")

    async def url_verification(self, challenge: str) -> BotResponse:
        return await self._dispatch(json.dumps(payloads.url_verification(challenge)),
                                    "application/json")

    async def settle(self) -> None:
        """Wait until the work every request so far started after its ack has finished."""
        while self._work:
            work, self._work = self._work, set()
            _, unfinished = await asyncio.wait(work, timeout=SETTLE_TIMEOUT_S)
            if unfinished:
                raise TimeoutError(f"{len(unfinished)} listener(s) still running after "
                                   f"{SETTLE_TIMEOUT_S}s: {unfinished}")

    async def _dispatch(self, body: str, content_type: str, *, bad_signature: bool = False,
                        extra_headers: Mapping[str, str] | None = None) -> BotResponse:
        secret = "0" * len(self.signing_secret) if bad_signature else self.signing_secret
        request = signed_bolt_request(body, content_type, secret, extra_headers=extra_headers)
        before = asyncio.all_tasks()
        response = await self.app.async_dispatch(request)
        # Only Bolt's own tasks: the emulator's connection handlers are not the app's work.
        self._work |= {task for task in asyncio.all_tasks() - before if _started_by_bolt(task)}
        headers = {name: values[0] for name, values in response.headers.items() if values}
        return BotResponse(status=response.status, headers=headers, text=response.body)


def _started_by_bolt(task: asyncio.Task[Any]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename.startswith(_BOLT_SOURCE)
