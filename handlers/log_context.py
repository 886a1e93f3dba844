"""Every line logged while a Slack request is handled, after its ack too, carries the
request's id (Slack's `trigger_id`; an event's `event_id`) and the installation's team
(`bot/core/logging.py`). Registered before every other middleware."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.core.logging import bind
from handlers.installation import installation_id


def register(app: AsyncApp) -> None:
    @app.middleware
    async def log_context(body: dict[str, Any], next: Callable[[], Awaitable[None]]) -> None:
        # Bound for the rest of this request's task; the listener's work after the ack
        # runs in a task started from it, which inherits the binding.
        bind(team=installation_id(body), request_id=_short(body.get("trigger_id")),
             event_id=_short(body.get("event_id")))
        await next()


def _short(value: object) -> str | None:
    # Whatever a payload says is cut short: a log line is no place for a stranger's essay.
    return value[:80] if isinstance(value, str) else None
