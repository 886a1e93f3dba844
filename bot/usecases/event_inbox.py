"""The event inbox at work: received before Slack's ack, handled after, replayed after a
crash.

An event is written to the inbox (`receive`) before Slack is acknowledged, so a crash after
the ack cannot lose it; handling it is idempotent, so a replay (`recover`) of work a crash
interrupted, or a second replica, changes nothing twice."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from bot.core.logging import context as log_context
from bot.db.engine import transaction
from bot.db.models import InboxEvent
from bot.deps import Deps
from bot.domain import inbox
from bot.slack.failures import SlackFailure
from bot.usecases.paging import Paging, is_page
from bot.usecases.timeline_sync import (
    News,
    Stored,
    TimelineSync,
    message_of,
    stored_together,
)

log = logging.getLogger(__name__)

# Between start-ups, an unprocessed row younger than this is probably still in a live
# handler's hands (replaying it would be harmless, only wasteful).
RECOVERY_GRACE = timedelta(seconds=30)
RECOVERY_INTERVAL_S = 60.0


class EventInbox:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.timeline = TimelineSync(deps)
        self.paging = Paging(deps)

    def wants(self, event: Mapping[str, Any]) -> bool:
        """Whether an event changes a timeline, and so goes through the inbox."""
        return message_of(event, self.deps.settings.timeline_emoji) is not None

    async def receive(self, team_id: str, event_id: str, body: dict[str, Any] | str) -> bool:
        """Record an event; False when it was already processed (a redelivery to drop)."""
        arrival = inbox.Arrival(team_id, event_id, body, self.deps.clock.now())
        if self.deps.inbox_writes is not None:
            return await self.deps.inbox_writes.submit(arrival)
        async with transaction(self.deps.sessions) as session:
            (fresh,) = await inbox.receive_many(session, [arrival])
            return fresh

    def handle_soon(self, team_id: str, event_id: str | None, event: Mapping[str, Any]) -> None:
        """Handle the event on an after-ack worker. If they are all busy and the queue is
        full, the event waits in the inbox for the replay loop: the ack never waits.

        A channel's reactions and new messages queued at the same time are stored
        together, in one transaction (`TimelineSync.store_together`)."""
        ref = None if is_page(team_id) else message_of(event, self.deps.settings.timeline_emoji)
        if ref is not None and stored_together(event):
            queued = self.deps.after_ack.submit_together(
                (team_id, ref.channel_id), News(team_id, event_id, event), self._store_together)
        else:
            queued = self.deps.after_ack.submit(
                lambda: self._handle_logged(team_id, event_id, event))
        if not queued:
            log.warning("after-ack queue full; event %s waits for the replay loop", event_id)

    async def _store_together(self, batch: list[News]) -> bool:
        """A batch from the queue or the replay; True when Slack was down or busy for one
        of its events. A failure of its transaction saves nothing of it; then each event is
        tried on its own, so one that cannot be stored holds up no other and stays in the
        inbox, counted, for the replay."""
        if len(batch) == 1:
            failure = await self._handle_logged(batch[0].team_id, batch[0].event_id,
                                                batch[0].event)
            return failure is not None and _slacks_bad_moment(failure)
        slack_failing = False
        with log_context(team=batch[0].team_id):
            try:
                stored = await self.timeline.store_together(batch)
            except Exception as error:
                log.warning("storing %d timeline events together failed (%s: %s); storing "
                            "them one at a time", len(batch), type(error).__name__, error,
                            exc_info=not _slacks_bad_moment(error))
                stored = Stored(one_by_one=list(batch))
            for news, failure in stored.failed:
                slack_failing = slack_failing or _slacks_bad_moment(failure)
                with log_context(event_id=news.event_id):
                    log.warning("handling event %s failed; it stays in the inbox for a "
                                "replay", news.event_id,
                                exc_info=(failure if not _slacks_bad_moment(failure)
                                          else None))
                    if news.event_id is not None:
                        await self._failed(news.team_id, news.event_id, failure)
        for news in stored.one_by_one:
            failure = await self._handle_logged(news.team_id, news.event_id, news.event)
            slack_failing = slack_failing or (failure is not None and _slacks_bad_moment(failure))
        return slack_failing

    async def _handle_logged(self, team_id: str, event_id: str | None,
                             event: Mapping[str, Any]) -> Exception | None:
        """`handle`, its failure logged and counted (and returned)."""
        # The worker's lines about this event carry its id, as the request's lines did.
        with log_context(team=team_id, event_id=event_id):
            try:
                await self.handle(team_id, event_id, event)
            except Exception as error:
                log.warning("handling event %s failed; it stays in the inbox for a replay",
                            event_id, exc_info=not _slacks_bad_moment(error))
                if event_id is not None:
                    await self._failed(team_id, event_id, error)
                return error
        return None

    async def handle(self, team_id: str, event_id: str | None, event: Mapping[str, Any]) -> None:
        """A Slack event, or a page (`team_id` one of `paging.INBOX_TEAMS`: the delivery
        whole, as the paging tool sent it)."""
        if isinstance(event, _Unreadable):
            raise ValueError(f"the inbox holds no readable event for {event_id}")
        if is_page(team_id) and event_id is not None:
            await self.paging.handle(team_id, event_id, event)
            return
        await self.timeline.on_event(team_id, event, event_id)

    async def recover(self, *, grace: timedelta = RECOVERY_GRACE,
                      starting: bool = False) -> int:
        """Handle events received but never processed — a crash came between, or Slack
        was failing — and return how many. Those that failed wait their turn
        (`inbox.failed`), except at start-up (`starting`, with `grace` zero), when
        everything left over is tried once."""
        now = self.deps.clock.now()
        async with transaction(self.deps.sessions) as session:
            pending = await inbox.take_for_replay(session, received_before=now - grace,
                                                  due_by=None if starting else now)
            await inbox.forget_old(session, now=now)
        tried = 0
        for group in self._together(pending):
            tried += len(group)
            if await self._store_together(group):
                break  # Slack is down or busy: the rest wait for its next answer
        if tried:
            log.info("replayed %d Slack events not handled before", tried)
        return tried

    def _together(self, rows: Sequence[InboxEvent]) -> list[list[News]]:
        """Events to replay, those of one channel that are stored together in one batch
        (in the order of their first), every other one on its own."""
        groups: list[list[News]] = []
        batches: dict[tuple[str, str], list[News]] = {}
        for row in rows:
            event = _event_in(row)
            news = News(row.team_id, row.event_id, event)
            try:
                ref = None if is_page(row.team_id) else message_of(
                    event, self.deps.settings.timeline_emoji)
            except (KeyError, TypeError):
                ref = None  # on its own, its handling fails and is counted
            if ref is None or not stored_together(event):
                groups.append([news])
            elif (row.team_id, ref.channel_id) in batches:
                batches[(row.team_id, ref.channel_id)].append(news)
            else:
                groups.append(batches.setdefault((row.team_id, ref.channel_id), [news]))
        return groups

    async def _failed(self, team_id: str, event_id: str, error: Exception) -> None:
        """Count the failure and set the next try; give the event up, loudly, only when
        it failed by its own fault for a day."""
        try:
            async with transaction(self.deps.sessions) as session:
                given_up = await inbox.failed(session, team_id=team_id, event_id=event_id,
                                              now=self.deps.clock.now(),
                                              own_fault=not _slacks_bad_moment(error))
        except Exception:
            # Not counted: the event is simply tried again at the next replay.
            log.exception("could not record the failure of event %s", event_id)
            return
        if given_up is not None:
            log.warning("giving up Slack event %s (team %s) after %d failures since %s; it "
                        "stays in the inbox, unprocessed: %s", event_id, team_id,
                        given_up.faults, given_up.received_at, error)

    async def keep_recovering(self, *, interval_s: float = RECOVERY_INTERVAL_S) -> None:
        """Runs for the life of the process: replay at start-up, then now and again. A
        replay that took a full page goes straight on to the next: a restart in the middle
        of a burst of thousands of events catches up in seconds, not a page a minute."""
        grace, starting = timedelta(0), True
        while True:
            try:
                tried = await self.recover(grace=grace, starting=starting)
            except Exception:
                log.exception("replaying the event inbox failed; trying again later")
                tried = 0
            grace, starting = RECOVERY_GRACE, False
            if tried < inbox.REPLAY_PAGE:
                await asyncio.sleep(interval_s)


class _Unreadable(dict[str, Any]):
    """The event of an inbox row whose payload is not a JSON object: handling it fails."""


def _event_in(row: InboxEvent) -> Mapping[str, Any]:
    try:
        body = json.loads(row.payload or "{}")
    except ValueError:
        return _Unreadable()
    if not isinstance(body, dict):
        return _Unreadable()
    event = body if is_page(row.team_id) else body.get("event") or {}
    return event if isinstance(event, dict) else _Unreadable()


def _slacks_bad_moment(error: BaseException) -> bool:
    """Slack down, rate-limiting or not answering: not the event's fault."""
    return isinstance(error, SlackFailure) and error.passing
