"""What happens when someone runs an incident: the domain decides, then Slack is told.

Each use case is one database transaction through `bot.domain.incidents`, then the Slack side
(card, topic, channel message, announcement) through `SlackGateway`, in `wording`'s words.
Commands, buttons and modals all come here, so they do exactly the same thing.

Each returns what happened. Once the change is saved, a Slack step that fails and is worth
telling the person about (an invite, an announcement, posting the retrospective) is part of
that result, not an exception: the change stands, and the handler says what went wrong."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import transaction
from bot.db.models import Incident
from bot.deps import Deps
from bot.domain import (
    action_items,
    incidents,
    openings,
    paging,
    permissions,
    reminders,
    reviews,
    schedules,
    stale_cards,
)
from bot.domain.errors import Gone, TakenOver, WrongState
from bot.domain.handover import handover_facts
from bot.domain.incidents import Change, RoleChange
from bot.domain.permissions import Deed
from bot.domain.vocabulary import OpeningStep, Role, Status, label
from bot.slack import blocks, wording
from bot.slack.channel_names import candidate_names
from bot.slack.failures import SlackFailure
from bot.slack.gateway import SlackGateway
from bot.usecases import incident_log
from bot.usecases.follow_ups import NewOwner, tell_the_new_owner
from bot.usecases.retro_publishing import Published, RetroPublisher
from bot.usecases.reviews import Reviews

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
    private: bool = False


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
    channel_names: tuple[str, ...]


@dataclass(frozen=True)
class Where:
    """Who did something, and in which channel. `team_id` is the installation the request
    came through, not the actor's team; the channel alone says which incident it is."""

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
    async def _changing(self, where: Where, deed: Deed = Deed.CHANGE,
                        ) -> AsyncIterator[tuple[AsyncSession, Incident]]:
        """A transaction holding the row of the incident whose channel this is, once the
        person is allowed to `deed` it. Slack says whether they are in the channel before
        the row is locked: Slack is never called while holding a lock."""
        is_member = await self._is_member(where)
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.in_channel(session, where.channel_id, for_change=True)
            await self._check(session, incident, where, deed, is_member=is_member)
            yield session, incident
            await self._look_again(session, incident)
        self.deps.schedule_changed.poke()

    # A change that is saved may move the incident's reminders (an update resets the clock,
    # a severity changes the cadence, a resolve stops them): they look at the record again.
    changing = _changing

    async def _look_again(self, session: AsyncSession, incident: Incident) -> None:
        for kind in (reminders.DueKind.UPDATE_REMINDER, reminders.DueKind.STALE_NUDGE):
            await schedules.due_now(session, kind=kind,
                                    subject=reminders.incident_subject(incident.id or 0),
                                    team_id=incident.team_id, now=self._now())

    async def _is_member(self, where: Where) -> bool:
        # The channel must be an incident's first: a command run anywhere else is told so,
        # without asking Slack about a channel Sitrep has no business in.
        async with self.deps.sessions() as session:
            await incidents.in_channel(session, where.channel_id)
        return await self.slack.is_member(where.channel_id, where.user_id)

    async def _check(self, session: AsyncSession, incident: Incident, where: Where, deed: Deed,
                     *, is_member: bool) -> None:
        actor = await permissions.actor(session, incident, where.user_id, is_member=is_member)
        allowed = {Deed.RESOLVE: self.deps.settings.resolve_by,
                   Deed.REOPEN: self.deps.settings.reopen_by}.get(deed, ())
        permissions.check(deed, actor, incident, allowed=allowed)

    async def _may(self, where: Where, deed: Deed) -> Incident:
        is_member = await self._is_member(where)
        async with self.deps.sessions() as session:
            incident = await incidents.in_channel(session, where.channel_id)
            await self._check(session, incident, where, deed, is_member=is_member)
        return incident

    # Forms are checked before they open, so nobody fills one in to be refused at the end
    # (and checked again when submitted: things may change meanwhile).

    async def update_form(self, where: Where) -> Incident:
        """The incident whose update form the person may open."""
        incident = await self._may(where, Deed.CHANGE)
        incidents.check_open(incident, incidents.POSTING_AN_UPDATE)
        return incident

    async def resolve_form(self, where: Where) -> Incident:
        """The incident whose resolve form the person may open."""
        incident = await self._may(where, Deed.RESOLVE)
        if incident.status == Status.RESOLVED:
            raise WrongState(wording.already_resolved(incident.number))
        return incident

    async def may_mark(self, where: Where) -> Incident:
        """The incident whose timeline the person may add a message to."""
        return await self._may(where, Deed.CHANGE)

    def _now(self) -> datetime:
        return self.deps.clock.now()

    # --- start ----------------------------------------------------------------------------

    async def start(self, *, team_id: str, reporter_id: str, title: str,
                    severity: int | None, description: str | None,
                    private: bool = False) -> Started:
        """Open an incident and its room (a private channel when asked). If Slack refuses
        any step before the room is ready, the incident is taken back (and its channel
        archived) so nothing half-made is left behind. Each step is recorded as it is done:
        a start cut short by a crash or a stop is finished, or abandoned, later
        (`bot/usecases/opening_recovery.py`)."""
        if severity is None:
            severity = self.deps.settings.default_severity
        owner = openings.new_owner()
        async with transaction(self.deps.sessions) as session:
            incident = await self.number(
                session, owner=owner, team_id=team_id, reporter_id=reporter_id, title=title,
                severity=severity, description=description, private=private)
        return await self.open_room(incident, owner=owner)

    async def number(self, session: AsyncSession, *, owner: str, team_id: str,
                     reporter_id: str, title: str, severity: int, description: str | None,
                     private: bool = False, commander_id: str | Literal["reporter"] | None
                     = "reporter", paged_by: str | None = None, page_url: str | None = None,
                     detected_at: datetime | None = None) -> Incident:
        """The first step of every start, in the caller's transaction: the incident
        numbered, and its opening held by `owner`. A page's start (`bot/usecases/paging.py`)
        does this in the transaction that holds the page's tracking row, then
        `open_room`, exactly as a person's does."""
        incident = await incidents.open_incident(
            session, team_id=team_id, reporter_id=reporter_id, title=title,
            severity=severity, description=description, now=self._now(), private=private,
            commander_id=commander_id, paged_by=paged_by, page_url=page_url,
            detected_at=detected_at)
        await openings.begin(session, incident, owner=owner, now=self._now())
        await self._look_again(session, incident)
        return incident

    async def open_room(self, incident: Incident, *, owner: str) -> Started:
        """The rest of a start, once `number` is committed: channel, room, announcement."""
        private = incident.private
        names = tuple(candidate_names(incident.number, incident.title,
                                      attempts=CHANNEL_NAME_ATTEMPTS,
                                      prefix=self.deps.settings.channel_prefix))
        taken = _Taken(team_id=incident.team_id, incident_id=incident.id or 0,
                       number=incident.number, channel_names=names)
        channel_id: str | None = None
        async with self.holding(incident, owner=owner):
            try:
                channel = await self.slack.create_channel(names, private=private)
                channel_id = channel.id
                async with transaction(self.deps.sessions) as session:
                    session.add(incident)
                    await incidents.attach_channel(session, incident, channel.id)
                    await openings.advance(session, incident, OpeningStep.CHANNEL,
                                           owner=owner, now=self._now())
                await self.set_up_room(incident, OpeningStep.CHANNEL, owner=owner)
            except TakenOver:
                # Another process finishes it, and tells the reporter.
                raise
            except Exception as error:
                # Not on cancellation (a stop): what is done stays, for the recovery to
                # finish.
                await self._take_back(taken, incident, channel_id, error, owner=owner)
                raise
            announce_problem = await self.announce_opened(incident, owner=owner)
        incident_log.opened(incident)
        return Started(number=incident.number, channel_id=channel.id,
                       channel_name=channel.name, announce_problem=announce_problem,
                       private=private)

    async def set_up_room(self, incident: Incident, done: OpeningStep, *, owner: str) -> None:
        """The steps after the channel, from the first one not `done`: the reporter
        invited, the card posted, pinned, and the topic set, each recorded when done. The
        ones that are not recorded (invite, pin, topic) are safe to do twice."""
        assert incident.channel_id is not None
        channel_id = incident.channel_id
        facts = await self._facts(incident)
        # The reporter and whoever commands (for a page, the on-call found in Slack; the
        # bot itself, a page's reporter, is skipped by `invite`).
        commander = facts.roles.get(Role.COMMANDER)
        await self.slack.invite(channel_id, [incident.reporter_id, *filter(None, [commander])])
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
                facts, await self.slack.display_name(commander) if commander else None))
            async with transaction(self.deps.sessions) as session:
                await openings.advance(session, incident, OpeningStep.READY, owner=owner,
                                       now=self._now())

    @asynccontextmanager
    async def holding(self, incident: Incident, *, owner: str) -> AsyncIterator[None]:
        """While a start's steps run, its opening's lease is renewed, so that however slow
        Slack is, no recovery takes over a start that is alive; only a process that died or
        stopped lets the lease run out."""
        async def renew() -> None:
            while True:
                await asyncio.sleep(openings.RENEW_EVERY.total_seconds())
                try:
                    async with transaction(self.deps.sessions) as session:
                        await openings.renew(session, incident, owner=owner, now=self._now())
                except TakenOver:
                    return  # the next step finds out, and stops
                except Exception as error:
                    log.warning("%s: could not renew its opening's lease (%s)",
                                label(incident.number), type(error).__name__)

        renewer = asyncio.create_task(renew(), name=f"lease-{incident.number}")
        try:
            yield
        finally:
            renewer.cancel()
            with suppress(asyncio.CancelledError):
                await renewer

    async def announce_opened(self, incident: Incident, *, owner: str,
                              recovered: bool = False) -> NotAnnounced | None:
        """The last step: tell the announce channel, and close the opening. Never of a
        private incident: a recovered start asks Slack (`_private`), since its channel may
        have been converted in the minute it waited; a live one knows how it was made."""
        assert incident.channel_id is not None
        hidden = await self._private(incident) if recovered else incident.private
        if incident.paged_by:
            said = wording.paged(number=incident.number, severity=incident.severity,
                                 title=incident.title, source=incident.paged_by,
                                 channel_id=incident.channel_id)
        else:
            said = wording.declared(number=incident.number, severity=incident.severity,
                                    title=incident.title, reporter_id=incident.reporter_id,
                                    channel_id=incident.channel_id)
        problem = None if hidden else await self._announce(said)
        async with transaction(self.deps.sessions) as session:
            await openings.finish(session, incident, owner=owner)
        return problem

    async def _take_back(self, taken: _Taken, incident: Incident, channel_id: str | None,
                         error: BaseException, *, owner: str) -> None:
        try:
            async with transaction(self.deps.sessions) as session:
                # Still ours? A recovery that took the start over finishes it instead.
                await openings.renew(session, incident, owner=owner, now=self._now())
        except TakenOver:
            log.info("%s failed, but another process has taken its start over",
                     label(taken.number))
            return
        log.warning("taking back %s after a failed start", label(taken.number))
        unknown = False
        if channel_id is None and isinstance(error, SlackFailure) and error.outcome_unknown:
            # The create may have worked without Slack saying so: its channel, if it is
            # there, goes too.
            try:
                made = await self.slack.own_channel(taken.channel_names)
            except SlackFailure:
                unknown = True
            else:
                channel_id = made.id if made is not None else None
        if channel_id is not None:
            with suppress(SlackFailure):
                await self.slack.archive_channel(channel_id)
        async with transaction(self.deps.sessions) as session:
            # A channel made for it (archived or not) still carries the number, and so may
            # one Slack could not tell us about: the number is handed back only when
            # surely no inc-N channel exists, so no number ever means two incidents.
            await incidents.abandon_incident(session, team_id=taken.team_id,
                                             incident_id=taken.incident_id,
                                             number=taken.number,
                                             hand_back=channel_id is None and not unknown)

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

    async def _announce_about(self, incident: Incident, text: str) -> None:
        """Announce news of an incident, unless it is private. A private incident is not
        announced at all, not even that it exists: it is usually a security incident,
        the announce channel is read by the whole company (possibly by whoever is being
        investigated), and its number, severity and timing already say too much. The
        people who need to know are invited to its channel. A channel converted to
        private after the start counts: Slack is asked, since nothing else tells us."""
        if self.deps.settings.announce_channel is None or await self._private(incident):
            return
        await self._announce(text)

    async def _private(self, incident: Incident) -> bool:
        if incident.private:
            return True
        assert incident.channel_id is not None and incident.id is not None
        try:
            private = await self.slack.is_private(incident.channel_id)
        except SlackFailure as failure:
            # Better an announcement missed than a secret announced.
            log.warning("not announcing %s: could not tell whether its channel is private "
                        "(%s)", label(incident.number), failure.error)
            return True
        if private:
            async with transaction(self.deps.sessions) as session:
                await incidents.mark_private(session, incident.id)
        return private

    # --- changes in an incident channel -----------------------------------------------------

    async def assign_role(self, where: Where, *, role: str, user_id: str) -> RoleAssigned:
        async with self._changing(where) as (session, incident):
            change = await incidents.assign_role(
                session, incident, role=role, user_id=user_id, by=where.user_id,
                now=self._now(), allowed_roles=self.deps.settings.roles)
        incident_log.role_assigned(incident, change, by=where.user_id)
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

    async def take_command(self, where: Where) -> RoleAssigned:
        """The card's *Take command*, on an incident nobody commands yet (a page found no
        on-call person in Slack)."""
        async with self._changing(where) as (session, incident):
            change = await incidents.take_command(session, incident, user_id=where.user_id,
                                                  now=self._now())
        incident_log.role_assigned(incident, change, by=where.user_id)
        await self._tell_channel(incident, wording.took_command(where.user_id))
        return RoleAssigned(number=incident.number, change=change, invite_problem=None)

    async def hand_over(self, where: Where, user_id: str) -> RoleAssigned:
        """A new commander, and a brief of the incident so far for the next shift."""
        assigned = await self.assign_role(where, role=Role.COMMANDER, user_id=user_id)
        if assigned.invite_problem is not None:
            # The brief is for someone in the channel; with the invite refused, the person
            # who handed over is told why instead.
            return assigned
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.in_channel(session, where.channel_id)
            facts = await handover_facts(session, incident)
        await self.slack.post(where.channel_id,
                              wording.handed_over(user_id, facts, now=self._now()))
        return assigned

    async def change_severity(self, where: Where, severity: int) -> Changed:
        async with self._changing(where) as (session, incident):
            change = await incidents.change_severity(session, incident, severity=severity,
                                                     by=where.user_id, now=self._now())
        incident_log.severity_changed(incident, change, by=where.user_id)
        await self._tell_channel(incident, wording.severity_changed(
            change, severity=severity, by=where.user_id))
        return Changed(number=incident.number, change=change)

    async def change_status(self, where: Where, status: str) -> Changed | Resolved:
        if status == Status.RESOLVED:
            return await self.resolve(where, summary=None)
        async with self._changing(where) as (session, incident):
            change = await incidents.change_status(session, incident, status=status,
                                                   by=where.user_id, now=self._now())
        incident_log.status_changed(incident, change, by=where.user_id)
        await self._tell_channel(incident, wording.status_changed(change, by=where.user_id))
        return Changed(number=incident.number, change=change)

    async def post_update(self, where: Where, text: str) -> Recorded:
        async with self._changing(where) as (session, incident):
            await incidents.record_update(session, incident, text=text, by=where.user_id,
                                          now=self._now())
        await self.slack.post(where.channel_id, wording.update_posted(text, by=where.user_id))
        await self._announce_about(incident, wording.update_announced(
            text, number=incident.number, severity=incident.severity, status=incident.status,
            title=incident.title, channel_id=where.channel_id))
        return Recorded(number=incident.number)

    async def add_note(self, where: Where, text: str) -> Recorded:
        async with self._changing(where) as (session, incident):
            await incidents.add_note(session, incident, text=text, by=where.user_id,
                                     now=self._now())
        return Recorded(number=incident.number)

    async def add_action_item(self, where: Where, text: str, owner_id: str | None,
                              due_on: date | None = None) -> Recorded:
        # Due days are the team's calendar days: "today" is today where the team works.
        action_items.check_due(due_on, on=action_items.today(self._now(),
                                                             self.deps.settings.timezone))
        async with self._changing(where) as (session, incident):
            item = await incidents.add_action_item(
                session, incident, text=text, owner_id=owner_id, by=where.user_id,
                now=self._now(), due_on=due_on)
            await session.flush()  # its id, for the owner's Done button
            item_id = item.id or 0
        await self.slack.post(where.channel_id, wording.action_item_recorded(
            text, owner_id=owner_id, by=where.user_id, due_on=due_on))
        await tell_the_new_owner(self.deps, NewOwner(
            item_id=item_id, owner_id=owner_id, by=where.user_id, text=text,
            number=incident.number, channel_id=where.channel_id, due_on=due_on))
        return Recorded(number=incident.number)

    async def resolve(self, where: Where, *, summary: str | None,
                      impact: str | None = None) -> Resolved:
        async with self._changing(where, Deed.RESOLVE) as (session, incident):
            await incidents.resolve(session, incident, summary=summary, by=where.user_id,
                                    now=self._now(), impact=impact)
            assert incident.resolved_at is not None
            zone = self.deps.settings.timezone
            await reviews.set_deadline(session, incident, reviews.due_on(
                resolved_at=incident.resolved_at, severity=incident.severity,
                rules=self.deps.settings.review_within, zone=zone), zone=zone)
        self.deps.schedule_changed.poke()
        took = incident.resolved_at - incident.created_at
        incident_log.resolved(incident, took=took, by=where.user_id)
        await self._tell_channel(incident, wording.resolved(
            number=incident.number, took=took, summary=incident.summary, by=where.user_id))
        await self._announce_about(incident, wording.resolved_announced(
            number=incident.number, took=took, title=incident.title,
            channel_id=where.channel_id))
        try:
            published = await RetroPublisher(self.deps).publish(incident)
        except SlackFailure as failure:
            incident_log.retro_not_posted(incident, failure)
            retro_problem: SlackFailure | None = failure
        else:
            # An unwritten one (the template failed) is logged, and told, by the publisher.
            if isinstance(published, Published):
                incident_log.retro_posted(incident, version=published.version,
                                          where=published.where)
            retro_problem = None
        await self._prompt_review(incident)
        return Resolved(number=incident.number, channel_id=where.channel_id,
                        retro_problem=retro_problem)

    async def _prompt_review(self, incident: Incident) -> None:
        try:
            await Reviews(self.deps).prompt(incident)
        except SlackFailure as failure:
            # The deadline is on the record and the reminder follows it; only the prompt
            # is lost.
            log.warning("could not ask %s's channel to schedule its review (%s)",
                        label(incident.number), failure.error)

    async def reopen(self, where: Where) -> Reopened:
        async with self._changing(where, Deed.REOPEN) as (session, incident):
            await incidents.reopen(session, incident, by=where.user_id, now=self._now())
        incident_log.reopened(incident, by=where.user_id)
        await self._tell_channel(incident, wording.reopened(number=incident.number,
                                                            by=where.user_id))
        await self._announce_about(incident, wording.reopened_announced(
            number=incident.number, title=incident.title, channel_id=where.channel_id))
        return Reopened(number=incident.number)

    # --- the card ---------------------------------------------------------------------------

    async def _facts(self, incident: Incident) -> blocks.CardFacts:
        return (await self._card_state(incident))[0]

    async def _card_state(self, incident: Incident) -> tuple[blocks.CardFacts, int]:
        """What the card shows, and its stale mark (`bot.domain.stale_cards`), read together."""
        async with transaction(self.deps.sessions) as session:
            fresh = await session.get(Incident, incident.id)
            if fresh is None:
                raise Gone(wording.incident_gone(incident.number))
            roles = await incidents.current_roles(session, fresh)
            page = await _page_facts(session, fresh)
        facts = blocks.CardFacts(number=fresh.number, title=fresh.title,
                                 description=fresh.description, severity=fresh.severity,
                                 status=fresh.status, started_at=fresh.created_at,
                                 roles=roles, summary=fresh.summary, page=page)
        return facts, fresh.card_stale

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

    async def refresh_card(self, incident: Incident, *, mark_if_failed: bool = True) -> None:
        """Redraw the card and topic from the database. Two changes at once can finish
        their Slack calls in either order, so the state is read again after drawing and
        drawn once more if it moved meanwhile: the last drawing is the latest state.

        If drawing fails the card is marked stale in the database, and `CardRepair`
        redraws it once Slack answers again."""
        assert incident.channel_id is not None
        try:
            stale_as_read = await self._draw_card(incident, incident.channel_id)
        except Exception:
            if mark_if_failed:
                await self._mark_stale(incident)
            raise
        if stale_as_read:
            async with transaction(self.deps.sessions) as session:
                await stale_cards.drawn(session, incident.id or 0, stale_as_read=stale_as_read)

    async def _draw_card(self, incident: Incident, channel_id: str) -> int:
        drawn: blocks.CardFacts | None = None
        stale_as_read = 0
        for _ in range(2):
            facts, stale_as_read = await self._card_state(incident)
            if facts == drawn:
                break
            if incident.card_ts is not None:
                await self.slack.update(channel_id, incident.card_ts,
                                        _card_fallback(facts), blocks.incident_card(facts))
            commander = facts.roles.get(Role.COMMANDER)
            name = await self.slack.display_name(commander) if commander else None
            await self.slack.set_topic(channel_id, _topic(facts, name))
            drawn = facts
        return stale_as_read

    async def _mark_stale(self, incident: Incident) -> None:
        log.warning("the card of %s may be out of date; it is redrawn when Slack answers",
                    label(incident.number))
        try:
            async with transaction(self.deps.sessions) as session:
                await stale_cards.mark_stale(session, incident.id or 0)
        except Exception:
            log.exception("could not mark the card of %s stale", label(incident.number))


async def _page_facts(session: AsyncSession, incident: Incident) -> blocks.PageFacts | None:
    """What the card shows of the page that opened the incident, or of the alerts that
    joined it."""
    alerts, total = await paging.alerts_of(session, incident, limit=blocks.CARD_ALERTS)
    if incident.paged_by is None and not alerts:
        return None
    return blocks.PageFacts(
        source=incident.paged_by, url=incident.page_url,
        alerts=tuple(blocks.AlertLine(text=entry.text, url=entry.permalink)
                     for entry in alerts),
        more_alerts=total - len(alerts))


def _card_fallback(facts: blocks.CardFacts) -> str:
    return wording.card_fallback(number=facts.number, severity=facts.severity,
                                 status=facts.status, title=facts.title)


def _topic(facts: blocks.CardFacts, commander_name: str | None) -> str:
    return wording.topic(number=facts.number, severity=facts.severity, status=facts.status,
                         title=facts.title, commander_name=commander_name)
