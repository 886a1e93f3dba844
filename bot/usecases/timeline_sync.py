"""Keeps the timeline in step with a marked message as Slack has it now.

A reaction, an edit or a deletion all come here. The message is read from Slack outside
any transaction (a rate-limited read must not hold a lock); the incident's row is locked
only while the entries change, and the event is marked processed in that same
transaction, so its effect and its "done" are saved together or not at all."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.db.engine import transaction
from bot.deps import Deps
from bot.domain import inbox, incidents, timeline
from bot.domain.errors import NotAnIncidentChannel
from bot.domain.messages import ChannelMessage
from bot.slack.failures import SlackFailure
from bot.slack.gateway import SlackGateway
from bot.slack.messages import from_api

log = logging.getLogger(__name__)

REACTION_EVENTS = frozenset({"reaction_added", "reaction_removed"})
# Read-write-reread rounds per event; two suffice unless the message keeps moving.
SYNC_ROUNDS = 3
_NOTHING = object()


@dataclass(frozen=True)
class MessageRef:
    channel_id: str
    ts: str


def message_of(event: Mapping[str, Any], emoji_kinds: Mapping[str, str]) -> MessageRef | None:
    """The message an event is about, if it is one the timeline cares about."""
    kind = event.get("type")
    if kind in REACTION_EVENTS:
        item = event.get("item") or {}
        if item.get("type") != "message" or event.get("reaction") not in emoji_kinds:
            return None
        return MessageRef(str(item["channel"]), str(item["ts"]))
    if kind == "message" and event.get("subtype") == "message_changed":
        return MessageRef(str(event["channel"]), str(event["message"]["ts"]))
    if kind == "message" and event.get("subtype") == "message_deleted":
        return MessageRef(str(event["channel"]), str(event["deleted_ts"]))
    return None


class TimelineSync:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def slack(self) -> SlackGateway:
        return self.deps.slack

    async def sync(self, team_id: str, ref: MessageRef, *, only_if_on_timeline: bool,
                   event_id: str | None = None) -> None:
        """Bring the message's entries in line with Slack, and mark `event_id` processed.

        Two events for one message may read Slack in one order and write in the other, so
        after writing, Slack is read again and, if the message moved meanwhile, written
        again: the last write always follows the latest read."""
        async with self.deps.sessions() as session:
            try:
                incident = await incidents.in_channel(session, team_id, ref.channel_id)
            except NotAnIncidentChannel:
                incident = None  # reactions and edits elsewhere are none of our business
            known = ({entry.kind for entry in await timeline.entries_for(session, incident,
                                                                         ref.ts)}
                     if incident is not None else set())
        if incident is None or (only_if_on_timeline and not known):
            await self.mark_processed(team_id, event_id)
            return
        applied: object = _NOTHING
        added: list[str] = []
        removed: list[str] = []
        on_timeline = False
        for _ in range(SYNC_ROUNDS):
            message = await self.read(ref)
            if message == applied:
                break
            wanted = (timeline.wanted_kinds(message, self.deps.settings.timeline_emoji, None)
                      if message is not None else {})
            if message is None or set(wanted) <= known:
                # Nothing new to add, so no need to ask Slack for a link or a name.
                source = timeline.Source(ref.channel_id, ref.ts, None, None)
            else:
                source = await self.describe(ref, message)
            async with transaction(self.deps.sessions) as session:
                locked = await incidents.in_channel(session, team_id, ref.channel_id,
                                                    for_change=True)
                result = await timeline.reconcile(session, locked, source=source,
                                                  message=message, wanted=wanted,
                                                  now=self.deps.clock.now())
                if event_id is not None:
                    await inbox.mark_processed(session, team_id=team_id, event_id=event_id,
                                               now=self.deps.clock.now())
            added += result.added
            removed += result.removed
            known = (known | set(result.added)) - set(result.removed)
            on_timeline = result.on_timeline
            applied = message
        await self.confirm(ref, timeline.Reconciled(tuple(added), tuple(removed), on_timeline))

    async def mark_processed(self, team_id: str, event_id: str | None) -> None:
        if event_id is None:
            return
        async with transaction(self.deps.sessions) as session:
            await inbox.mark_processed(session, team_id=team_id, event_id=event_id,
                                       now=self.deps.clock.now())

    async def read(self, ref: MessageRef) -> ChannelMessage | None:
        raw = await self.slack.fetch_message(ref.channel_id, ref.ts)
        return from_api(raw) if raw is not None else None

    async def describe(self, ref: MessageRef, message: ChannelMessage) -> timeline.Source:
        person = message.author_id if message.author_id and message.author_id[0] in "UW" \
            else None
        author = await self.slack.display_name(person) if person else message.bot_name
        permalink = await self.slack.permalink(ref.channel_id, ref.ts)
        return timeline.Source(ref.channel_id, ref.ts, author, permalink)

    async def confirm(self, ref: MessageRef, result: timeline.Reconciled) -> None:
        """The bot's own small reaction says "on the timeline" without a message."""
        emoji = self.deps.settings.timeline_confirm_emoji
        if emoji is None or not (result.added or result.removed):
            return
        try:
            if result.on_timeline:
                await self.slack.react(ref.channel_id, ref.ts, emoji)
            else:
                await self.slack.unreact(ref.channel_id, ref.ts, emoji)
        except SlackFailure as failure:
            # The entry is saved; a missing confirmation is cosmetic.
            log.warning("could not confirm timeline entry %s: %s", ref.ts, failure.error)
