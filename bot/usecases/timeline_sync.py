"""Keeps the timeline in step with the messages of incident channels.

Slack sends every message of an incident channel as an event, and every reaction; the bot
keeps them (`bot.domain.message_store`), so a 📌 is resolved from the database with no
Slack read. Only a message the bot never heard of (posted before it was kept, or missed)
is read from Slack, once however many reactions arrive for it at the same moment.

The news of one channel that waits for the after-ack workers is stored together
(`store_together`): new messages and reactions, many in one write transaction, where each
message's timeline is reconciled once with all its news and every event is marked processed
— saved together or not at all. An edit or a deletion is a transaction of its own. The
incident's row is locked while its entries change, so events for one incident apply in
turn on any number of replicas."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import transaction
from bot.db.models import Incident, TimelineEntry
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
# The bot's confirming reactions on a batch's messages asked for at once.
CONFIRMS_AT_ONCE = 8
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


@dataclass(frozen=True)
class News:
    """A Slack event waiting in the inbox to be applied."""

    team_id: str
    event_id: str | None
    event: Mapping[str, Any]


@dataclass
class Stored:
    """What `store_together` made of a batch: `done` is saved and marked processed;
    `failed` could not be, for the reason given (Slack would not let its message be read);
    `one_by_one` is left to `on_event` (edits and deletions, other channels' news, and news
    of a message that changed while the batch was being prepared)."""

    done: list[News] = field(default_factory=list)
    failed: list[tuple[News, Exception]] = field(default_factory=list)
    one_by_one: list[News] = field(default_factory=list)


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


def stored_together(event: Mapping[str, Any]) -> bool:
    """News that `store_together` takes: reactions, and messages as they are posted."""
    kind = event.get("type")
    return kind in REACTION_EVENTS or (kind == "message" and
                                       event.get("subtype") not in NOT_A_MESSAGE)


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
        """One event on its own: a batch of one for what `store_together` takes."""
        ref = message_of(event, self.deps.settings.timeline_emoji)
        if ref is None:
            await self.mark_processed(team_id, event_id)
        elif stored_together(event):
            news = News(team_id, event_id, event)
            # Its message may change between the batch's read and its write (an edit
            # kept meanwhile): the second try reads it afresh.
            for _ in range(2):
                stored = await self.store_together([news])
                for _news, failure in stored.failed:
                    raise failure
                if stored.done:
                    return
            raise MessageChanging(f"the message {ref.ts} kept changing while its news was "
                                  "being stored; the replay tries again")
        else:
            await self.on_message(team_id, ref, event, event_id)

    async def store_together(self, batch: Sequence[News]) -> Stored:
        """Reactions and new messages of one channel, in one write transaction (see the
        module's docstring). Raises when that transaction fails: nothing of the batch is
        saved then, and the caller tries its events one at a time."""
        stored = Stored()
        emoji_kinds = self.deps.settings.timeline_emoji
        channel: str | None = None
        taken: list[tuple[News, MessageRef]] = []
        ignored: list[News] = []
        for news in batch:
            ref = message_of(news.event, emoji_kinds)
            if ref is None:
                ignored.append(news)
            elif not stored_together(news.event) or channel not in (None, ref.channel_id) \
                    or news.team_id != batch[0].team_id:
                stored.one_by_one.append(news)
            else:
                channel = ref.channel_id
                taken.append((news, ref))
        if channel is None:
            await self._mark_all_processed(ignored)
            stored.done.extend(ignored)
            return stored
        posted = {ref.ts: message for news, ref in taken
                  if news.event.get("type") == "message"
                  and (message := from_api(news.event)) is not None}
        reactions = [(news, ref) for news, ref in taken
                     if news.event.get("type") in REACTION_EVENTS]
        reacted = {ref.ts for _news, ref in reactions}
        async with self.deps.sessions() as session:
            incident = await self._incident(session, channel)
            kept = await message_store.kept_many(session, channel, reacted) \
                if incident is not None else {}
        if incident is None:
            # News from elsewhere is none of the timeline's business.
            await self._mark_all_processed([*ignored, *(news for news, _ref in taken)])
            stored.done.extend([*ignored, *(news for news, _ref in taken)])
            return stored

        # Outside any transaction: the messages the bot never heard of are read from
        # Slack, and every message's author and link are worked out (no call once warm).
        snapshots: dict[str, _Snapshot] = {}
        sources: dict[str, timeline.Source] = {}
        for ts in sorted(reacted):
            about = [news for news, ref in reactions if ref.ts == ts]
            known = kept.get(ts)
            try:
                if (known is None and ts not in posted) or \
                        (known is not None and not known.reactions_known):
                    # The read begins after all this batch's news of the message happened.
                    snapshots[ts] = await self._read_once(
                        MessageRef(channel, ts), as_of=max(slack_time(n.event) for n in about))
                    message = snapshots[ts].message
                else:
                    message = known.message if known is not None else posted.get(ts)
                sources[ts] = await self._source(MessageRef(channel, ts), message)
            except Exception as failure:  # its news fails; the rest of the batch goes on
                stored.failed.extend((news, failure) for news in about)
        reactions = [(news, ref) for news, ref in reactions if ref.ts in sources]
        team_id = batch[0].team_id
        async with transaction(self.deps.sessions) as session:
            await incidents.lock(session, incident)
            if posted:
                await message_store.keep_posted(
                    session, team_id=team_id, channel_id=channel,
                    messages=[(posted[ref.ts], slack_time(news.event)) for news, ref in taken
                              if ref.ts in posted and news.event.get("type") == "message"])
            for ts, snapshot in snapshots.items():
                await message_store.keep_snapshot(session, team_id=team_id, channel_id=channel,
                                                  ts=ts, message=snapshot.message,
                                                  as_of=snapshot.as_of)
            # Known since posted stays so (no snapshot is taken of such a message): only
            # the others are read again here.
            known_since: dict[str, str | None] = {
                ts: message_store.SINCE_POSTED for ts, known in kept.items()
                if known.since_posted}
            known_since.update(await message_store.reactions_known_since(
                session, channel, {ref.ts for _news, ref in reactions} - set(known_since)))
            # A message whose reactions are still unknown here was changed meanwhile (an
            # edit kept it first): its news is left for a try of its own, which reads it.
            ready = [(news, ref) for news, ref in reactions
                     if known_since.get(ref.ts) is not None]
            stored.one_by_one.extend(news for news, ref in reactions
                                     if known_since.get(ref.ts) is None)
            await message_store.react_many(session, channel_id=channel, reactions=[
                message_store.Reaction(ts=ref.ts, emoji=str(news.event["reaction"]),
                                       user_id=str(news.event["user"]),
                                       present=news.event["type"] == "reaction_added",
                                       as_of=slack_time(news.event))
                for news, ref in ready if news.event.get("user")], known_since=known_since)
            tss = {ref.ts for _news, ref in ready}
            now_kept = await message_store.kept_many(session, channel, tss)
            entries = await timeline.entries_for_many(session, incident, tss)
            order = sorted(tss)
            results = dict(zip(order, await timeline.reconcile_many(
                session, incident,
                [self._wanted(sources[ts], now_kept.get(ts), entries.get(ts, [])) for ts in order],
                existing=entries, now=self.deps.clock.now()), strict=True))
            done = [*ignored, *(news for news, ref in taken
                                if news.event.get("type") == "message"),
                    *(news for news, _ref in ready)]
            await self._processed_many(session, done)
        stored.done.extend(done)
        await self._confirm_all(channel, results)
        return stored

    async def on_message(self, team_id: str, ref: MessageRef, event: Mapping[str, Any],
                         event_id: str | None) -> None:
        """A message edited or deleted: keep it, and if it is on the timeline let its
        entries follow it."""
        subtype = event.get("subtype")
        as_of = slack_time(event)
        async with self.deps.sessions() as session:
            incident = await self._incident(session, ref.channel_id)
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

    async def mark_processed(self, team_id: str, event_id: str | None) -> None:
        if event_id is None:
            return
        async with transaction(self.deps.sessions) as session:
            await self._processed(session, team_id, event_id)

    async def _mark_all_processed(self, batch: Sequence[News]) -> None:
        if any(news.event_id is not None for news in batch):
            async with transaction(self.deps.sessions) as session:
                await self._processed_many(session, batch)

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

    async def _confirm_all(self, channel_id: str,
                           results: Mapping[str, timeline.Reconciled]) -> None:
        """`confirm` for a batch's messages, a few at a time: while Slack rate-limits,
        each is skipped at once; otherwise one slow answer holds up no more than itself."""
        waiting = [(ts, result) for ts, result in results.items()
                   if result.added or result.removed]
        for start in range(0, len(waiting), CONFIRMS_AT_ONCE):
            await asyncio.gather(*(self.confirm(MessageRef(channel_id, ts), result)
                                   for ts, result in waiting[start:start + CONFIRMS_AT_ONCE]))

    # --- inside the transaction -------------------------------------------------------------

    async def _incident(self, session: AsyncSession, channel_id: str) -> Incident | None:
        try:
            return await incidents.in_channel(session, channel_id)
        except NotAnIncidentChannel:
            return None  # news from elsewhere is none of the timeline's business

    async def _source(self, ref: MessageRef, message: ChannelMessage | None) -> timeline.Source:
        if message is None:
            return _bare_source(ref)
        return await self.describe(ref, message)

    async def _reconcile(self, session: AsyncSession, incident: Incident, ref: MessageRef,
                         source: timeline.Source) -> timeline.Reconciled:
        entries = await timeline.entries_for(session, incident, ref.ts)
        kept = await message_store.kept(session, ref.channel_id, ref.ts)
        (result,) = await timeline.reconcile_many(
            session, incident, [self._wanted(source, kept, entries)],
            existing={ref.ts: entries}, now=self.deps.clock.now())
        return result

    def _wanted(self, source: timeline.Source, kept: message_store.Kept | None,
                entries: Sequence[TimelineEntry]) -> timeline.Wanted:
        """What the message's entries should be, from the message as the bot keeps it
        (`kept`) and its entries now (`entries`), both read in this transaction."""
        message = kept.message if kept is not None else None
        if message is None:
            wanted: Mapping[str, str] = {}
        elif kept is not None and kept.reactions_known:
            wanted = timeline.wanted_kinds(message, self.deps.settings.timeline_emoji, None)
        else:
            # Nobody told us its reactions yet (an edit raced the first read of them): the
            # entries follow its text and keep their kinds until the reactions are known.
            wanted = {entry.kind: entry.created_by or "" for entry in entries
                      if entry.via == Via.REACTION}
        return timeline.Wanted(source, message, wanted)

    async def _processed(self, session: AsyncSession, team_id: str,
                         event_id: str | None) -> None:
        if event_id is not None:
            await inbox.mark_processed(session, team_id=team_id, event_id=event_id,
                                       now=self.deps.clock.now())

    async def _processed_many(self, session: AsyncSession, batch: Sequence[News]) -> None:
        by_team: dict[str, set[str]] = {}
        for news in batch:
            if news.event_id is not None:
                by_team.setdefault(news.team_id, set()).add(news.event_id)
        for team_id, event_ids in by_team.items():
            await inbox.mark_processed_many(session, team_id=team_id, event_ids=event_ids,
                                            now=self.deps.clock.now())


class MessageChanging(Exception):
    """News of a message that changed under it twice running; the replay tries again."""


def _bare_source(ref: MessageRef) -> timeline.Source:
    # Nothing new to add needs no name or link.
    return timeline.Source(ref.channel_id, ref.ts, None, None)

