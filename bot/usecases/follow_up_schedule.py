"""The timed parts of follow-ups, as the scheduler's work (`bot/usecases/scheduler.py`):
the owners' weekly direct message and the review reminder.

Owners' message: one row for the deployment (`OWNERS_MESSAGE`, subject "all"), due at the
next SITREP_ACTION_ITEMS_DM moment; each run sends the messages and arms the following
week. Start-up arms it when there is no row, or when the setting moved a moment still to
come; a moment missed while no replica ran is left due, so it is sent once after the
restart (not once per week missed).

Review reminder: a row per incident (`reviews.REVIEW_REMINDER`), armed in the resolve's
transaction for the morning after the deadline, disarmed when the review is marked held.
A run says it once (`Reviews.remind` claims it on the incident's row), or looks again at
the right time when the row was early."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.db.engine import transaction
from bot.db.models import DueJob, Incident
from bot.deps import Deps
from bot.domain import action_items, reviews, schedules
from bot.domain.schedules import Due
from bot.usecases.follow_ups import FollowUps
from bot.usecases.reviews import Reviews
from bot.usecases.scheduler import DueWork, Ran

log = logging.getLogger(__name__)

OWNERS_MESSAGE = "owners_weekly_dm"
_ALL = "all"


class OwnersWeeklyMessage(DueWork):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    def _next(self, after: datetime) -> datetime | None:
        weekly = self.deps.settings.action_items_dm
        if weekly is None:
            return None
        return action_items.next_owners_message(after, weekly, self.deps.settings.timezone)

    async def prepare(self) -> None:
        now = self.deps.clock.now()
        wanted = self._next(now)
        async with transaction(self.deps.sessions) as session:
            row = await session.get(DueJob, (OWNERS_MESSAGE, _ALL))
            armed = row.due_at if row is not None else None
            missed = armed is not None and armed <= now and wanted is not None
            if missed or (row is not None and armed == wanted):
                return
            await schedules.arm(session, kind=OWNERS_MESSAGE, subject=_ALL, team_id=None,
                                at=wanted)

    async def run(self, due: Due, now: datetime) -> Ran:
        if self.deps.settings.action_items_dm is None:
            return Ran(next_due=None)
        sent = await FollowUps(self.deps).send_owners_messages()
        log.info("sent %d owners their open action items (%d refused by Slack)",
                 len(sent.sent), len(sent.failed))
        return Ran(next_due=self._next(now), memo={"last_sent_at": now.isoformat()})


class ReviewReminder(DueWork):
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def run(self, due: Due, now: datetime) -> Ran:
        incident_id = int(due.subject.removeprefix("incident:"))
        said = await Reviews(self.deps).remind(incident_id)
        if said is not None:
            return Ran(next_due=None, memo={"reminded_at": now.isoformat()}, said=[said])
        return Ran(next_due=await self._still_ahead(incident_id, now))

    async def _still_ahead(self, incident_id: int, now: datetime) -> datetime | None:
        """When to look again if the row was early: the reminder's own time, while the
        review is still awaited."""
        async with self.deps.sessions() as session:
            incident = await session.get(Incident, incident_id)
        if incident is None or incident.review_due_on is None \
                or incident.review_reminded_at is not None or incident.reviewed_at is not None:
            return None
        at = reviews.reminder_at(incident.review_due_on, self.deps.settings.timezone)
        return at if at > now else None
