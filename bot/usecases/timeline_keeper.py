"""Keeps incident timelines in step with Slack: reactions, edits, deletions, the shortcut.

Events are written to the inbox before Slack is acknowledged (`receive`), handled after
(`handle`), and replayed at start-up if a crash came between (`recover`). Handling a
message means reading it from Slack as it is now and reconciling, inside a transaction
that holds the incident's row, so concurrent events for one incident apply in turn."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.db.engine import transaction
from bot.db.models import Incident, TimelineEvent
from bot.deps import Deps
from bot.domain import inbox as event_inbox
from bot.domain import incidents, timeline
from bot.domain.incidents import IncidentError, NotAnIncidentChannel, label
from bot.slack.blocks import clip
from bot.slack.gateway import SlackFailure, SlackGateway
from bot.slack.messages import SlackMessage, from_api
from bot.slack.mrkdwn import to_mrkdwn

log = logging.getLogger(__name__)

REACTION_EVENTS = frozenset({"reaction_added", "reaction_removed"})
MESSAGE_SUBTYPES = frozenset({"message_changed", "message_deleted"})
# Between start-ups, an unprocessed row younger than this is probably still in a live
# handler's hands (replaying it would be harmless, only wasteful).
RECOVERY_GRACE = timedelta(seconds=30)
RECOVERY_INTERVAL_S = 60.0
# Read-write-reread rounds per event; two suffice unless the message keeps moving.
SYNC_ROUNDS = 3
_NOTHING = object()
# `/incident timeline` shows the newest entries that fit comfortably in one message.
TIMELINE_REPLY_CHARS = 12_000


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


class TimelineKeeper:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def slack(self) -> SlackGateway:
        return self.deps.slack

    @property
    def emoji_kinds(self) -> Mapping[str, str]:
        return self.deps.settings.timeline_emoji

    # --- the inbox --------------------------------------------------------------------

    async def receive(self, team_id: str, event_id: str, body: dict[str, Any]) -> bool:
        async with transaction(self.deps.sessions) as session:
            return await event_inbox.receive(session, team_id=team_id, event_id=event_id,
                                             payload=body, now=self.deps.clock.now())

    async def handle(self, team_id: str, event_id: str | None, event: Mapping[str, Any]) -> None:
        ref = message_of(event, self.emoji_kinds)
        if ref is not None:
            is_edit = event.get("type") == "message"
            await self.sync(team_id, ref, only_if_on_timeline=is_edit)
        if event_id is not None:
            async with transaction(self.deps.sessions) as session:
                await event_inbox.mark_processed(session, team_id=team_id, event_id=event_id,
                                                 now=self.deps.clock.now())

    async def recover(self, *, grace: timedelta = RECOVERY_GRACE) -> int:
        """Handle events received but never processed — a crash came between, or Slack
        was failing — and returns how many. At start-up (`grace` zero) that is all of them."""
        now = self.deps.clock.now()
        async with transaction(self.deps.sessions) as session:
            pending = await event_inbox.take_for_replay(session, received_before=now - grace)
            await event_inbox.forget_old(session, now=now)
        for row in pending:
            body = json.loads(row.payload or "{}")
            try:
                await self.handle(row.team_id, row.event_id, body.get("event") or {})
            except Exception:
                log.exception("replaying event %s failed; it stays in the inbox", row.event_id)
        if pending:
            log.info("replayed %d Slack events received before a restart", len(pending))
        return len(pending)

    async def keep_recovering(self) -> None:
        """Runs for the life of the process: replay at start-up, then now and again."""
        grace = timedelta(0)
        while True:
            try:
                await self.recover(grace=grace)
            except Exception:
                log.exception("replaying the event inbox failed; trying again later")
            grace = RECOVERY_GRACE
            await asyncio.sleep(RECOVERY_INTERVAL_S)

    # --- reconciling one message ---------------------------------------------------------

    async def sync(self, team_id: str, ref: MessageRef, *, only_if_on_timeline: bool) -> None:
        """Bring the message's entries in line with Slack.

        Slack is read outside any transaction (a rate-limited read must not hold a lock);
        the incident's row is locked only while the rows change. Two events for one
        message may read Slack in one order and write in the other, so after writing,
        Slack is read again and, if the message moved meanwhile, written again: the last
        write always follows the latest read."""
        async with self.deps.sessions() as session:
            try:
                incident = await incidents.in_channel(session, team_id, ref.channel_id)
            except NotAnIncidentChannel:
                return  # reactions and edits elsewhere are none of the timeline's business
            if only_if_on_timeline and not await timeline.entries_for(session, incident,
                                                                      ref.ts):
                return
        applied: object = _NOTHING
        added: list[str] = []
        removed: list[str] = []
        on_timeline = False
        for _ in range(SYNC_ROUNDS):
            message = await self._read(ref)
            if message == applied:
                break
            wanted = (timeline.wanted_kinds(message, self.emoji_kinds, None)
                      if message is not None else {})
            source = await self._source(incident, ref, message, wanted)
            async with transaction(self.deps.sessions) as session:
                locked = await incidents.in_channel(session, team_id, ref.channel_id,
                                                    for_change=True)
                result = await timeline.reconcile(session, locked, source=source,
                                                  message=message, wanted=wanted,
                                                  now=self.deps.clock.now())
            added += result.added
            removed += result.removed
            on_timeline = result.on_timeline
            applied = message
        await self._confirm(ref, timeline.Reconciled(tuple(added), tuple(removed), on_timeline))

    async def _read(self, ref: MessageRef) -> SlackMessage | None:
        raw = await self.slack.fetch_message(ref.channel_id, ref.ts)
        return from_api(raw) if raw is not None else None

    async def _source(self, incident: Incident, ref: MessageRef, message: SlackMessage | None,
                      wanted: Mapping[str, str]) -> timeline.Source:
        async with self.deps.sessions() as session:
            known = {entry.kind for entry in await timeline.entries_for(session, incident,
                                                                        ref.ts)}
        if message is None or set(wanted) <= known:
            # Nothing new to add, so no need to ask Slack for a link or a name.
            return timeline.Source(ref.channel_id, ref.ts, None, None)
        return await self._describe(ref, message)

    async def _describe(self, ref: MessageRef, message: SlackMessage) -> timeline.Source:
        person = message.author_id if message.author_id and message.author_id[0] in "UW" \
            else None
        author = await self.slack.display_name(person) if person else message.bot_name
        permalink = await self.slack.permalink(ref.channel_id, ref.ts)
        return timeline.Source(ref.channel_id, ref.ts, author, permalink)

    async def _confirm(self, ref: MessageRef, result: timeline.Reconciled) -> None:
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

    # --- by hand -------------------------------------------------------------------------

    async def mark_by_hand(self, team_id: str, ref: MessageRef, *, user_id: str, kind: str,
                           comment: str | None) -> int:
        """The "Add to timeline" shortcut; returns the incident number."""
        if kind not in set(self.emoji_kinds.values()):
            raise IncidentError(f"`{kind}` is not a timeline kind here.")
        async with self.deps.sessions() as session:
            await incidents.in_channel(session, team_id, ref.channel_id)
        message = await self._read(ref)
        if message is None:
            raise IncidentError("That message is gone from Slack, so it can't go on the "
                                "timeline.")
        source = await self._describe(ref, message)
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.in_channel(session, team_id, ref.channel_id,
                                                  for_change=True)
            await timeline.mark(session, incident, source=source, message=message, kind=kind,
                                by=user_id, comment=comment, now=self.deps.clock.now())
            number = incident.number
        await self._confirm(ref, timeline.Reconciled(added=(kind,), removed=(),
                                                     on_timeline=True))
        return number

    # --- reading -------------------------------------------------------------------------

    async def listing(self, team_id: str, channel_id: str) -> str:
        """The timeline so far, oldest first and newest last, for the person who asked."""
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.in_channel(session, team_id, channel_id)
            entries = await incidents.timeline(session, incident)
        zone = self.deps.settings.timezone
        lines = [_line(entry, zone) for entry in entries]
        shown: list[str] = []
        size = 0
        for line in reversed(lines):
            size += len(line) + 1
            if size > TIMELINE_REPLY_CHARS:
                break
            shown.insert(0, line)
        head = f"*Timeline of {label(incident.number)}* (times in {zone.key})"
        if len(shown) < len(lines):
            head += (f"\n_{len(lines) - len(shown)} earlier entries are not shown here; the "
                     "retrospective has them all._")
        return "\n".join([head, *shown])


def _line(entry: TimelineEvent, zone: ZoneInfo) -> str:
    when = _local(entry.occurred_at, zone)
    who = entry.author_name or (f"<@{entry.author_id}>" if entry.author_id else "Sitrep")
    text = clip(to_mrkdwn(entry.text).replace("\n", " "), 300)
    link = f" <{entry.permalink}|view>" if entry.permalink else ""
    comment = f" — _{to_mrkdwn(entry.comment)}_" if entry.comment else ""
    return f"• {when} · {timeline.kind_label(entry.kind)} · {who}: {text}{comment}{link}"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")
