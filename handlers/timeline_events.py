"""Events that move the timeline: reactions, and edits or deletions of marked messages.

A middleware writes each such event to the inbox before Slack is acknowledged; a
redelivery of an event already handled is acknowledged and dropped right there."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.deps import Deps
from bot.usecases.event_inbox import EventInbox


def register(app: AsyncApp, deps: Deps) -> None:
    events = EventInbox(deps)

    @app.middleware
    async def inbox(body: dict[str, Any],
                    next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event = body.get("event")
        if body.get("type") != "event_callback" or not isinstance(event, dict) or \
                not events.wants(event):
            await next()
            return None
        if not await events.receive(body["team_id"], body["event_id"], body):
            # Already handled (Slack retried, or another replica got there first).
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def on_event(body: dict[str, Any], event: dict[str, Any]) -> None:
        await events.handle(body["team_id"], body.get("event_id"), event)

    app.event("reaction_added")(on_event)
    app.event("reaction_removed")(on_event)
    # Edits and deletions arrive as message events with a subtype; new messages are
    # not the timeline's business (people mark them with a reaction).
    app.event({"type": "message", "subtype": "message_changed"})(on_event)
    app.event({"type": "message", "subtype": "message_deleted"})(on_event)

    @app.event("message")
    async def any_other_message() -> None:
        # Every message in the bot's channels arrives; without a listener Bolt would answer
        # 404 and Slack would retry, and then flag the app.
        return None
