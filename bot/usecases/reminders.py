"""Sitrep speaking up on its own: update reminders (with the handover hint), stale nudges
and the daily digest — each a kind of work the scheduler runs (`bot.usecases.scheduler`),
its times computed from the record by `bot.domain.reminders` — and snoozing.

One update reminder at most waits unanswered in a channel: the next one edits it in place
rather than piling up, and an update, a snooze or the resolve answers it (edited to say
so, its buttons gone). What a reminder needs to remember between runs — the waiting
message, when it was sent, a snooze — is kept in its row's memo, never in memory."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import transaction
from bot.db.models import Incident
from bot.deps import Deps
from bot.domain import incidents, reminders, schedules
from bot.domain.errors import InvalidInput
from bot.domain.reminder_log import Answered, ReminderAnswer, ReminderKind, Said
from bot.domain.reminders import DueKind, UpdateClock
from bot.domain.schedules import Due
from bot.domain.vocabulary import Status, label
from bot.slack import reminder_blocks, reminder_wording
from bot.slack.failures import SlackFailure
from bot.usecases.lifecycle import Lifecycle, Where
from bot.usecases.scheduler import DueWork, Ran

log = logging.getLogger(__name__)

DIGEST_SUBJECT = "announce"
# Slack's answers to an edit of a message that is no longer there to edit.
_MESSAGE_GONE = frozenset({"message_not_found", "cant_update_message", "edit_window_closed"})


@dataclass(frozen=True)
class Snoozed:
    number: int
    until: datetime | None  # None: reminders are on again


def _when(memo: Any, key: str) -> datetime | None:
    value = memo.get(key)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


def _gone_for_good(failure: SlackFailure, what: str, incident: Incident) -> Ran:
    if failure.passing:
        raise failure  # the scheduler tries again later
    # The channel is archived or the bot was removed: asking again would never end.
    log.warning("%s: giving up its %s: Slack refused (%s %s)", label(incident.number), what,
                failure.method, failure.error)
    return Ran(next_due=None)


class _PerIncident(DueWork):
    """Work about each open incident, armed by the changes to it (`Lifecycle._changing`)."""

    kind: DueKind

    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def prepare(self) -> None:
        """Incidents opened before this kind of work existed (an upgrade) get their row;
        the others keep theirs."""
        now = self.deps.clock.now()
        async with transaction(self.deps.sessions) as session:
            for incident in await reminders.open_incidents(session):
                await schedules.ensure(session, kind=self.kind,
                                       subject=reminders.incident_subject(incident.id or 0),
                                       team_id=incident.team_id, at=now)


class UpdateReminders(_PerIncident):
    kind = DueKind.UPDATE_REMINDER

    async def run(self, due: Due, now: datetime) -> Ran:
        settings = self.deps.settings
        async with self.deps.sessions() as session:
            incident = await session.get(Incident, reminders.incident_id_of(due.subject))
            if incident is None or incident.channel_id is None:
                return Ran(next_due=None)
            clock = await reminders.update_clock(session, incident)
            commander = await reminders.commander_since(session, incident)
        clock = replace(clock, reminded_at=_when(due.memo, "reminded_at"),
                        snoozed_until=_when(due.memo, "snoozed_until"))
        memo: dict[str, Any] = {}
        said: list[Said | Answered] = []
        waiting = due.memo.get("waiting_ts")
        answer = (self._answer(incident, clock, due, waiting=waiting, now=now)
                  if waiting else None)
        if waiting and answer is not None:
            shown_answer, answered = answer
            try:
                await self.deps.slack.update(incident.channel_id, waiting, shown_answer,
                                             reminder_blocks.answered(shown_answer))
            except SlackFailure as failure:
                if failure.passing:
                    raise
            memo |= {"waiting_ts": None, "times": None}
            said.append(answered)
            waiting = None
        at = reminders.next_update_reminder(clock, settings.update_reminders)
        if at is None or at > now:
            return Ran(next_due=at, memo=memo, said=said)
        every = reminders.update_interval(incident.severity, incident.status,
                                          settings.update_reminders)
        assert every is not None
        times = int(due.memo.get("times", 0)) + 1 if waiting else 1
        text = reminder_wording.update_reminder(
            number=incident.number, commander_id=commander[0] if commander else None,
            silent_for=now - reminders.silent_since(clock), every=every,
            monitoring=incident.status == Status.MONITORING, times=times)
        hint = None
        if commander and reminders.needs_handover(commander[1], now, settings.handover_after):
            hint = reminder_wording.handover_hint(commander_id=commander[0],
                                                  held_for=now - commander[1])
        shown = reminder_blocks.update_reminder(text, number=incident.number,
                                                handover_hint=hint,
                                                commanded=commander is not None)
        try:
            ts = await self._say(incident.channel_id, waiting, text, shown)
        except SlackFailure as failure:
            return replace(_gone_for_good(failure, "update reminders", incident), said=said)
        log.info("%s: reminded its channel of an update (reminder %d, none for %s)",
                 label(incident.number), times, now - reminders.silent_since(clock))
        memo |= {"waiting_ts": ts, "reminded_at": now.isoformat(), "times": times}
        said.append(Said(incident_id=incident.id or 0, team_id=incident.team_id,
                         kind=ReminderKind.UPDATE_REMINDER, channel_id=incident.channel_id,
                         message_ts=ts, sent_at=now, repeat=times,
                         quiet_since=reminders.silent_since(clock),
                         handover_hint=hint is not None))
        return Ran(next_due=reminders.next_update_reminder(
            replace(clock, reminded_at=now), settings.update_reminders), memo=memo,
                   said=said)

    def _answer(self, incident: Incident, clock: UpdateClock, due: Due, *, waiting: str,
                now: datetime) -> tuple[str, Answered] | None:
        """Why the reminder waiting in the channel needs no answer any more, if it doesn't:
        what it is edited to say, and the answer to record."""
        reminded_at = _when(due.memo, "reminded_at")

        def answered(how: ReminderAnswer, at: datetime, **more: Any) -> Answered:
            return Answered(incident_id=incident.id or 0, how=how, at=at,
                            message_ts=waiting, **more)

        if incident.status == Status.RESOLVED:
            return (reminder_wording.reminder_resolved(incident.number),
                    answered(ReminderAnswer.RESOLVE, incident.resolved_at or now))
        if (reminded_at is not None and clock.last_update_at is not None
                and clock.last_update_at >= reminded_at):
            return (reminder_wording.reminder_answered_by_update(at=clock.last_update_at),
                    answered(ReminderAnswer.UPDATE, clock.last_update_at))
        snoozed_at = _when(due.memo, "snoozed_at")
        if (clock.snoozed_until is not None and snoozed_at is not None
                and reminded_at is not None and snoozed_at >= reminded_at):
            by = due.memo.get("snoozed_by")
            return (reminder_wording.reminder_snoozed(until=clock.snoozed_until, by=by),
                    answered(ReminderAnswer.SNOOZE, snoozed_at, by=by,
                             snoozed_until=clock.snoozed_until))
        if reminders.update_interval(incident.severity, incident.status,
                                     self.deps.settings.update_reminders) is None:
            return (reminder_wording.reminders_off(incident.number, incident.severity),
                    answered(ReminderAnswer.OFF, now))
        return None

    async def _say(self, channel_id: str, waiting: str | None, text: str,
                   shown: list[dict[str, Any]]) -> str:
        """Edit the reminder still waiting, or post one; returns its ts."""
        if waiting:
            try:
                await self.deps.slack.update(channel_id, waiting, text, shown)
            except SlackFailure as failure:
                if failure.error not in _MESSAGE_GONE:
                    raise
            else:
                return waiting
        return await self.deps.slack.post(channel_id, text, blocks=shown)


class StaleNudges(_PerIncident):
    kind = DueKind.STALE_NUDGE

    async def run(self, due: Due, now: datetime) -> Ran:
        settings = self.deps.settings
        async with self.deps.sessions() as session:
            incident = await session.get(Incident, reminders.incident_id_of(due.subject))
            if incident is None:
                return Ran(next_due=None, memo={"nudged_at": None, "nudges": None})
            if incident.channel_id is None or incident.status == Status.RESOLVED:
                return Ran(next_due=None, memo={"nudged_at": None, "nudges": None},
                           said=[_nudges_answered(incident, ReminderAnswer.RESOLVE,
                                                  incident.resolved_at or now)])
            activity = await reminders.last_activity(session, incident)
            commander = await reminders.commander_since(session, incident)
        said: list[Said | Answered] = []
        nudged_at = _when(due.memo, "nudged_at")
        nudges = int(due.memo.get("nudges", 0))
        if nudged_at is not None and activity >= nudged_at:
            nudges, nudged_at = 0, None
            said.append(_nudges_answered(incident, ReminderAnswer.ACTIVITY, activity))
        at = reminders.next_stale_nudge(activity, last_nudge=nudged_at, nudges=nudges,
                                        stale_after=settings.stale_after, tz=settings.timezone)
        if at is None or at > now:
            return Ran(next_due=at, memo={"nudges": nudges or None,
                                          "nudged_at": nudged_at and nudged_at.isoformat()},
                       said=said)
        weekday = reminders.on_a_weekday(now, settings.timezone)
        if weekday > now:
            # Overdue since Friday (the bot was down): it waits for Monday all the same.
            return Ran(next_due=weekday, said=said)
        text = reminder_wording.stale_nudge(
            number=incident.number, commander_id=commander[0] if commander else None,
            quiet_for=now - activity, since=activity)
        try:
            ts = await self.deps.slack.post(incident.channel_id, text,
                                            blocks=reminder_blocks.stale_nudge(
                                                text, number=incident.number))
        except SlackFailure as failure:
            return replace(_gone_for_good(failure, "stale nudges", incident), said=said)
        nudges += 1
        log.info("%s: nudged, quiet since %s (nudge %d)", label(incident.number),
                 activity.isoformat(timespec="minutes"), nudges)
        said.append(Said(incident_id=incident.id or 0, team_id=incident.team_id,
                         kind=ReminderKind.STALE_NUDGE, channel_id=incident.channel_id,
                         message_ts=ts, sent_at=now, repeat=nudges, quiet_since=activity))
        return Ran(next_due=reminders.next_stale_nudge(
            activity, last_nudge=now, nudges=nudges, stale_after=settings.stale_after,
            tz=settings.timezone), memo={"nudged_at": now.isoformat(), "nudges": nudges},
                   said=said)


def _nudges_answered(incident: Incident, how: ReminderAnswer, at: datetime) -> Answered:
    return Answered(incident_id=incident.id or 0, how=how, at=at,
                    kinds=(ReminderKind.STALE_NUDGE,))


class DailyDigest(DueWork):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _next(self, after: datetime) -> datetime | None:
        at = self.deps.settings.digest_at
        if at is None or self.deps.settings.announce_channel is None:
            return None
        return reminders.next_digest(after, at, self.deps.settings.timezone)

    async def prepare(self) -> None:
        """Arm the digest, unless it is armed already for the time set (an overdue one is
        left due: it is posted once, now)."""
        at = self.deps.settings.digest_at
        written = at.strftime("%H:%M") if at is not None else "off"
        now = self.deps.clock.now()
        async with transaction(self.deps.sessions) as session:
            memo = await schedules.memo_of(session, kind=DueKind.DIGEST, subject=DIGEST_SUBJECT)
            armed = await schedules.due_at_of(session, kind=DueKind.DIGEST,
                                              subject=DIGEST_SUBJECT)
            if armed is not None and memo.get("at") == written and self._next(now) is not None:
                return
            await schedules.arm(session, kind=DueKind.DIGEST, subject=DIGEST_SUBJECT,
                                team_id=None, at=self._next(now))
            await schedules.remember(session, kind=DueKind.DIGEST, subject=DIGEST_SUBJECT,
                                     team_id=None, changes={"at": written})

    async def run(self, due: Due, now: datetime) -> Ran:
        channel = self.deps.settings.announce_channel
        if channel is None or self._next(now) is None:
            return Ran(next_due=None)
        async with self.deps.sessions() as session:
            lines = await reminders.digest_lines(session)
        shown = [line for line in lines if not await self._private(line.channel_id)]
        if shown:
            names = {line.commander_id: await self.deps.slack.display_name(line.commander_id)
                     for line in shown if line.commander_id}
            try:
                await self.deps.slack.post(channel, reminder_wording.digest(shown, now=now,
                                                                            names=names))
            except SlackFailure as failure:
                if failure.passing:
                    raise  # Slack's bad moment: the scheduler tries again shortly
                # The announce channel archived, or the bot not in it: an operator has to
                # act, and asking every hour until they do would only fill the log.
                log.warning("could not post the daily digest in %s: Slack refused (%s); "
                            "trying again at tomorrow's digest time", channel, failure.error)
                return Ran(next_due=self._next(now))
            log.info("posted the daily digest of %d open incidents", len(shown))
        return Ran(next_due=self._next(now), memo={"posted_at": now.isoformat()})

    async def _private(self, channel_id: str | None) -> bool:
        # A channel made private after the start is not named in the announce channel;
        # when Slack cannot say, better left out than a secret told.
        if channel_id is None:
            return True
        try:
            return await self.deps.slack.is_private(channel_id)
        except SlackFailure:
            return True


class Snoozing:
    """`/incident snooze <duration>` and the reminder's Snooze buttons."""

    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.lifecycle = Lifecycle(deps)

    async def snooze(self, where: Where, duration: timedelta | None) -> Snoozed:
        """Pause the incident's update reminders for `duration` (None: on again now)."""
        if duration is not None and duration > reminder_wording.LONGEST_SNOOZE:
            raise InvalidInput(reminder_wording.snooze_too_long())
        now = self.deps.clock.now()
        async with self.lifecycle.changing(where) as (session, incident):
            incidents.check_open(incident, "snooze its reminders")
            until = now + duration if duration is not None else None
            await _remember_snooze(session, incident, until=until, by=where.user_id, now=now)
        return Snoozed(number=incident.number, until=until)


async def _remember_snooze(session: AsyncSession, incident: Incident, *,
                           until: datetime | None, by: str, now: datetime) -> None:
    await schedules.remember(
        session, kind=DueKind.UPDATE_REMINDER,
        subject=reminders.incident_subject(incident.id or 0), team_id=incident.team_id,
        changes={"snoozed_until": until and until.isoformat(),
                 "snoozed_by": by if until else None,
                 "snoozed_at": now.isoformat() if until else None})

