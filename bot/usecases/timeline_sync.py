"""Keeps the timeline in step with the messages of incident channels.

Slack sends every message of an incident channel as an event, and every reaction; the bot
keeps them (`bot.domain.message_store`), so a 📌 is resolved from the database with no
Slack read. Only a message the bot never heard of (posted before it was kept, or missed)
is read from Slack, once however many reactions arrive for it at the same moment.

Each event is one write transaction after the ack: the news is applied to the kept
message, the incident's timeline reconciled with it, and the event marked processed, all
saved together or not at all. The incident's row is locked while its entries change, so
events for one incident apply in turn on any number of replicas."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import transaction
from bot.db.models import Incident
from bot.deps import Deps
from bot.domain import inbox, incidents, message_store, timeline
from bot.domain.errors import NotAnIncidentChannel
from bot.domain.messages import ChannelMessage
from bot.domain.vocabulary import Via
from bot.slack.failures import SlackFailure
from bot.slack.gateway import SlackGateway
from bot.slack.messages import from_api

log = logging.getLogger(__name__)

REACTION_EVENTS = frozenset({"reaction_added", "reaction_removed"})
EDITED = frozenset({"message_changed", "message_replied"})
DELETED = "message_deleted"
# Subtypes that are not a message of their own (an edit or deletion is news of another one).
NOT_A_MESSAGE = EDITED | {DELETED}
# A read from Slack is shared by the reactions that ask within this many seconds of it.
SNAPSHOT_SHARED_S = 10.0
SNAPSHOTS_REMEMBERED = 1_000


@dataclass(frozen=True)
class MessageRef:
    channel_id: str
    ts: str


@dataclass(frozen=True)
class _Snapshot:
    message: ChannelMessage | None
    as_of: str


def message_of(event: Mapping[str, Any], emoji_kinds: Mapping[str, str]) -> MessageRef | None:
    """The message an event is news of, if the bot keeps such news: any message, and
    reactions with an emoji that marks the timeline."""
    kind = event.get("type")
    if kind in REACTION_EVENTS:
        item = event.get("item") or {}
        if item.get("type") != "message" or event.get("reaction") not in emoji_kinds:
            return None
        return MessageRef(str(item["channel"]), str(item["ts"]))
    if kind != "message" or not event.get("channel"):
        return None
    subtype = event.get("subtype")
    if subtype in EDITED:
        return MessageRef(str(event["channel"]), str((event.get("message") or {})["ts"]))
    if subtype == DELETED:
        return MessageRef(str(event["channel"]), str(event["deleted_ts"]))
    return MessageRef(str(event["channel"]), str(event["ts"]))


def slack_time(event: Mapping[str, Any]) -> str:
    """When Slack says the news happened, in Slack's own `ts` form (sortable as text)."""
    return str(event.get("event_ts") or event.get("ts") or "0")


