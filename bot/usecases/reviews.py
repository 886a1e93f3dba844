"""The retrospective review: the prompt at resolve, marking it held, and the reminder when
it was not held by its deadline.

The deadline is fixed on the incident's row in the resolve's own transaction
(`Lifecycle.resolve` calls `reviews.set_deadline`); this module says it in the channel,
records the review held, and sends the one reminder `bot.domain.reviews.claim_reminder`
hands out."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from bot.db.engine import transaction
from bot.db.models import Incident
from bot.deps import Deps
from bot.domain import incidents, permissions, reminder_log, reviews
from bot.domain.permissions import Deed
from bot.domain.reminder_log import Answered, ReminderAnswer, ReminderKind, Said
from bot.domain.vocabulary import label
from bot.slack import follow_up_blocks, follow_up_wording
from bot.slack.failures import SlackFailure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReviewHeld:
    number: int


class Reviews:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def prompt(self, incident: Incident) -> None:
        """At resolve: ask the channel to schedule the review by its deadline (or say it is
        optional for this severity), with a button to mark it held."""
        if incident.channel_id is None or incident.reviewed_at is not None:
            return
        text = follow_up_wording.review_prompt(number=incident.number,
                                               severity=incident.severity,
                                               due_on=incident.review_due_on)
        ts = await self.deps.slack.post(incident.channel_id, text,
                                        blocks=follow_up_blocks.review_prompt(
                                            text, incident.number))
        # The resolve said it once (its transaction is over); recorded once afterwards.
        async with transaction(self.deps.sessions) as session:
            await reminder_log.record_said(session, Said(
                incident_id=incident.id or 0, team_id=incident.team_id,
                kind=ReminderKind.REVIEW_PROMPT, channel_id=incident.channel_id,
                message_ts=ts, sent_at=self.deps.clock.now()))

    async def mark_held(self, *, channel_id: str, user_id: str) -> ReviewHeld:
        """`/incident reviewed` or the prompt's button: anyone in the channel, once."""
        await self._must_be_incident_channel(channel_id)
        is_member = await self.deps.slack.is_member(channel_id, user_id)
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.in_channel(session, channel_id, for_change=True)
            actor = await permissions.actor(session, incident, user_id,
                                            is_member=is_member)
            permissions.check(Deed.CHANGE, actor, incident)
            now = self.deps.clock.now()
            await reviews.mark_reviewed(session, incident, by=user_id, now=now)
            await reminder_log.record_answered(session, Answered(
                incident_id=incident.id or 0, how=ReminderAnswer.REVIEWED, at=now, by=user_id,
                kinds=(ReminderKind.REVIEW_PROMPT, ReminderKind.REVIEW_REMINDER)))
        await self.deps.slack.post(channel_id, follow_up_wording.review_held(
            number=incident.number, by=user_id))
        return ReviewHeld(number=incident.number)

    async def _must_be_incident_channel(self, channel_id: str) -> None:
        # Any other channel is told so, without asking Slack about it.
        async with self.deps.sessions() as session:
            await incidents.in_channel(session, channel_id)

    async def remind(self, incident_id: int) -> Said | None:
        """Say the reminder for this incident's review if it is due and not said yet;
        what was said (the scheduler records it with its decision). Safe to call any
        number of times, from any replica: the claim is a conditional update, so it is
        said once. Should Slack refuse, the claim is given back so that a later call says
        it."""
        now = self.deps.clock.now()
        zone = self.deps.settings.timezone
        async with transaction(self.deps.sessions) as session:
            incident = await reviews.claim_reminder(session, incident_id, now=now, zone=zone)
        if incident is None or incident.channel_id is None or incident.review_due_on is None:
            return None
        try:
            ts = await self.deps.slack.post(incident.channel_id, follow_up_wording.review_reminder(
                number=incident.number, due_on=incident.review_due_on))
        except SlackFailure as failure:
            async with transaction(self.deps.sessions) as session:
                await reviews.release_reminder(session, incident_id)
            if failure.passing:
                raise  # Slack's bad moment: the scheduler tries again later
            # Teams archive an incident's channel once it is resolved, and the reminder
            # comes days later: asking again every hour would never end.
            log.warning("%s: giving up its review reminder: Slack refused (%s %s)",
                        label(incident.number), failure.method, failure.error)
            return None
        return Said(incident_id=incident_id, team_id=incident.team_id,
                    kind=ReminderKind.REVIEW_REMINDER, channel_id=incident.channel_id,
                    message_ts=ts, sent_at=now)
