"""Starts cut short — the process killed or stopped between two steps of `/incident start` —
finished or abandoned, at start-up and every little while after.

What an SRE would expect, by how far the start got (`bot.domain.openings` records it):
- its channel was made: the incident exists for people already (they may be in the room),
  so the room is finished — invite, card, pin, topic, announcement — and the reporter is
  told by direct message that it is ready;
- no channel on record: the reporter never saw the incident, and a minute has passed, so
  they may have started another. It is abandoned: a channel Slack made before the crash
  (found by name) is archived, the incident removed, and the reporter told to start again.
  Its number is not handed back: the archived channel may carry it, and a number must never
  mean two incidents.
A start whose room Slack keeps refusing to finish is given up after a few rounds, and the
reporter told what Slack said."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from bot.db.engine import transaction
from bot.db.models import Incident, IncidentOpening
from bot.deps import Deps
from bot.domain import incidents, openings
from bot.domain.errors import TakenOver
from bot.domain.vocabulary import OpeningStep, label
from bot.slack import wording
from bot.slack.channel_names import candidate_names
from bot.slack.failures import SlackFailure
from bot.usecases import incident_log
from bot.usecases.lifecycle import CHANNEL_NAME_ATTEMPTS, Lifecycle

log = logging.getLogger(__name__)

RECOVERY_INTERVAL_S = 30.0
# Rounds that try to finish one opening before the reporter is told it could not be.
MAX_ATTEMPTS = 5


class OpeningRecovery:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.lifecycle = Lifecycle(deps)

    async def recover(self) -> int:
        """Claim the openings whose lease ran out and finish or abandon each; returns how
        many were claimed."""
        owner = openings.new_owner()
        async with transaction(self.deps.sessions) as session:
            claimed = await openings.claim_stalled(session, owner=owner,
                                                   now=self.deps.clock.now())
        for opening, incident in claimed:
            try:
                await self._recover_one(opening, incident, owner=owner)
            except TakenOver:
                log.info("%s: another process took over its opening", label(incident.number))
            except Exception:
                log.exception("%s: recovering its opening failed; trying again later",
                              label(incident.number))
        return len(claimed)

    async def keep_recovering(self, stopping: asyncio.Event) -> None:
        """At start-up, then every little while, until `stopping` is set: a round under
        way is finished rather than cut off in the middle of a transaction."""
        while not stopping.is_set():
            try:
                await self.recover()
            except Exception:
                log.exception("recovering half-made incident starts failed; trying again later")
            with suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), RECOVERY_INTERVAL_S)

    async def _recover_one(self, opening: IncidentOpening, incident: Incident, *,
                           owner: str) -> None:
        # The round claimed several at once: still ours, once this one's turn comes?
        async with transaction(self.deps.sessions) as session:
            await openings.renew(session, incident, owner=owner, now=self.deps.clock.now())
        async with self.lifecycle.holding(incident, owner=owner):
            await self._finish_or_abandon(opening, incident, owner=owner)

    async def _finish_or_abandon(self, opening: IncidentOpening, incident: Incident, *,
                                 owner: str) -> None:
        if incident.channel_id is None:
            await self._abandon(incident, owner=owner)
            return
        log.warning("%s: its start was cut short at step %r; finishing it",
                    label(incident.number), opening.step)
        try:
            await self.lifecycle.set_up_room(incident, OpeningStep(opening.step), owner=owner)
        except SlackFailure as failure:
            if opening.attempts < MAX_ATTEMPTS:
                log.warning("%s: Slack refused to finish its room (%s %s); trying again later",
                            label(incident.number), failure.method, failure.error)
                return
            await self._give_up(incident, failure, owner=owner)
            return
        problem = await self.lifecycle.announce_opened(incident, owner=owner, recovered=True)
        incident_log.opened(incident)
        said = wording.opening_finished(incident.number, incident.channel_id)
        if problem is not None:
            said += "\n" + wording.not_announced(problem.channel_id, problem.failure)
        await self._tell_reporter(incident, said)

    async def _abandon(self, incident: Incident, *, owner: str) -> None:
        log.warning("%s: its start was cut short before its channel was recorded; abandoning it",
                    label(incident.number))
        names = candidate_names(incident.number, incident.title, attempts=CHANNEL_NAME_ATTEMPTS,
                                prefix=self.deps.settings.channel_prefix)
        try:
            # Only a channel the bot made and left open: a person's channel of the same
            # name (the reason a start tries `-2`) is none of its business.
            orphan = await self.deps.slack.own_channel(set(names))
            if orphan is not None:
                log.warning("%s: archiving #%s, made before the start was cut short",
                            label(incident.number), orphan.name)
                await self.deps.slack.archive_channel(orphan.id)
        except SlackFailure as failure:
            # The incident goes either way; an orphan left unarchived is only clutter.
            log.warning("%s: could not look for or archive its channel: %s %s",
                        label(incident.number), failure.method, failure.error)
        async with transaction(self.deps.sessions) as session:
            await openings.finish(session, incident, owner=owner)  # TakenOver if not ours
            await incidents.abandon_incident(session, team_id=incident.team_id,
                                             incident_id=incident.id or 0,
                                             number=incident.number, hand_back=False)
        await self._tell_reporter(incident, wording.opening_abandoned(incident.title))

    async def _give_up(self, incident: Incident, failure: SlackFailure, *, owner: str) -> None:
        assert incident.channel_id is not None
        log.warning("%s: giving up finishing its room after %d tries: %s %s",
                    label(incident.number), MAX_ATTEMPTS, failure.method, failure.error)
        async with transaction(self.deps.sessions) as session:
            await openings.finish(session, incident, owner=owner)
        await self._tell_reporter(incident, wording.opening_not_finished(
            incident.number, incident.channel_id, failure))

    async def _tell_reporter(self, incident: Incident, text: str) -> None:
        if incident.paged_by:
            return  # reported by the bot for a paging tool: nobody to tell
        with suppress(SlackFailure):
            await self.deps.slack.tell_user(incident.reporter_id, text)
