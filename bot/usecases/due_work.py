"""Every kind of timed work the scheduler runs, in one visible list."""

from __future__ import annotations

from bot.deps import Deps
from bot.usecases.scheduler import Scheduler


def scheduled_work(deps: Deps) -> Scheduler:
    """The scheduler with each kind of work registered under its name."""
    scheduler = Scheduler(deps)
    return scheduler
