"""Slack's side of the conversation without a web server: signed requests handed straight to
`AsyncApp.async_dispatch`, as bolt-python's own scenario tests do.

The bodies, headers and signatures are the ones `SignedSlackClient` sends over HTTP, so the
app's real signature check runs; only the socket and aiohttp's request parsing are left out.
Bolt runs a listener's work after its ack in tasks of its own; `settle()` waits for exactly
those, so a test reads Slack's and the database's state once the work is done instead of
after a quiet moment."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import slack_bolt
from slack_bolt.async_app import AsyncApp
from slack_bolt.request.async_request import AsyncBoltRequest

from bot.devtools.signed_client import BotResponse, SlackRequests, sign
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


class InProcessSlackClient(SlackRequests):
    """The same steps as `SignedSlackClient` (slash commands, events, interactions), handed
    to an app in this process."""

    def __init__(self, app: AsyncApp, signing_secret: str, slack: SlackEmulator) -> None:
        self.app = app
        self.signing_secret = signing_secret
        self.slack = slack
        self._work: set[asyncio.Task[Any]] = set()

    async def settle(self) -> None:
        """Wait until the work every request so far started after its ack has finished."""
        while self._work:
            work, self._work = self._work, set()
            _, unfinished = await asyncio.wait(work, timeout=SETTLE_TIMEOUT_S)
            if unfinished:
                raise TimeoutError(f"{len(unfinished)} listener(s) still running after "
                                   f"{SETTLE_TIMEOUT_S}s: {unfinished}")

    async def _send(self, body: str, content_type: str, *, bad_signature: bool = False,
                    extra_headers: Mapping[str, str] | None = None) -> BotResponse:
        request = signed_bolt_request(body, content_type, self._secret(bad_signature),
                                      extra_headers=extra_headers)
        before = asyncio.all_tasks()
        response = await self.app.async_dispatch(request)
        # Only Bolt's own tasks: the emulator's connection handlers are not the app's work.
        self._work |= {task for task in asyncio.all_tasks() - before if _started_by_bolt(task)}
        headers = {name: values[0] for name, values in response.headers.items() if values}
        return BotResponse(status=response.status, headers=headers, text=response.body)


def _started_by_bolt(task: asyncio.Task[Any]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and code.co_filename.startswith(_BOLT_SOURCE)
