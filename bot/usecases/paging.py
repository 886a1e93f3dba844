"""Pages from Alertmanager and PagerDuty: an incident opened the way a person's start opens
one, and the page's alerts and news on its timeline.

A delivery is written to the event inbox before the paging tool gets its answer (the
handlers in `handlers/alertmanager_hook.py` and `handlers/pagerduty_hook.py`), so an
acknowledged page is never lost: what a crash interrupts is replayed from the inbox
(`EventInbox.recover`). Handling it is idempotent by the database's constraints
(`bot.domain.paging`): two replicas given the same delivery, or Alertmanager repeating a
group every `repeat_interval`, open one incident and add each alert once.

The start is the lifecycle's own (`Lifecycle.number` then `Lifecycle.open_room`): same
numbering, channel naming, card, announcement, recovery of a start cut short, and
retrospective. The reporter is the integration (the bot, on its behalf); the commander is
the on-call person when Slack knows their email, otherwise the card asks someone to take
command."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.db.engine import transaction
from bot.db.models import Incident
from bot.deps import Deps
from bot.domain import inbox, openings, paging
from bot.domain.errors import TakenOver
from bot.domain.pages import (
    FIRING,
    PING,
    RESOLVED,
    TRIGGERED,
    Alert,
    AlertGroup,
    MalformedPage,
    PagerDutyEvent,
    alert_group,
    pagerduty_event,
)
from bot.domain.vocabulary import Kind, PageSource, label
from bot.slack import page_wording, wording
from bot.slack.failures import SlackFailure
from bot.usecases.lifecycle import Lifecycle

log = logging.getLogger(__name__)

# Deliveries share the event inbox with Slack's events, under a team id of their own: no
# Slack team id starts with "~".
INBOX_TEAMS: Mapping[str, str] = {PageSource.ALERTMANAGER: "~alertmanager",
                                  PageSource.PAGERDUTY: "~pagerduty"}
_SOURCE_OF_TEAM = {team: source for source, team in INBOX_TEAMS.items()}

def is_page(inbox_team: str) -> bool:
    return inbox_team in _SOURCE_OF_TEAM


@dataclass(frozen=True)
class PageHandled:
    """What a delivery did: for the log line, and for tests."""

    number: int | None
    opened: bool
    added: int


class Paging:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.lifecycle = Lifecycle(deps)

    def _now(self) -> datetime:
        return self.deps.clock.now()

    async def handle(self, inbox_team: str, delivery_id: str,
                     payload: Mapping[str, Any]) -> PageHandled:
        """Handle one delivery from the inbox (after the answer, or replayed)."""
        source = _SOURCE_OF_TEAM[inbox_team]
        try:
            if source == PageSource.ALERTMANAGER:
                return await self.alert_group(alert_group(payload), delivery_id)
            return await self.pagerduty(pagerduty_event(payload), delivery_id)
        except MalformedPage as bad:
            # Refused before the answer nowadays; an old row may still hold one.
            log.warning("dropping %s delivery %s: %s", source, delivery_id, bad)
            await self._done(inbox_team, delivery_id)
            return PageHandled(number=None, opened=False, added=0)

    # --- Alertmanager ---------------------------------------------------------------------

    async def alert_group(self, group: AlertGroup, delivery_id: str) -> PageHandled:
        inbox_team = INBOX_TEAMS[PageSource.ALERTMANAGER]
        team_id, bot_id = await self.deps.slack.team_id(), await self.deps.slack.bot_user_id()
        firing = [alert for alert in group.alerts if alert.status == FIRING]
        resolved = [alert for alert in group.alerts if alert.status == RESOLVED]
        may_open = group.status == FIRING and bool(firing) and \
            self.deps.settings.alertmanager_open_on.matches(group.labels)
        owner, now = openings.new_owner(), self._now()
        async with transaction(self.deps.sessions) as session:
            tracking = await paging.track(session, team_id=team_id,
                                          source=PageSource.ALERTMANAGER,
                                          external_key=group.group_key, now=now)
            incident = await paging.tracked_incident(session, tracking, open_only=True)
            opened = incident is None
            if incident is None and may_open:
                # The incident of this group was resolved: Alertmanager repeating alerts it
                # already had (still firing, every repeat_interval) is not a new incident.
                earlier = await paging.tracked_incident(session, tracking, open_only=False)
                if earlier is not None and not await paging.any_new(
                        session, earlier, kind=Kind.ALERT, keys=[a.key for a in firing]):
                    log.info("Alertmanager group %s repeats alerts of %s, resolved; ignored",
                             group.group_key, label(earlier.number))
                    may_open = False
            if incident is None:
                if not may_open:
                    log.info("Alertmanager group %s (%s) is not tracked by an open incident "
                             "and may not open one (SITREP_ALERTMANAGER_OPEN_ON: %s); ignored",
                             group.group_key, group.status,
                             self.deps.settings.alertmanager_open_on)
                    await inbox.mark_processed(session, team_id=inbox_team,
                                               event_id=delivery_id, now=now)
                    return PageHandled(number=None, opened=False, added=0)
                incident = await self.lifecycle.number(
                    session, owner=owner, team_id=team_id, reporter_id=bot_id,
                    title=group.title, severity=group.severity,
                    description=group.description, commander_id=None,
                    paged_by=PageSource.ALERTMANAGER, page_url=group.link,
                    detected_at=min(alert.starts_at for alert in firing))
                paging.point(session, tracking, incident, now)
            elif incident.channel_id is None:
                return _wait_for_the_opening(incident, delivery_id)
            new_firing = [alert for alert in firing if await paging.record(
                session, incident, kind=Kind.ALERT, key=alert.key,
                text=page_wording.alert_text(alert), link=alert.generator_url,
                occurred_at=alert.starts_at, by=bot_id, now=now)]
            new_resolved = [alert for alert in resolved if await paging.record(
                session, incident, kind=Kind.ALERT_RESOLVED, key=alert.key,
                text=page_wording.alert_text(alert, resolved=True), link=alert.generator_url,
                occurred_at=alert.ends_at or now, by=bot_id, now=now)]
            if group.truncated:
                await paging.record(session, incident, kind=Kind.NOTE,
                                    key=f"truncated {group.status} {group.truncated}",
                                    text=page_wording.alerts_left_out(group.truncated),
                                    link=group.link, occurred_at=now, by=bot_id, now=now)
            if not opened:
                await inbox.mark_processed(session, team_id=inbox_team, event_id=delivery_id,
                                           now=now)
        added = len(new_firing) + len(new_resolved)
        if opened:
            await self._open_room(incident, owner, inbox_team, delivery_id)
            if group.truncated:
                await self._say(incident, wording.alerts_left_out(group.truncated))
            log.info("%s opened by Alertmanager group %s (%d alerts)", label(incident.number),
                     group.group_key, len(new_firing))
            return PageHandled(number=incident.number, opened=True, added=added)
        if new_firing:
            await self._say(incident, wording.alerts_joined(_lines(new_firing),
                                                            truncated=group.truncated),
                            redraw=True)
        if new_resolved:
            await self._say(incident, wording.alerts_resolved(
                _lines(new_resolved, resolved=True),
                truncated=0 if new_firing else group.truncated))
        return PageHandled(number=incident.number, opened=False, added=added)

    # --- PagerDuty ------------------------------------------------------------------------

    async def pagerduty(self, event: PagerDutyEvent, delivery_id: str) -> PageHandled:
        inbox_team = INBOX_TEAMS[PageSource.PAGERDUTY]
        if event.event_type == PING or event.incident_id is None:
            await self._done(inbox_team, delivery_id)
            return PageHandled(number=None, opened=False, added=0)
        team_id, bot_id = await self.deps.slack.team_id(), await self.deps.slack.bot_user_id()
        # Slack is asked before any lock is taken.
        commander = await self._on_call(event) if event.event_type == TRIGGERED else None
        owner, now = openings.new_owner(), self._now()
        async with transaction(self.deps.sessions) as session:
            tracking = await paging.track(session, team_id=team_id,
                                          source=PageSource.PAGERDUTY,
                                          external_key=event.incident_id, now=now)
            # One incident per PagerDuty incident, ever: its news after a resolve in
            # Sitrep still goes to that incident's timeline.
            incident = await paging.tracked_incident(session, tracking, open_only=False)
            opened = incident is None
            if incident is None:
                rule = self.deps.settings.pagerduty_open_on
                if event.event_type != TRIGGERED or not rule.matches(event.labels):
                    log.info("PagerDuty %s for incident %s, which no incident tracks (it was "
                             "triggered before Sitrep heard of it, or SITREP_PAGERDUTY_OPEN_ON "
                             "%s left it out); ignored", event.event_type, event.incident_id,
                             rule)
                    await inbox.mark_processed(session, team_id=inbox_team,
                                               event_id=delivery_id, now=now)
                    return PageHandled(number=None, opened=False, added=0)
                incident = await self.lifecycle.number(
                    session, owner=owner, team_id=team_id, reporter_id=bot_id,
                    title=event.incident_title, severity=event.severity,
                    description=wording.pagerduty_description(
                        number=event.incident_number, service=event.service,
                        urgency=event.urgency, priority=event.priority),
                    commander_id=commander,
                    paged_by=PageSource.PAGERDUTY, page_url=event.html_url,
                    detected_at=event.occurred_at)
                paging.point(session, tracking, incident, now)
            elif incident.channel_id is None:
                return _wait_for_the_opening(incident, delivery_id)
            added = await paging.record(
                session, incident, kind=Kind.PAGERDUTY, key=event.event_id or delivery_id,
                text=page_wording.pagerduty_text(event), link=event.html_url,
                occurred_at=event.occurred_at or now, by=bot_id, now=now)
            if not opened:
                await inbox.mark_processed(session, team_id=inbox_team, event_id=delivery_id,
                                           now=now)
        if opened:
            await self._open_room(incident, owner, inbox_team, delivery_id)
            log.info("%s opened by PagerDuty incident %s (commander: %s)",
                     label(incident.number), event.incident_id, commander or "nobody yet")
            return PageHandled(number=incident.number, opened=True, added=int(added))
        if added:
            await self._say(incident, wording.pagerduty_news(page_wording.pagerduty_text(event),
                                                             event.html_url))
        return PageHandled(number=incident.number, opened=False, added=int(added))

    async def _on_call(self, event: PagerDutyEvent) -> str | None:
        """The Slack user of the first assignee whose email Slack knows, if any. PagerDuty's
        webhooks name people without their email; its REST API says it (`deps.pagerduty`,
        when a key is set)."""
        if self.deps.pagerduty is None:
            return None
        for person in event.assignees:
            try:
                email = await self.deps.pagerduty.email(person.pagerduty_id)
                user_id = await self.deps.slack.user_by_email(email) if email else None
            except SlackFailure as failure:
                log.warning("could not look up %s in Slack (%s); the card asks someone to "
                            "take command", person.name, failure.error)
                return None
            if user_id is not None:
                return user_id
            log.info("PagerDuty assignee %s has no Slack user with their email", person.name)
        return None

    # --- shared ---------------------------------------------------------------------------

    async def _open_room(self, incident: Incident, owner: str, inbox_team: str,
                         delivery_id: str) -> None:
        """The room of an incident the delivery numbered. If Slack refuses, the start is
        taken back and the delivery stays unprocessed, so the inbox tries it again."""
        try:
            await self.lifecycle.open_room(incident, owner=owner)
        except TakenOver:
            log.info("%s: another process took over its opening, and finishes it",
                     label(incident.number))
        await self._done(inbox_team, delivery_id)

    async def _done(self, inbox_team: str, delivery_id: str) -> None:
        async with transaction(self.deps.sessions) as session:
            await inbox.mark_processed(session, team_id=inbox_team, event_id=delivery_id,
                                       now=self._now())

    async def _say(self, incident: Incident, text: str, *, redraw: bool = False) -> None:
        """Tell the channel (and redraw the card when it lists what changed). The record is
        saved already; a Slack failure here is only logged, and a card left behind is
        redrawn by `CardRepair`."""
        if incident.channel_id is None:
            return  # still being opened: its card is drawn from the record
        try:
            await self.deps.slack.post(incident.channel_id, text)
            if redraw and incident.card_ts is not None:
                await self.lifecycle.refresh_card(incident)
        except SlackFailure as failure:
            log.warning("%s: could not tell its channel about the page (%s %s)",
                        label(incident.number), failure.method, failure.error)


def _wait_for_the_opening(incident: Incident, delivery_id: str) -> PageHandled:
    """A delivery about an incident still being opened (by another delivery, maybe on
    another replica, or a start a crash cut short) is left in the inbox for the replay loop,
    untouched: once the room is made it is added and said there; if the start is taken back
    or abandoned, the replay opens the incident again, and the page is not lost."""
    log.info("%s is still being opened; delivery %s waits for the replay",
             label(incident.number), delivery_id)
    return PageHandled(number=incident.number, opened=False, added=0)


def _lines(alerts: Sequence[Alert], *, resolved: bool = False,
           ) -> list[tuple[str, str | None]]:
    return [(page_wording.alert_text(alert, resolved=resolved), alert.generator_url)
            for alert in alerts]

