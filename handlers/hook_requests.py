"""What the two paging webhooks share: reading a body with a cap, and keeping a delivery in
the event inbox before the answer.

The answer waits only for the inbox write (milliseconds): the incident is opened and the
channel told after it (`bot/usecases/paging.py`), well inside the 5 s PagerDuty gives and
Alertmanager's own timeout. A delivery the bot could not keep (the database not answering)
gets a 503, so the sender tries again; one kept is never lost."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from aiohttp import web

from bot.core.metrics import PAGE_DELIVERIES
from bot.domain.pages import MalformedPage
from bot.usecases.event_inbox import EventInbox
from bot.usecases.paging import INBOX_TEAMS

log = logging.getLogger(__name__)

_READ_CHUNK_BYTES = 64 * 1024
# Inbox event ids are at most this long; a longer delivery id is digested to fit.
_MAX_ID = 64

Page = TypeVar("Page")


async def read_at_most(request: web.Request, limit: int) -> bytes | None:
    """The body, or None once it is longer than `limit` (whatever Content-Length says)."""
    if request.content_length is not None and request.content_length > limit:
        return None
    body = bytearray()
    async for chunk in request.content.iter_chunked(_READ_CHUNK_BYTES):
        body += chunk
        if len(body) > limit:
            return None
    return bytes(body)


def json_object(body: bytes) -> dict[str, Any] | None:
    """The body as a JSON object, or None. UTF-8 only (what both tools send): `json.loads`
    would also read UTF-16 or UTF-32, which the inbox cannot keep as text, and a body
    refused there gets a 503 that the sender repeats for ever."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except (ValueError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def read_page(body: bytes, parse: Callable[[Mapping[str, Any]], Page]
              ) -> tuple[dict[str, Any], Page]:
    """The body as JSON and as the paging tool's page; `MalformedPage` names what is
    wrong."""
    payload = json_object(body)
    if payload is None:
        raise MalformedPage("the body is not a JSON object")
    return payload, parse(payload)


def delivery_id(given: str | None, body: bytes) -> str:
    """The sender's id for the delivery, or (Alertmanager sends none) the body's digest: a
    notification repeated word for word is the same delivery."""
    if given and len(given) <= _MAX_ID:
        return given
    return hashlib.sha256(given.encode() if given else body).hexdigest()


def answer(source: str, outcome: str, status: int, said: str) -> web.Response:
    PAGE_DELIVERIES.labels(source, outcome).inc()
    return web.json_response({"status": outcome, "detail": said}, status=status)


async def keep(events: EventInbox, source: str, identifier: str, body: bytes,
               payload: Mapping[str, Any]) -> web.Response:
    """Write the delivery to the inbox, queue its work for after the answer, and answer."""
    team = INBOX_TEAMS[source]
    try:
        fresh = await events.receive(team, identifier, body.decode())
    except Exception:
        log.exception("could not keep a %s delivery; answering 503 so it is sent again",
                      source)
        return answer(source, "error", 503, "not kept; send it again")
    if not fresh:
        return answer(source, "repeat", 200, "already handled")
    events.handle_soon(team, identifier, payload)
    return answer(source, "accepted", 202, "accepted")
