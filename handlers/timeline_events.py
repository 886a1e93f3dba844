"""Events that move the timeline: messages of incident channels (posted, edited, deleted)
and reactions with an emoji that marks the timeline.

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
        # Only queued here: the work runs on the after-ack workers, so a burst of events
        # never becomes a burst of tasks competing with the next ack.
        events.handle_soon(body["team_id"], body.get("event_id"), event)

    app.event("reaction_added")(on_event)
    app.event("reaction_removed")(on_event)
    # Every message of the bot's channels, edits and deletions included: the bot keeps
    # those of incident channels, so marking one later needs no Slack read.
    app.event("message")(on_event)
