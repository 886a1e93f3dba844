"""The scheduler: runs timed work (reminders, digests, nudges) when it falls due, once, on
whichever replica claims it, and sleeps until the next due time or a change.

How another use case schedules something
-----------------------------------------
1. Pick a `kind` (a short name, e.g. "weekly_dm") and a `subject` spelling for what it is
   about (e.g. f"incident:{incident.id}", f"user:{user_id}").
2. Write the work: a subclass of `DueWork` whose `run(due, now)` reads the record, decides
   whether anything is really due (a row may be early: it is a wake-up, not a promise),
   does it (tells Slack), and returns `Ran(next_due=…, memo={…})` — when to look again
   (None: not until asked) and keys to keep in the row's memory (`due.memo` next time;
   None removes a key), and what it said in an incident's channel (`said`: recorded by
   `bot.domain.reminder_log` in the same transaction as the rest, only while the run
   still holds its row). `prepare()` runs once at start-up, e.g. to arm a daily time.
   A run that raises is tried again later, each wait twice the last
   (`RETRY_FIRST` … `RETRY_LONGEST`); the work decides itself when a Slack refusal is
   for good (return `Ran(next_due=None)`).
3. Register it in `bot/usecases/due_work.py` `scheduled_work` (one visible list).
4. Arm it from the use cases that change what it depends on, in their transaction:
   `schedules.due_now(session, kind=…, subject=…, team_id=…, now=…)` ("look at the
   record now") or `schedules.arm(…, at=…)` (a time you computed); after the commit,
   `deps.schedule_changed.poke()` wakes the loop at once.

Tests drive it with a clock they move: `await Scheduler.run_due()` runs what is due at
the clock's `now`; nothing sleeps. `keep_running` (started by `bot/server.py`) calls the
same method, then sleeps until the next due time, a poke, or `POLL_S` (changes made by
another replica reach this one at the latest then)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import InterfaceError, OperationalError

from bot.db.engine import transaction
from bot.deps import Deps
from bot.domain import reminder_log, schedules
from bot.domain.reminder_log import Answered, Said
from bot.domain.schedules import Due, Memo
from bot.slack.failures import SlackFailure

log = logging.getLogger(__name__)

# The longest sleep: what another replica armed is seen at the latest this late.
POLL_S = 60.0
# The shortest: a row due but held by another replica's run is not asked about in a loop.
NAP_S = 1.0
RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(hours=1)
# Waits between tries at recording a run while the database does not answer (a restart,
# a failover): about a quarter of a minute in all, well inside the row's lease.
COMPLETE_WAITS_S: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
# What a database that is away for a moment raises (a refused or dropped connection).
DATABASE_AWAY = (OperationalError, InterfaceError, OSError, TimeoutError)


@dataclass(frozen=True)
class Ran:
    """What a run decided: when to look again (None: not until a use case asks), the
    keys of its memory to change, and the reminders it said or saw answered."""

    next_due: datetime | None
    memo: Memo = field(default_factory=dict)
    said: Sequence[Said | Answered] = ()


class DueWork:
    """Work of one kind, run by the scheduler when a row of that kind falls due."""

    async def prepare(self) -> None:
        """At start-up, before the first round (on every replica)."""

    async def run(self, due: Due, now: datetime) -> Ran:
        raise NotImplementedError


class Scheduler:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self._work: dict[str, DueWork] = {}

    def register(self, kind: str, work: DueWork) -> None:
        if kind in self._work:
            raise ValueError(f"{kind!r} is registered already")
        self._work[kind] = work

    @property
    def kinds(self) -> Mapping[str, DueWork]:
        return self._work

    async def prepare(self) -> None:
        for kind, work in self._work.items():
            try:
                await work.prepare()
            except Exception:
                log.exception("preparing the scheduled %s failed; it runs as armed", kind)

    async def run_due(self) -> int:
        """Claim what is due now and run it; returns how many runs were made. Rows beyond
        one round's claim wait for the next round, which the loop starts at once."""
        if not self._work:
            return 0
        now = self.deps.clock.now()
        owner = schedules.new_owner()
        async with transaction(self.deps.sessions) as session:
            claimed = await schedules.claim_due(session, owner=owner, now=now,
                                                kinds=list(self._work))
        for due in claimed:
            await self._run_one(due)
        return len(claimed)

    async def _run_one(self, due: Due) -> None:
        now = self.deps.clock.now()
        try:
            ran = await self._work[due.kind].run(due, now)
        except Exception as error:
            wait = min(RETRY_FIRST * 2 ** min(due.failures, 10), RETRY_LONGEST)
            if isinstance(error, SlackFailure):
                log.warning("scheduled %s for %s: Slack refused (%s %s); trying again in %s",
                            due.kind, due.subject, error.method, error.error, wait)
            else:
                log.exception("scheduled %s for %s failed; trying again in %s",
                              due.kind, due.subject, wait)
            ran, failed = Ran(next_due=now + wait), True
        else:
            failed = False
        kept = await self._complete(due, ran, failed=failed)
        if not kept:
            log.warning("scheduled %s for %s ran past its lease; another run took it over",
                        due.kind, due.subject)

    async def _complete(self, due: Due, ran: Ran, *, failed: bool) -> bool:
        """Record the run, trying again while the database is briefly away: a run that
        told Slack something and whose record is lost would be made again once its lease
        runs out, and say it twice (a second reminder, a second digest)."""
        waits = iter(COMPLETE_WAITS_S)
        while True:
            try:
                async with transaction(self.deps.sessions) as session:
                    kept = await schedules.complete(session, due, next_due=ran.next_due,
                                                    memo=ran.memo, failed=failed)
                    if kept:
                        await reminder_log.record(session, ran.said)
                return kept
            except DATABASE_AWAY as away:
                wait = next(waits, None)
                if wait is None:
                    raise
                log.warning("could not record the scheduled %s for %s (%s); trying again "
                            "in %.1f s", due.kind, due.subject, type(away).__name__, wait)
                await asyncio.sleep(wait)

    async def next_wake(self) -> datetime | None:
        async with self.deps.sessions() as session:
            return await schedules.next_wake(session, kinds=list(self._work))

    async def sleep_for(self) -> float:
        """Seconds until the next due time, between `NAP_S` and `POLL_S`."""
        wake = await self.next_wake()
        if wake is None:
            return POLL_S
        left = (wake - self.deps.clock.now()).total_seconds()
        return min(POLL_S, max(NAP_S, left))

    async def keep_running(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set: a round, then sleep until the next due time, a poke
        (`deps.schedule_changed`) or `POLL_S`. A round under way is finished, not cut off
        between its Slack call and its record."""
        await self.prepare()
        wakeup = self.deps.schedule_changed
        while not stopping.is_set():
            sleep = POLL_S
            try:
                # A full round leaves more waiting; anything else waits for its time.
                while (await self.run_due() >= schedules.CLAIMED_AT_ONCE
                       and not stopping.is_set()):
                    pass
                sleep = await self.sleep_for()
            except Exception:
                log.exception("the scheduler's round failed; trying again later")
            if stopping.is_set():
                break
            stop_wait = asyncio.create_task(stopping.wait())
            poke_wait = asyncio.create_task(wakeup.wait(sleep))
            await asyncio.wait({stop_wait, poke_wait}, return_when=asyncio.FIRST_COMPLETED)
            for task in (stop_wait, poke_wait):
                task.cancel()
            await asyncio.gather(stop_wait, poke_wait, return_exceptions=True)
