"""The figures a metrics scrape reads from the database: the event inbox's backlog and the
open incidents. Every replica reports the same figures (they are the database's), so an
alert takes their maximum, not their sum."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.deps import Deps
from bot.domain import inbox, incidents

# A backlog is counted up to this: a scrape stays quick however far behind the bot is.
BACKLOG_COUNT_CAP = 100_000


@dataclass(frozen=True)
class Figures:
    inbox_backlog: int
    # Seconds since the oldest event still waiting arrived; 0 when none waits.
    oldest_waiting_s: float
    open_by_severity: Mapping[int, int]


async def current_figures(deps: Deps) -> Figures:
    async with deps.sessions() as session:
        waiting = await inbox.backlog(session, count_up_to=BACKLOG_COUNT_CAP)
        open_now = await incidents.open_by_severity(session)
    oldest = waiting.oldest_received_at
    age = 0.0 if oldest is None else max(0.0, (deps.clock.now() - oldest).total_seconds())
    return Figures(inbox_backlog=waiting.waiting, oldest_waiting_s=age,
                   open_by_severity=open_now)
