"""Requests to the bot's request URL as anyone on the internet can send them: any bytes,
any headers, signed or not. For the hostile side of the HTTP endpoint; Slack's own requests
are `SignedSlackClient`'s."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest

from bot.devtools.signed_client import BotResponse
from tests.support.settings import SIGNING_SECRET


def signature_headers(body: bytes, *, timestamp: str | None = None,
                      secret: str = SIGNING_SECRET) -> dict[str, str]:
    stamp = timestamp or str(int(time.time()))
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256)
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": "v0=" + digest.hexdigest()}


def form(fields: Mapping[str, str]) -> tuple[bytes, str]:
    return urlencode(fields).encode(), "application/x-www-form-urlencoded"


def interaction(payload: Mapping[str, Any]) -> tuple[bytes, str]:
    return form({"payload": json.dumps(payload)})


def event(envelope: Mapping[str, Any]) -> tuple[bytes, str]:
    return json.dumps(envelope).encode(), "application/json"


async def post(url: str, body: bytes, content_type: str, *, signed: bool = True,
               headers: Mapping[str, str] | None = None) -> BotResponse:
    """POST `body`; signed with the app's secret unless `signed` is False (then only the
    given `headers`)."""
    sent = {"Content-Type": content_type, **(signature_headers(body) if signed else {}),
            **(headers or {})}
    async with aiohttp.ClientSession() as session, \
            session.post(url, data=body, headers=sent) as response:
        return BotResponse(status=response.status, headers=dict(response.headers),
                           text=await response.text())


def everything_logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every record captured so far, as an operator's log would show it: the message,
    with its traceback if it has one."""
    formatter = logging.Formatter("%(levelname)s %(name)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def tracebacks(caplog: pytest.LogCaptureFixture, since: int = 0) -> list[str]:
    return [f"{record.name}: {record.getMessage()}" for record in caplog.records[since:]
            if record.exc_info or "Traceback" in record.getMessage()]
