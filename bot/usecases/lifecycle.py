"""What happens when someone runs an incident: the domain decides, then Slack is told.

Each use case is one database transaction through `bot.domain.incidents`, then the Slack side
(card, topic, channel message, announcement) through `SlackGateway`. Commands, buttons and
modals all come here, so they do exactly the same thing."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.durations import humanize
from bot.core.settings import COMMANDER
from bot.db.engine import transaction
from bot.db.models import Incident
from bot.deps import Deps
from bot.domain import incidents
from bot.domain.errors import Gone
from bot.domain.vocabulary import Status, label, severity_label
from bot.slack import blocks
from bot.slack.channel_names import candidate_names
from bot.slack.failures import SlackFailure
from bot.slack.gateway import SlackGateway
from bot.slack.mrkdwn import channel_link, escape, mention, to_mrkdwn
from bot.usecases.handover import handover_brief
from bot.usecases.retro_publishing import RetroPublisher, describe_failure

log = logging.getLogger(__name__)

# Names tried when Slack answers name_taken: inc-4-title, inc-4-title-2, …
CHANNEL_NAME_ATTEMPTS = 5


@dataclass(frozen=True)
class Started:
    number: int
    channel_id: str
    channel_name: str
    # Why the announcement could not be made, when an announce channel is set and Slack
    # refused; the reporter is told, since others may not know about the incident yet.
    announce_problem: str | None


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
        is left behind."""
        severity = severity or self.deps.settings.default_severity
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.open_incident(
                session, team_id=team_id, reporter_id=reporter_id, title=title,
                severity=severity, description=description, now=self._now())
        taken = _Taken(team_id=team_id, incident_id=incident.id or 0, number=incident.number)
        channel_id: str | None = None
        try:
            channel = await self.slack.create_channel(
                candidate_names(incident.number, incident.title, attempts=CHANNEL_NAME_ATTEMPTS))
            channel_id = channel.id
            async with transaction(self.deps.sessions) as session:
                session.add(incident)
                await incidents.attach_channel(session, incident, channel.id)
            await self.slack.invite(channel.id, [reporter_id])
            facts = await self._facts(incident)
            card_ts = await self.slack.post(channel.id, blocks.card_text(facts),
                                            blocks=blocks.incident_card(facts))
            async with transaction(self.deps.sessions) as session:
                session.add(incident)
                await incidents.attach_card(session, incident, card_ts)
            await self.slack.pin(channel.id, card_ts)
            await self.slack.set_topic(channel.id, blocks.topic(
                facts, await self.slack.display_name(reporter_id)))
        except BaseException:
            await self._take_back(taken, channel_id)
            raise
        announce_problem = await self._announce(
            f":rotating_light: *{label(incident.number)}* ({severity_label(severity)}) "
            f"declared by {mention(reporter_id)}: {escape(incident.title)} · join "
            f"{channel_link(channel.id)}")
        return Started(number=incident.number, channel_id=channel.id,
                       channel_name=channel.name, announce_problem=announce_problem)

    async def _take_back(self, taken: _Taken, channel_id: str | None) -> None:
        log.warning("taking back %s after a failed start", label(taken.number))
        if channel_id is not None:
            with suppress(SlackFailure):
                await self.slack.archive_channel(channel_id)
        async with transaction(self.deps.sessions) as session:
            await incidents.abandon_incident(session, team_id=taken.team_id,
                                             incident_id=taken.incident_id,
                                             number=taken.number)

    async def _announce(self, text: str) -> str | None:
        """Post in the announce channel, if one is set; returns why it failed, if it did."""
        channel = self.deps.settings.announce_channel
        if channel is None:
            return None
        try:
            await self.slack.post(channel, text)
        except SlackFailure as failure:
            # The incident is open either way; a missing announcement must not undo it.
            log.warning("could not announce in %s: %s", channel, failure.error)
            return f"I couldn't announce it in {channel_link(channel)}: {failure}"
        return None

    # --- changes in an incident channel -----------------------------------------------------

    async def assign_role(self, where: Where, *, role: str, user_id: str) -> None:
        async with self._changing(where) as (session, incident):
            change = await incidents.assign_role(
                session, incident, role=role, user_id=user_id, by=where.user_id,
                now=self._now(), allowed_roles=self.deps.settings.roles)
        try:
            await self.slack.invite(where.channel_id, [user_id])
        except SlackFailure as failure:
            # The role is theirs either way; the card must say so, and the person who
            # assigned it learns why the new holder is not in the channel yet.
            invite_failed: SlackFailure | None = failure
        else:
            invite_failed = None
        was = f" (was {mention(change.previous_user_id)})" if change.previous_user_id else ""
        await self._tell_channel(
            incident, f":busts_in_silhouette: {mention(user_id)} is now "
                      f"*{change.role}*{was}, assigned by {mention(where.user_id)}.")
        if invite_failed is not None:
            raise SlackFailure(invite_failed.method, invite_failed.error,
                               f"{mention(user_id)} is now {change.role}, but I couldn't "
                               f"invite them to this channel: {invite_failed}")

    async def hand_over(self, where: Where, user_id: str) -> None:
        """A new commander, and a brief of the incident so far for the next shift."""
        await self.assign_role(where, role=COMMANDER, user_id=user_id)
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.in_channel(session, where.team_id, where.channel_id)
            brief = await handover_brief(session, incident, now=self._now())
        await self.slack.post(where.channel_id, f"{mention(user_id)}, you have the incident. "
                                                f"{brief}")

    async def change_severity(self, where: Where, severity: int) -> None:
        async with self._changing(where) as (session, incident):
            change = await incidents.change_severity(session, incident, severity=severity,
                                                     by=where.user_id, now=self._now())
        await self._tell_channel(
            incident, f"{blocks.SEVERITY_EMOJI[severity]} {mention(where.user_id)} changed "
                      f"the severity from {change.old} to *{change.new}*.")

    async def change_status(self, where: Where, status: str) -> None:
        if status == Status.RESOLVED:
            await self.resolve(where, summary=None)
            return
        async with self._changing(where) as (session, incident):
            change = await incidents.change_status(session, incident, status=status,
                                                   by=where.user_id, now=self._now())
        await self._tell_channel(
            incident, f"{blocks.STATUS_EMOJI[status]} {mention(where.user_id)} changed the "
                      f"status from {change.old} to *{change.new}*.")

    async def post_update(self, where: Where, text: str) -> None:
        async with self._changing(where) as (session, incident):
            await incidents.record_update(session, incident, text=text, by=where.user_id,
                                          now=self._now())
        body = blocks.clip(to_mrkdwn(text.strip()))
        await self.slack.post(where.channel_id,
                              f":loudspeaker: *Update* from {mention(where.user_id)}\n{body}")
        await self._announce(
            f":loudspeaker: *{label(incident.number)}* ({severity_label(incident.severity)}, "
            f"{incident.status}) {escape(incident.title)}\n{body}\n"
            f"{channel_link(where.channel_id)}")

    async def add_note(self, where: Where, text: str) -> int:
        async with self._changing(where) as (session, incident):
            await incidents.add_note(session, incident, text=text, by=where.user_id,
                                     now=self._now())
        return incident.number

    async def add_action_item(self, where: Where, text: str, owner_id: str | None) -> None:
        async with self._changing(where) as (session, incident):
            await incidents.add_action_item(session, incident, text=text, owner_id=owner_id,
                                            by=where.user_id, now=self._now())
        owner = f", owner {mention(owner_id)}" if owner_id else ", no owner yet"
        await self.slack.post(where.channel_id,
                              f":memo: Action item recorded by {mention(where.user_id)}"
                              f"{owner}: {blocks.clip(to_mrkdwn(text.strip()))}")

    async def resolve(self, where: Where, *, summary: str | None,
                      impact: str | None = None) -> Incident:
        async with self._changing(where) as (session, incident):
            await incidents.resolve(session, incident, summary=summary, by=where.user_id,
                                    now=self._now(), impact=impact)
        assert incident.resolved_at is not None
        took = humanize(incident.resolved_at - incident.created_at)
        said = (f"\n*Summary:* {blocks.clip(to_mrkdwn(incident.summary))}"
                if incident.summary else "")
        await self._tell_channel(
            incident, f":white_check_mark: {mention(where.user_id)} resolved "
                      f"*{label(incident.number)}* after {took}.{said}\n"
                      "Thank you, everyone. The retrospective draft follows.")
        await self._announce(f":white_check_mark: *{label(incident.number)}* resolved after "
                             f"{took}: {escape(incident.title)} · {channel_link(where.channel_id)}")
        try:
            await RetroPublisher(self.deps).publish(incident)
        except SlackFailure as failure:
            raise SlackFailure(failure.method, failure.error, describe_failure(
                incident.number, failure, where.channel_id)) from failure
        return incident

    async def reopen(self, where: Where) -> None:
        async with self._changing(where) as (session, incident):
            await incidents.reopen(session, incident, by=where.user_id, now=self._now())
        await self._tell_channel(
            incident, f":arrows_counterclockwise: {mention(where.user_id)} reopened "
                      f"*{label(incident.number)}*; it is investigating again.")
        await self._announce(f":arrows_counterclockwise: *{label(incident.number)}* reopened: "
                             f"{escape(incident.title)} · {channel_link(where.channel_id)}")

    async def incident_here(self, where: Where) -> Incident:
        async with transaction(self.deps.sessions) as session:
            return await incidents.in_channel(session, where.team_id, where.channel_id)

    # --- the card ---------------------------------------------------------------------------

    async def _facts(self, incident: Incident) -> blocks.CardFacts:
        async with transaction(self.deps.sessions) as session:
            fresh = await session.get(Incident, incident.id)
            if fresh is None:
                raise Gone(f"{label(incident.number)} no longer exists.")
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
                                        blocks.card_text(facts), blocks.incident_card(facts))
            commander = facts.roles.get(COMMANDER)
            name = await self.slack.display_name(commander) if commander else None
            await self.slack.set_topic(incident.channel_id, blocks.topic(facts, name))
            drawn = facts