class TimelineSync:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        # Reads from Slack under way or just done, so the reactions of one burst on an
        # unknown message share one read (Slack's history methods allow about 50 calls a
        # minute): a reaction may find the message unknown just before a read is saved.
        self._reading: dict[MessageRef, tuple[float, asyncio.Future[_Snapshot]]] = {}

    @property
    def slack(self) -> SlackGateway:
        return self.deps.slack

    # --- news ------------------------------------------------------------------------------

    async def on_event(self, team_id: str, event: Mapping[str, Any],
                       event_id: str | None) -> None:
        ref = message_of(event, self.deps.settings.timeline_emoji)
        if ref is None:
            await self.mark_processed(team_id, event_id)
        elif event.get("type") in REACTION_EVENTS:
            await self.on_reaction(team_id, ref, event, event_id)
        else:
            await self.on_message(team_id, ref, event, event_id)

    async def on_reaction(self, team_id: str, ref: MessageRef, event: Mapping[str, Any],
                          event_id: str | None) -> None:
        async with self.deps.sessions() as session:
            incident = await self._incident(session, ref)
            kept = await message_store.kept(session, ref.channel_id, ref.ts) \
                if incident is not None else None
        if incident is None:
            await self.mark_processed(team_id, event_id)
            return
        snapshot = None
        if kept is None or not kept.reactions_known:
            snapshot = await self._read_once(ref, as_of=slack_time(event))
        known = snapshot.message if snapshot is not None else (kept.message if kept else None)
        source = await self._source(ref, known)
        emoji, user = str(event["reaction"]), str(event.get("user") or "")
        async with transaction(self.deps.sessions) as session:
            await incidents.lock(session, incident)
            if snapshot is not None:
                await message_store.keep_snapshot(session, team_id=team_id,
                                                  channel_id=ref.channel_id, ts=ref.ts,
                                                  message=snapshot.message,
                                                  as_of=snapshot.as_of)
            if user:
                await message_store.react(session, channel_id=ref.channel_id, ts=ref.ts,
                                          emoji=emoji, user_id=user,
                                          present=event["type"] == "reaction_added",
                                          as_of=slack_time(event),
                                          since_posted=kept is not None and kept.since_posted)
            result = await self._reconcile(session, incident, ref, source)
            await self._processed(session, team_id, event_id)
        await self.confirm(ref, result)

    async def on_message(self, team_id: str, ref: MessageRef, event: Mapping[str, Any],
                         event_id: str | None) -> None:
        """A message posted, edited or deleted: keep it, and if it is on the timeline let
        its entries follow it."""
        subtype = event.get("subtype")
        as_of = slack_time(event)
        if subtype not in NOT_A_MESSAGE:
            await self._keep_posted(team_id, ref, event, event_id)
            return
        async with self.deps.sessions() as session:
            incident = await self._incident(session, ref)
            on_timeline = bool(await timeline.entries_for(session, incident, ref.ts)) \
                if incident is not None else False
            kept = await message_store.kept(session, ref.channel_id, ref.ts) \
                if on_timeline else None
        if incident is None:
            await self.mark_processed(team_id, event_id)
            return
        snapshot = None
        if on_timeline and subtype != DELETED and (kept is None or not kept.reactions_known):
            # Entries from before messages were kept: their reactions are read once.
            snapshot = await self._read_once(ref, as_of=as_of)
        # A snapshot may reveal a reaction no event told of: its entry gets a name and link.
        source = (await self._source(ref, snapshot.message) if snapshot is not None
                  else _bare_source(ref))
        async with transaction(self.deps.sessions) as session:
            # The incident's row first, as every writer of its timeline takes it (one order
            # of locks, so two replicas never wait on each other), and always: a reaction
            # stored meanwhile may have put this message on the timeline after our read.
            await incidents.lock(session, incident)
            if subtype == DELETED:
                await message_store.forget(session, team_id=team_id, channel_id=ref.channel_id,
                                           ts=ref.ts, as_of=as_of)
            else:
                message = from_api(event.get("message") or {})
                if message is not None:
                    await message_store.keep(session, team_id=team_id,
                                             channel_id=ref.channel_id, message=message,
                                             as_of=as_of, posted=False)
            if snapshot is not None:
                await message_store.keep_snapshot(
                    session, team_id=team_id, channel_id=ref.channel_id, ts=ref.ts,
                    message=snapshot.message, as_of=snapshot.as_of)
            on_timeline = bool(await timeline.entries_for(session, incident, ref.ts))
            result = (await self._reconcile(session, incident, ref, source)
                      if on_timeline else None)
            await self._processed(session, team_id, event_id)
        if result is not None:
            await self.confirm(ref, result)

    async def _keep_posted(self, team_id: str, ref: MessageRef, event: Mapping[str, Any],
                           event_id: str | None) -> None:
        """A new message: the commonest news in a busy channel, so one transaction."""
        message = from_api(event)
        async with transaction(self.deps.sessions) as session:
            if message is not None and await self._incident(session, ref) is not None:
                await message_store.keep(session, team_id=team_id, channel_id=ref.channel_id,
                                         message=message, as_of=slack_time(event), posted=True)
            await self._processed(session, team_id, event_id)

    async def mark_processed(self, team_id: str, event_id: str | None) -> None:
        if event_id is None:
            return
        async with transaction(self.deps.sessions) as session:
            await self._processed(session, team_id, event_id)

    # --- reading Slack, for messages the bot never heard of -------------------------------

    async def read(self, ref: MessageRef) -> ChannelMessage | None:
        raw = await self.slack.fetch_message(ref.channel_id, ref.ts)
        return from_api(raw) if raw is not None else None

    async def _read_once(self, ref: MessageRef, *, as_of: str) -> _Snapshot:
        """The message as Slack has it now, dated `as_of`: the Slack time of the news that
        made us read, which happened before the read began, so the read holds it and all
        news before it. Reactions that join a read under way get the first reader's date:
        their own news may be newer than what the read saw, and is applied after it."""
        now = time.monotonic()
        known = self._reading.get(ref)
        if known is not None and (not known[1].done() or now - known[0] < SNAPSHOT_SHARED_S):
            return await asyncio.shield(known[1])
        if len(self._reading) > SNAPSHOTS_REMEMBERED:
            self._reading = {key: value for key, value in self._reading.items()
                             if now - value[0] < SNAPSHOT_SHARED_S}
        future: asyncio.Future[_Snapshot] = asyncio.get_running_loop().create_future()
        self._reading[ref] = (now, future)
        try:
            snapshot = _Snapshot(await self.read(ref), as_of)
        except BaseException as error:
            del self._reading[ref]
            future.set_exception(error)
            future.exception()  # retrieved here, so a read nobody else awaited logs nothing
            raise
        future.set_result(snapshot)
        return snapshot

    async def describe(self, ref: MessageRef, message: ChannelMessage) -> timeline.Source:
        """Who wrote it and a link to it; neither costs a Slack call once warm."""
        person = message.author_id if message.author_id and message.author_id[0] in "UW" \
            else None
        author = await self.slack.display_name(person) if person else message.bot_name
        permalink = await self.slack.permalink(ref.channel_id, ref.ts,
                                               thread_ts=message.thread_ts)
        return timeline.Source(ref.channel_id, ref.ts, author, permalink)

    async def confirm(self, ref: MessageRef, result: timeline.Reconciled) -> None:
        """The bot's own small reaction says "on the timeline" without a message. It is
        cosmetic: Slack's rate limit on reactions (about 50 a minute) must never hold up
        the timeline, so while Slack asks us to wait, confirmations are skipped."""
        emoji = self.deps.settings.timeline_confirm_emoji
        if emoji is None or not (result.added or result.removed):
            return
        try:
            if result.on_timeline:
                await self.slack.react(ref.channel_id, ref.ts, emoji, cosmetic=True)
            else:
                await self.slack.unreact(ref.channel_id, ref.ts, emoji, cosmetic=True)
        except SlackFailure as failure:
            # The entry is saved; a missing confirmation is cosmetic.
            log.debug("no timeline confirmation on %s: %s", ref.ts, failure.error)

    # --- inside the transaction -------------------------------------------------------------

    async def _incident(self, session: AsyncSession, ref: MessageRef) -> Incident | None:
        try:
            return await incidents.in_channel(session, ref.channel_id)
        except NotAnIncidentChannel:
            return None  # news from elsewhere is none of the timeline's business

    async def _source(self, ref: MessageRef, message: ChannelMessage | None) -> timeline.Source:
        if message is None:
            return _bare_source(ref)
        return await self.describe(ref, message)

    async def _reconcile(self, session: AsyncSession, incident: Incident, ref: MessageRef,
                         source: timeline.Source) -> timeline.Reconciled:
        kept = await message_store.kept(session, ref.channel_id, ref.ts)
        message = kept.message if kept is not None else None
        if message is None:
            wanted: Mapping[str, str] = {}
        elif kept is not None and kept.reactions_known:
            wanted = timeline.wanted_kinds(message, self.deps.settings.timeline_emoji, None)
        else:
            # Nobody told us its reactions yet (an edit raced the first read of them): the
            # entries follow its text and keep their kinds until the reactions are known.
            wanted = {entry.kind: entry.created_by or "" for entry in
                      await timeline.entries_for(session, incident, ref.ts)
                      if entry.via == Via.REACTION}
        return await timeline.reconcile(session, incident, source=source, message=message,
                                        wanted=wanted, now=self.deps.clock.now())

    async def _processed(self, session: AsyncSession, team_id: str,
                         event_id: str | None) -> None:
        if event_id is not None:
            await inbox.mark_processed(session, team_id=team_id, event_id=event_id,
                                       now=self.deps.clock.now())


def _bare_source(ref: MessageRef) -> timeline.Source:
    # Nothing new to add needs no name or link.
    return timeline.Source(ref.channel_id, ref.ts, None, None)

