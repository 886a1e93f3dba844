"""Notices Slack sends about the app itself rather than about a workspace's news.

`app_rate_limited`: Slack is dropping the app's events for the rest of a minute because it
sent more than its limit. It comes to the events URL without a subscription and is no
`event_callback`, so no listener matches it; unanswered, Bolt says 404, and Slack counts
a failed delivery in the very hours it is already dropping events. It is answered 200,
logged as a WARNING (the timeline may miss news from that minute) and counted."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.deps import Deps

log = logging.getLogger(__name__)

APP_RATE_LIMITED = "app_rate_limited"


def register(app: AsyncApp, deps: Deps) -> None:
    @app.middleware
    async def app_rate_limited(body: dict[str, Any],
                               next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        if body.get("type") != APP_RATE_LIMITED:
            await next()
            return None
        deps.tallies[APP_RATE_LIMITED] += 1
        log.warning("Slack is dropping Sitrep's events for a minute (app_rate_limited, "
                    "team %s, minute %s): the timeline may miss news from it",
                    ascii(body.get("team_id"))[:40], ascii(body.get("minute_rate_limited"))[:40])
        return BoltResponse(status=200, body="")
