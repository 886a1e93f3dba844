"""Every kind of timed work the scheduler runs, in one visible list."""

from __future__ import annotations

from bot.deps import Deps
from bot.domain.reminders import DueKind
from bot.domain.reviews import REVIEW_REMINDER
from bot.usecases.follow_up_schedule import OWNERS_MESSAGE, OwnersWeeklyMessage, ReviewReminder
from bot.usecases.reminders import DailyDigest, StaleNudges, UpdateReminders
from bot.usecases.scheduler import Scheduler


def scheduled_work(deps: Deps) -> Scheduler:
    """The scheduler with each kind of work registered under its name."""
    scheduler = Scheduler(deps)
    scheduler.register(OWNERS_MESSAGE, OwnersWeeklyMessage(deps))
    scheduler.register(REVIEW_REMINDER, ReviewReminder(deps))
    scheduler.register(DueKind.UPDATE_REMINDER, UpdateReminders(deps))
    scheduler.register(DueKind.STALE_NUDGE, StaleNudges(deps))
    scheduler.register(DueKind.DIGEST, DailyDigest(deps))
    return scheduler
