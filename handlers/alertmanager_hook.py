"""`POST /hooks/alertmanager`: Prometheus Alertmanager's webhook (payload version 4).

Alertmanager cannot sign its webhooks; its `http_config` sends a bearer token, compared here
in constant time (wrong or missing: 401). Answers:
- 202 once the delivery is kept in the inbox (200 for a repeat already handled);
- 400 for an authenticated body Sitrep cannot read (not JSON, not version 4, a field of
  the wrong type), naming what is wrong: Alertmanager does not retry a 4xx, and logs the
  status and the body's first words, where whoever configured it will look;
- 413 for a body beyond the cap (set `max_alerts` on the receiver);
- 503 when the inbox cannot be written, which Alertmanager retries."""

from __future__ import annotations

import hashlib
import hmac
import logging

from aiohttp import web

from bot.deps import Deps
from bot.domain.pages import MalformedPage, alert_group
from bot.domain.vocabulary import PageSource
from bot.usecases.event_inbox import EventInbox
from handlers.hook_requests import answer, delivery_id, keep, read_at_most, read_page

log = logging.getLogger(__name__)

PATH = "/hooks/alertmanager"
SOURCE = PageSource.ALERTMANAGER
# A group of a few hundred alerts with their labels and annotations fits well within this.
MAX_BYTES = 4 * 1024 * 1024


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


class AlertmanagerHook:
    def __init__(self, deps: Deps, token: str) -> None:
        self.events = EventInbox(deps)
        self._expected = _digest(f"Bearer {token}")

    def authorized(self, request: web.Request) -> bool:
        # Digests of equal length are compared, so not even the token's length leaks.
        given = _digest(request.headers.get("Authorization", "").strip())
        return hmac.compare_digest(given, self._expected)

    async def __call__(self, request: web.Request) -> web.Response:
        if not self.authorized(request):
            log.warning("refused an Alertmanager delivery without the right bearer token")
            response = answer(SOURCE, "unauthorized", 401, "wrong or missing bearer token")
            response.headers["WWW-Authenticate"] = 'Bearer realm="sitrep"'
            return response
        body = await read_at_most(request, MAX_BYTES)
        if body is None:
            log.warning("refused an Alertmanager delivery of more than %d bytes", MAX_BYTES)
            return answer(SOURCE, "too_large", 413, f"more than {MAX_BYTES} bytes; set "
                          "max_alerts on the receiver")
        try:
            payload, group = read_page(body, alert_group)
        except MalformedPage as bad:
            log.warning("refused an Alertmanager delivery Sitrep cannot read: %s", bad)
            return answer(SOURCE, "malformed", 400, str(bad))
        log.info("Alertmanager: group %s %s, %d alerts", group.group_key, group.status,
                 len(group.alerts))
        return await keep(self.events, SOURCE, delivery_id(None, body), body, payload)
