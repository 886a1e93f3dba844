"""What happens when someone runs an incident: the domain decides, then Slack is told.

Each use case is one database transaction through `bot.domain.incidents`, then the Slack side
(card, topic, channel message, announcement) through `SlackGateway`, in `wording`'s words.
Commands, buttons and modals all come here, so they do exactly the same thing.

Each returns what happened. Once the change is saved, a Slack step that fails and is worth
telling the person about (an invite, an announcement, posting the retrospective) is part of
that result, not an exception: the change stands, and the handler says what went wrong."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import transaction
from bot.db.models import Incident
from bot.deps import Deps
from bot.domain import incidents, openings
from bot.domain.errors import Gone, TakenOver
from bot.domain.handover import handover_facts
from bot.domain.incidents import Change, RoleChange
from bot.domain.vocabulary import OpeningStep, Role, Status, label
from bot.slack import blocks, wording
from bot.slack.channel_names import candidate_names
from bot.slack.failures import SlackFailure
from bot.slack.gateway import SlackGateway
from bot.usecases.retro_publishing import RetroPublisher

log = logging.getLogger(__name__)

# Names tried when Slack answers name_taken: inc-4-title, inc-4-title-2, …
CHANNEL_NAME_ATTEMPTS = 5


@dataclass(frozen=True)
class NotAnnounced:
    """The announce channel is set, and Slack refused to post there."""

    channel_id: str
    failure: SlackFailure


@dataclass(frozen=True)
class Started:
    number: int
    channel_id: str
    channel_name: str
    # The reporter is told, since others may not know about the incident yet.
    announce_problem: NotAnnounced | None


@dataclass(frozen=True)
class RoleAssigned:
    number: int
    change: RoleChange
    # The role is theirs either way; the person who assigned it learns why the new holder
    # is not in the channel yet.
    invite_problem: SlackFailure | None


@dataclass(frozen=True)
class Changed:
    """A new severity or status, said in the channel."""

    number: int
    change: Change


@dataclass(frozen=True)
class Recorded:
    """An update, a note or an action item, on the record."""

    number: int


@dataclass(frozen=True)
class Resolved:
    number: int
    channel_id: str
    # The retrospective is stored either way (`sitrep retro N` prints it); the person who
    # resolved learns that it could not be posted, and why.
    retro_problem: SlackFailure | None


@dataclass(frozen=True)
class Reopened:
    number: int


@dataclass(frozen=True)
class _Taken:
    team_id: str
    incident_id: int
    number: int


@dataclass(frozen=True)
class Where:
    """Who did something, and in which channel."""

    team_id: str
    channel_id: str
    user_id: str


class Lifecycle:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def slack(self) -> SlackGateway:
        return self.deps.slack

    @asynccontextmanager
    async def _changing(self, where: Where) -> AsyncIterator[tuple[AsyncSession, Incident]]:
        """A transaction holding the row of the incident whose channel this is."""
        async with transaction(self.deps.sessions) as session:
            yield session, await incidents.in_channel(session, where.team_id, where.channel_id,
                                                      for_change=True)

    def _now(self) -> datetime:
        return self.deps.clock.now()

    # --- start ----------------------------------------------------------------------------

    async def start(self, *, team_id: str, reporter_id: str, title: str,
                    severity: int | None, description: str | None) -> Started:
        """Open an incident and its room. If Slack refuses any step before the room is
        ready, the incident is taken back (and its channel archived) so nothing half-made
        is left behind. Each step is recorded as it is done: a start cut short by a crash
        or a stop is finished, or abandoned, later (`bot/usecases/opening_recovery.py`)."""
        severity = severity or self.deps.settings.default_severity
        owner = openings.new_owner()
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.open_incident(
                session, team_id=team_id, reporter_id=reporter_id, title=title,
                severity=severity, description=description, now=self._now())
            await openings.begin(session, incident, owner=owner, now=self._now())
        taken = _Taken(team_id=team_id, incident_id=incident.id or 0, number=incident.number)
        channel_id: str | None = None
        try:
            channel = await self.slack.create_channel(
                candidate_names(incident.number, incident.title, attempts=CHANNEL_NAME_ATTEMPTS))
            channel_id = channel.id
            async with transaction(self.deps.sessions) as session:
                session.add(incident)
                await incidents.attach_channel(session, incident, channel.id)
                await openings.advance(session, incident, OpeningStep.CHANNEL, owner=owner,
                                       now=self._now())
            await self.set_up_room(incident, OpeningStep.CHANNEL, owner=owner)
        except TakenOver:
            # Another process finishes it, and tells the reporter.
            raise
        except Exception:
            # Not on cancellation (a stop): what is done stays, for the recovery to finish.
            await self._take_back(taken, channel_id)
            raise
        announce_problem = await self.announce_opened(incident, owner=owner)
        return Started(number=incident.number, channel_id=channel.id,
                       channel_name=channel.name, announce_problem=announce_problem)

    async def set_up_room(self, incident: Incident, done: OpeningStep, *, owner: str) -> None:
        """The steps after the channel, from the first one not `done`: the reporter
        invited, the card posted, pinned, and the topic set, each recorded when done. The
        ones that are not recorded (invite, pin, topic) are safe to do twice."""
        assert incident.channel_id is not None
        channel_id = incident.channel_id
        await self.slack.invite(channel_id, [incident.reporter_id])
        facts = await self._facts(incident)
        if not openings.done(done, OpeningStep.CARD):
            card_ts = await self.slack.post(channel_id, _card_fallback(facts),
                                            blocks=blocks.incident_card(facts))
            async with transaction(self.deps.sessions) as session:
                session.add(incident)
                await incidents.attach_card(session, incident, card_ts)
                await openings.advance(session, incident, OpeningStep.CARD, owner=owner,
                                       now=self._now())
        if not openings.done(done, OpeningStep.READY):
            assert incident.card_ts is not None
            await self.slack.pin(channel_id, incident.card_ts)
            await self.slack.set_topic(channel_id, _topic(
                facts, await self.slack.display_name(incident.reporter_id)))
            async with transaction(self.deps.sessions) as session:
                await openings.advance(session, incident, OpeningStep.READY, owner=owner,
                                       now=self._now())

    async def announce_opened(self, incident: Incident, *, owner: str) -> NotAnnounced | None:
        """The last step: tell the announce channel, and close the opening."""
        assert incident.channel_id is not None
        problem = await self._announce(wording.declared(
            number=incident.number, severity=incident.severity, title=incident.title,
            reporter_id=incident.reporter_id, channel_id=incident.channel_id))
        async with transaction(self.deps.sessions) as session:
            await openings.finish(session, incident, owner=owner)
        return problem

    async def _take_back(self, taken: _Taken, channel_id: str | None) -> None:
        log.warning("taking back %s after a failed start", label(taken.number))
        if channel_id is not None:
            with suppress(SlackFailure):
                await self.slack.archive_channel(channel_id)
        async with transaction(self.deps.sessions) as session:
            # An archived channel still carries the number: it is not handed back then.
            await incidents.abandon_incident(session, team_id=taken.team_id,
                                             incident_id=taken.incident_id,
                                             number=taken.number,
                                             hand_back=channel_id is None)

    async def _announce(self, text: str) -> NotAnnounced | None:
        """Post in the announce channel, if one is set; returns why it failed, if it did."""
        channel = self.deps.settings.announce_channel
        if channel is None:
            return None
        try:
            await self.slack.post(channel, text)
        except SlackFailure as failure:
            # The incident is open either way; a missing announcement must not undo it.
            log.warning("could not announce in %s: %s", channel, failure.error)
            return NotAnnounced(channel_id=channel, failure=failure)
        return None

    # --- changes in an incident channel -----------------------------------------------------

    async def assign_role(self, where: Where, *, role: str, user_id: str) -> RoleAssigned:
        async with self._changing(where) as (session, incident):
            change = await incidents.assign_role(
                session, incident, role=role, user_id=user_id, by=where.user_id,
                now=self._now(), allowed_roles=self.deps.settings.roles)
        try:
            await self.slack.invite(where.channel_id, [user_id])
        except SlackFailure as failure:
            invite_problem: SlackFailure | None = failure
        else:
            invite_problem = None
        # The card must show the new holder even when the invite failed.
        await self._tell_channel(incident, wording.role_assigned(change, by=where.user_id))
        return RoleAssigned(number=incident.number, change=change,
                            invite_problem=invite_problem)

    async def hand_over(self, where: Where, user_id: str) -> RoleAssigned:
        """A new commander, and a brief of the incident so far for the next shift."""
        assigned = await self.assign_role(where, role=Role.COMMANDER, user_id=user_id)
        if assigned.invite_problem is not None:
            # The brief is for someone in the channel; with the invite refused, the person
            # who handed over is told why instead.
            return assigned
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.in_channel(session, where.team_id, where.channel_id)
            facts = await handover_facts(session, incident)
        await self.slack.post(where.channel_id,
                              wording.handed_over(user_id, facts, now=self._now()))
        return assigned

    async def change_severity(self, where: Where, severity: int) -> Changed:
        async with self._changing(where) as (session, incident):
            change = await incidents.change_severity(session, incident, severity=severity,
                                                     by=where.user_id, now=self._now())
        await self._tell_channel(incident, wording.severity_changed(
            change, severity=severity, by=where.user_id))
        return Changed(number=incident.number, change=change)

    async def change_status(self, where: Where, status: str) -> Changed | Resolved:
        if status == Status.RESOLVED:
            return await self.resolve(where, summary=None)
        async with self._changing(where) as (session, incident):
            change = await incidents.change_status(session, incident, status=status,
                                                   by=where.user_id, now=self._now())
        await self._tell_channel(incident, wording.status_changed(change, by=where.user_id))
        return Changed(number=incident.number, change=change)

    async def post_update(self, where: Where, text: str) -> Recorded:
        async with self._changing(where) as (session, incident):
            await incidents.record_update(session, incident, text=text, by=where.user_id,
                                          now=self._now())
        await self.slack.post(where.channel_id, wording.update_posted(text, by=where.user_id))
        await self._announce(wording.update_announced(
            text, number=incident.number, severity=incident.severity, status=incident.status,
            title=incident.title, channel_id=where.channel_id))
        return Recorded(number=incident.number)

    async def add_note(self, where: Where, text: str) -> Recorded:
        async with self._changing(where) as (session, incident):
            await incidents.add_note(session, incident, text=text, by=where.user_id,
                                     now=self._now())
        return Recorded(number=incident.number)

    async def add_action_item(self, where: Where, text: str, owner_id: str | None) -> Recorded:
        async with self._changing(where) as (session, incident):
            await incidents.add_action_item(session, incident, text=text, owner_id=owner_id,
                                            by=where.user_id, now=self._now())
        await self.slack.post(where.channel_id, wording.action_item_recorded(
            text, owner_id=owner_id, by=where.user_id))
        return Recorded(number=incident.number)

    async def resolve(self, where: Where, *, summary: str | None,
                      impact: str | None = None) -> Resolved:
        async with self._changing(where) as (session, incident):
            await incidents.resolve(session, incident, summary=summary, by=where.user_id,
                                    now=self._now(), impact=impact)
        assert incident.resolved_at is not None
        took = incident.resolved_at - incident.created_at
        await self._tell_channel(incident, wording.resolved(
            number=incident.number, took=took, summary=incident.summary, by=where.user_id))
        await self._announce(wording.resolved_announced(
            number=incident.number, took=took, title=incident.title,
            channel_id=where.channel_id))
        try:
            await RetroPublisher(self.deps).publish(incident)
        except SlackFailure as failure:
            retro_problem: SlackFailure | None = failure
        else:
            retro_problem = None
        return Resolved(number=incident.number, channel_id=where.channel_id,
                        retro_problem=retro_problem)

    async def reopen(self, where: Where) -> Reopened:
        async with self._changing(where) as (session, incident):
            await incidents.reopen(session, incident, by=where.user_id, now=self._now())
        await self._tell_channel(incident, wording.reopened(number=incident.number,
                                                            by=where.user_id))
        await self._announce(wording.reopened_announced(
            number=incident.number, title=incident.title, channel_id=where.channel_id))
        return Reopened(number=incident.number)

    async def incident_here(self, where: Where) -> Incident:
        async with transaction(self.deps.sessions) as session:
            return await incidents.in_channel(session, where.team_id, where.channel_id)

    # --- the card ---------------------------------------------------------------------------

    async def _facts(self, incident: Incident) -> blocks.CardFacts:
        async with transaction(self.deps.sessions) as session:
            fresh = await session.get(Incident, incident.id)
            if fresh is None:
                raise Gone(wording.incident_gone(incident.number))
            roles = await incidents.current_roles(session, fresh)
        return blocks.CardFacts(number=fresh.number, title=fresh.title,
                                description=fresh.description, severity=fresh.severity,
                                status=fresh.status, started_at=fresh.created_at,
                                roles=roles, summary=fresh.summary)

    async def _tell_channel(self, incident: Incident, text: str) -> None:
        """Say what changed in the channel, then redraw the card and the topic.

        The change is already saved, so the card is redrawn even when the message fails:
        the card must never disagree with the database. The failure is reported after."""
        assert incident.channel_id is not None
        try:
            await self.slack.post(incident.channel_id, text)
        except SlackFailure:
            await self.refresh_card(incident)
            raise
        await self.refresh_card(incident)

    async def refresh_card(self, incident: Incident) -> None:
        """Redraw the card and topic from the database. Two changes at once can finish
        their Slack calls in either order, so the state is read again after drawing and
        drawn once more if it moved meanwhile: the last drawing is the latest state."""
        assert incident.channel_id is not None
        drawn: blocks.CardFacts | None = None
        for _ in range(2):
            facts = await self._facts(incident)
            if facts == drawn:
                return
            if incident.card_ts is not None:
                await self.slack.update(incident.channel_id, incident.card_ts,
                                        _card_fallback(facts), blocks.incident_card(facts))
            commander = facts.roles.get(Role.COMMANDER)
            name = await self.slack.display_name(commander) if commander else None
            await self.slack.set_topic(incident.channel_id, _topic(facts, name))
            drawn = facts


def _card_fallback(facts: blocks.CardFacts) -> str:
    return wording.card_fallback(number=facts.number, severity=facts.severity,
                                 status=facts.status, title=facts.title)


def _topic(facts: blocks.CardFacts, commander_name: str | None) -> str:
    return wording.topic(number=facts.number, severity=facts.severity, status=facts.status,
                         title=facts.title, commander_name=commander_name)
