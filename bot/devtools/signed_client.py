"""Plays Slack's side of the conversation: signed requests into the bot, as Slack sends them.

Slash commands go form-encoded, interactions as a form field `payload` holding JSON, events
as JSON with the retry headers Slack adds on redelivery. Each request carries a v0
signature made with the app's signing secret, so the bot's real verification runs."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp

from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator


@dataclass(frozen=True)
class BotResponse:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> dict[str, Any] | None:
        """The body as JSON, or None for an empty ack (Slack treats both as success)."""
        if not self.text.strip():
            return None
        try:
            parsed = json.loads(self.text)
        except ValueError:
            return None
        return parsed if isinstance(parsed, dict) else None

    @property
    def message(self) -> str:
        """What the person sees from the ack: Slack shows a plain-text body as it is, or the
        `text` of a JSON body; both are ephemeral unless `response_type` says otherwise."""
        body = self.json
        if body is not None:
            return str(body.get("text", ""))
        return self.text


def sign(signing_secret: str, timestamp: str, body: str) -> str:
    base = f"v0:{timestamp}:{body}".encode()
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()


class SlackRequests:
    """What Slack sends an app, as people cause it: slash commands, events, interactions.
    Subclasses say how a signed request reaches the app (`_send`)."""

    signing_secret: str
    slack: SlackEmulator

    async def slash_command(
        self,
        text: str,
        *,
        user_id: str = "U0ALICE",
        channel_id: str = "C0GENERAL",
        response_key: str | None = None,
        bad_signature: bool = False,
        org_install: bool = False,
    ) -> BotResponse:
        """`/incident <text>`; the bot's later `respond()` calls land on the emulator under
        `response_key` (a fresh one when not given)."""
        fields = payloads.slash_command(
            text, user_id=user_id, channel_id=channel_id,
            response_url=self.slack.response_url(response_key or uuid.uuid4().hex),
            org_install=org_install)
        return await self._send(urlencode(fields), "application/x-www-form-urlencoded",
                                bad_signature=bad_signature)

    async def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
        bad_signature: bool = False,
        actor_team_id: str | None = None,
        org_install: bool = False,
    ) -> BotResponse:
        """Deliver one Events API event; give `retry_num` to play a redelivery, and
        `actor_team_id` or `org_install` for Slack Connect and Enterprise Grid envelopes."""
        envelope = payloads.event_envelope(event, event_id=event_id, actor_team_id=actor_team_id,
                                           org_install=org_install)
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        return await self._send(json.dumps(envelope), "application/json", extra_headers=headers,
                                bad_signature=bad_signature)

    async def interaction(self, payload: dict[str, Any]) -> BotResponse:
        body = urlencode({"payload": json.dumps(payload)})
        return await self._send(body, "application/x-www-form-urlencoded")

    async def app_rate_limited(self) -> BotResponse:
        """Slack's notice that it is dropping the app's events for a minute."""
        return await self._send(json.dumps(payloads.app_rate_limited()), "application/json")

    async def url_verification(self, challenge: str) -> BotResponse:
        return await self._send(json.dumps(payloads.url_verification(challenge)),
                                "application/json")

    def _secret(self, bad_signature: bool) -> str:
        return "0" * len(self.signing_secret) if bad_signature else self.signing_secret

    async def _send(self, body: str, content_type: str, *, bad_signature: bool = False,
                    extra_headers: Mapping[str, str] | None = None) -> BotResponse:
        raise NotImplementedError


class SignedSlackClient(SlackRequests):
    """Signed requests over real HTTP to a served bot."""

    def __init__(self, bot_url: str, signing_secret: str, slack: SlackEmulator) -> None:
        self.bot_url = bot_url
        self.signing_secret = signing_secret
        self.slack = slack
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _send(self, body: str, content_type: str, *, bad_signature: bool = False,
                    extra_headers: Mapping[str, str] | None = None) -> BotResponse:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": sign(self._secret(bad_signature), timestamp, body),
            **(extra_headers or {}),
        }
        if self._session is None:
            self._session = aiohttp.ClientSession()
        async with self._session.post(self.bot_url, data=body.encode(),
                                      headers=headers) as response:
            return BotResponse(status=response.status, headers=dict(response.headers),
                               text=await response.text())
