"""`POST /hooks/pagerduty`: PagerDuty's v3 webhooks, one event per delivery.

Each delivery is signed: `X-PagerDuty-Signature: v1=<hex HMAC-SHA256 of the raw body>`,
several comma-separated while a secret is being rotated (any one that verifies will do);
none that verifies: 401. `X-Webhook-Id` is the same on every attempt at one webhook, so a
redelivery finds its row in the inbox and changes nothing.

PagerDuty drops a webhook answered with a 4xx (429 aside) and disables the subscription
for 24 hours after three dropped in a row. A signed body Sitrep cannot read (an event
shape it does not know) is therefore answered 202 and logged as a WARNING naming what is
wrong: refusing it would not make PagerDuty send a better one, and would stop the pages
that follow. Only a body over the cap (PagerDuty never sends one) gets a 4xx; an inbox
that cannot be written gets a 503, which PagerDuty retries."""

from __future__ import annotations

import hashlib
import hmac
import logging

from aiohttp import web

from bot.deps import Deps
from bot.domain.pages import PING, MalformedPage, pagerduty_event
from bot.domain.vocabulary import PageSource
from bot.usecases.event_inbox import EventInbox
from handlers.hook_requests import answer, delivery_id, keep, read_at_most, read_page

log = logging.getLogger(__name__)

PATH = "/hooks/pagerduty"
SOURCE = PageSource.PAGERDUTY
SIGNATURE_HEADER = "X-PagerDuty-Signature"
WEBHOOK_ID_HEADER = "X-Webhook-Id"
# PagerDuty drops anything over 256 KB itself.
MAX_BYTES = 512 * 1024


def signed(body: bytes, header: str | None, secret: str) -> bool:
    """Whether any `v1=` signature in the header is the body's, checked in constant time."""
    if not header:
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest().encode()
    found = False
    for signature in header.split(","):
        version, _, value = signature.strip().partition("=")
        if version == "v1" and hmac.compare_digest(value.strip().lower().encode(), expected):
            found = True  # no early return: every listed signature costs the same
    return found


class PagerDutyHook:
    def __init__(self, deps: Deps, secret: str) -> None:
        self.events = EventInbox(deps)
        self._secret = secret

    async def __call__(self, request: web.Request) -> web.Response:
        body = await read_at_most(request, MAX_BYTES)
        if body is None:
            log.warning("refused a PagerDuty delivery of more than %d bytes", MAX_BYTES)
            return answer(SOURCE, "too_large", 413, f"more than {MAX_BYTES} bytes")
        if not signed(body, request.headers.get(SIGNATURE_HEADER), self._secret):
            log.warning("refused a PagerDuty delivery without a valid signature")
            return answer(SOURCE, "unauthorized", 401, "no valid X-PagerDuty-Signature")
        try:
            payload, event = read_page(body, pagerduty_event)
        except MalformedPage as bad:
            log.warning("a signed PagerDuty delivery Sitrep cannot read was accepted and "
                        "ignored (a 4xx would count towards disabling the subscription): %s",
                        bad)
            return answer(SOURCE, "malformed", 202, f"ignored: {bad}")
        if event.event_type == PING:
            return answer(SOURCE, "accepted", 200, "pong")
        log.info("PagerDuty: %s for incident %s", event.event_type, event.incident_id or "-")
        identifier = delivery_id(request.headers.get(WEBHOOK_ID_HEADER) or event.event_id
                                 or None, body)
        return await keep(self.events, SOURCE, identifier, body, payload)
