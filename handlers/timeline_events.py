"""Events that move the timeline: messages of incident channels (posted, edited, deleted)
and reactions with an emoji that marks the timeline.

A middleware writes each such event to the inbox before Slack is acknowledged; a
redelivery of an event already handled is acknowledged and dropped right there.

Over HTTP the same events take a shorter road (`TimelineEventsFastPath`): in the burst of
a major incident they are most of what Slack sends, and Bolt's middleware chain and
listener matching cost three times the rest of their ack. The server has checked the
signature before; anything that is not a well-formed timeline event goes to Bolt as before
(which refuses a malformed one: `handlers/request_gate.py`)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_bolt.response import BoltResponse

from bot.deps import Deps
from bot.slack.request_shapes import problem_with
from bot.usecases.event_inbox import EventInbox
from handlers.installation import installation_id


def register(app: AsyncApp, deps: Deps) -> None:
    events = EventInbox(deps)

    @app.middleware
    async def inbox(body: dict[str, Any],
                    next: Callable[[], Awaitable[None]]) -> BoltResponse | None:
        event = body.get("event")
        team_id = installation_id(body)
        if body.get("type") != "event_callback" or not isinstance(event, dict) or \
                team_id is None or not events.wants(event):
            await next()
            return None
        if not await events.receive(team_id, body["event_id"], body):
            # Already handled (Slack retried, or another replica got there first).
            return BoltResponse(status=200, body="")
        await next()
        return None

    async def on_event(body: dict[str, Any], event: dict[str, Any]) -> None:
        # Only queued here: the work runs on the after-ack workers, so a burst of events
        # never becomes a burst of tasks competing with the next ack.
        team_id = installation_id(body)
        if team_id is not None:
            events.handle_soon(team_id, body.get("event_id"), event)

    app.event("reaction_added")(on_event)
    app.event("reaction_removed")(on_event)
    # Every message of the bot's channels, edits and deletions included: the bot keeps
    # those of incident channels, so marking one later needs no Slack read.
    app.event("message")(on_event)


class TimelineEventsFastPath:
    """Timeline events over HTTP: written to the inbox and acknowledged without Bolt,
    their work queued for the after-ack workers exactly as the listener above does."""

    def __init__(self, deps: Deps) -> None:
        self.events = EventInbox(deps)

    async def acknowledge(self, body: bytes) -> bool:
        """True when the request (its signature already verified) was a timeline event, now
        safely in the inbox; False leaves the request to Bolt (not an event, malformed, not
        the timeline's)."""
        if b'"event_callback"' not in body:
            return False
        try:
            text = body.decode()
            payload = json.loads(text)
        except (ValueError, RecursionError):
            return False
        if not isinstance(payload, dict) or payload.get("type") != "event_callback" or \
                problem_with(payload) is not None:
            return False
        event, event_id = payload["event"], payload["event_id"]
        # The installation, not the envelope's team_id: in a shared channel that is the
        # team of whoever reacted.
        team_id = installation_id(payload)
        if team_id is None or not self.events.wants(event):
            return False
        if await self.events.receive(team_id, event_id, text):
            self.events.handle_soon(team_id, event_id, event)
        return True
