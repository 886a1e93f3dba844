"""The scheduler on its own, with work of a kind made up for the test: each due row runs
once however many replicas claim, an overdue one runs once after a restart (not once per
period missed), a failing run is tried again later, and the loop sleeps until the next due
time or a poke, never in a busy loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import SessionFactory, create_engine, transaction
from bot.deps import Deps
from bot.devtools.slack_emulator import SlackEmulator
from bot.domain import schedules
from bot.domain.schedules import Due
from bot.usecases import scheduler as scheduler_module
from bot.usecases.scheduler import NAP_S, POLL_S, RETRY_FIRST, DueWork, Ran, Scheduler
from tests.support.app_under_test import make_deps, stop_background_work
from tests.support.clock import MovableClock
from tests.support.settings import make_settings

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
HOURLY = "hourly_ping"


class Hourly(DueWork):
    """Says something every hour; remembers when it last did."""

    def __init__(self, said: list[tuple[str, datetime]], *, failing: int = 0) -> None:
        self.said = said
        self.failing = failing
        self.ran = asyncio.Event()

    async def run(self, due: Due, now: datetime) -> Ran:
        if self.failing:
            self.failing -= 1
            raise RuntimeError("the thing it says could not be said")
        self.said.append((due.subject, now))
        self.ran.set()
        return Ran(next_due=now + timedelta(hours=1), memo={"said_at": now.isoformat()})


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(T0)


async def _replica(database_url: str, slack: SlackEmulator, clock: MovableClock,
                   said: list[tuple[str, datetime]], **work: int) -> tuple[Scheduler, Deps]:
    engine = create_engine(database_url)
    deps = make_deps(make_settings(database_url, slack), engine, clock)
    scheduler = Scheduler(deps)
    scheduler.register(HOURLY, Hourly(said, **work))
    return scheduler, deps


@pytest.fixture
async def replicas(database_url: str, slack: SlackEmulator, clock: MovableClock
                   ) -> AsyncIterator[tuple[list[tuple[str, datetime]], Scheduler, Scheduler]]:
    said: list[tuple[str, datetime]] = []
    first, first_deps = await _replica(database_url, slack, clock, said)
    second, second_deps = await _replica(database_url, slack, clock, said)
    yield said, first, second
    for deps in (first_deps, second_deps):
        await stop_background_work(deps)
        await deps.sessions.kw["bind"].dispose()


async def _arm(scheduler: Scheduler, subject: str, at: datetime) -> None:
    async with transaction(scheduler.deps.sessions) as session:
        await schedules.arm(session, kind=HOURLY, subject=subject, team_id="T1", at=at)


async def test_two_replicas_run_each_due_row_once(
        replicas: tuple[list[tuple[str, datetime]], Scheduler, Scheduler],
        clock: MovableClock) -> None:
    said, first, second = replicas
    for number in range(1, 6):
        await _arm(first, f"incident:{number}", T0)
    for _ in range(3):
        await asyncio.gather(first.run_due(), second.run_due())
    assert sorted(subject for subject, _ in said) == [f"incident:{n}" for n in range(1, 6)]

    clock.advance(minutes=59)
    await asyncio.gather(first.run_due(), second.run_due())
    assert len(said) == 5
    clock.advance(minutes=1)
    await asyncio.gather(first.run_due(), second.run_due(), first.run_due())
    assert len(said) == 10


async def test_after_a_restart_an_overdue_row_runs_once_and_the_next_counts_from_now(
        database_url: str, slack: SlackEmulator, clock: MovableClock) -> None:
    said: list[tuple[str, datetime]] = []
    before, before_deps = await _replica(database_url, slack, clock, said)
    await _arm(before, "incident:1", T0)
    await before.run_due()
    await stop_background_work(before_deps)
    await before_deps.sessions.kw["bind"].dispose()

    # Down for five hours and a half; the new process runs what it missed once.
    clock.advance(hours=5, minutes=30)
    after, after_deps = await _replica(database_url, slack, clock, said)
    try:
        assert await after.run_due() == 1
        assert await after.run_due() == 0
        assert said == [("incident:1", T0), ("incident:1", clock.now())]
        assert await after.next_wake() == clock.now() + timedelta(hours=1)
    finally:
        await stop_background_work(after_deps)
        await after_deps.sessions.kw["bind"].dispose()


async def test_a_failing_run_is_tried_again_later_each_wait_longer(
        database_url: str, slack: SlackEmulator, clock: MovableClock) -> None:
    said: list[tuple[str, datetime]] = []
    scheduler, deps = await _replica(database_url, slack, clock, said, failing=2)
    try:
        await _arm(scheduler, "incident:1", T0)
        await scheduler.run_due()
        assert await scheduler.next_wake() == T0 + RETRY_FIRST
        clock.advance(minutes=1)
        await scheduler.run_due()
        assert await scheduler.next_wake() == T0 + RETRY_FIRST + 2 * RETRY_FIRST
        clock.advance(minutes=2)
        await scheduler.run_due()
        assert said == [("incident:1", clock.now())]
    finally:
        await stop_background_work(deps)
        await deps.sessions.kw["bind"].dispose()


async def test_the_loop_sleeps_until_the_next_due_time_never_less_than_a_nap(
        database_url: str, slack: SlackEmulator, clock: MovableClock) -> None:
    said: list[tuple[str, datetime]] = []
    scheduler, deps = await _replica(database_url, slack, clock, said)
    try:
        assert await scheduler.sleep_for() == POLL_S  # nothing armed: a poll, for replicas
        await _arm(scheduler, "incident:1", T0 + timedelta(seconds=20))
        assert await scheduler.sleep_for() == 20
        clock.advance(seconds=20)
        await scheduler.run_due()
        assert await scheduler.sleep_for() == POLL_S  # next in an hour
        # Due but held by another replica's run: until its lease ends, not in a loop.
        await _arm(scheduler, "incident:2", T0)
        async with transaction(deps.sessions) as session:
            await schedules.claim_due(session, owner="other replica", now=clock.now(),
                                      kinds=[HOURLY])
        assert await scheduler.sleep_for() == POLL_S
        clock.advance(minutes=4, seconds=50)
        assert await scheduler.sleep_for() == 10
        clock.advance(seconds=10)  # its lease runs out now: claimable, so only a nap
        assert await scheduler.sleep_for() == NAP_S
    finally:
        await stop_background_work(deps)
        await deps.sessions.kw["bind"].dispose()


async def test_the_loop_runs_at_a_poke_and_stops_when_asked(
        database_url: str, slack: SlackEmulator, clock: MovableClock) -> None:
    said: list[tuple[str, datetime]] = []
    scheduler, deps = await _replica(database_url, slack, clock, said)
    work = scheduler.kinds[HOURLY]
    assert isinstance(work, Hourly)
    stopping = asyncio.Event()
    loop = asyncio.create_task(scheduler.keep_running(stopping))
    try:
        await _arm(scheduler, "incident:1", T0)
        deps.schedule_changed.poke()
        async with asyncio.timeout(10):
            await work.ran.wait()
        assert said == [("incident:1", T0)]
        stopping.set()
        async with asyncio.timeout(5):
            await loop
    finally:
        loop.cancel()
        await stop_background_work(deps)
        await deps.sessions.kw["bind"].dispose()


class _AwayForAMoment:
    """A session factory whose database does not answer for the next `away` sessions (a
    restart, a failover), then does again."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions
        self.kw = sessions.kw
        self.away = 0

    def __call__(self) -> AsyncSession:
        if self.away:
            self.away -= 1
            raise OperationalError("connect", None, ConnectionRefusedError("no database"))
        return self.sessions()


class _SaysThenTheDatabaseBlinks(Hourly):
    def __init__(self, said: list[tuple[str, datetime]], sessions: _AwayForAMoment) -> None:
        super().__init__(said)
        self.sessions = sessions
        self.blinked = False

    async def run(self, due: Due, now: datetime) -> Ran:
        ran = await super().run(due, now)
        if not self.blinked:
            # Right after Slack was told, before the run is recorded.
            self.sessions.away, self.blinked = 3, True
        return ran


@asynccontextmanager
async def _blinking_replica(database_url: str, slack: SlackEmulator, clock: MovableClock,
                            monkeypatch: pytest.MonkeyPatch, *, tries: int
                            ) -> AsyncIterator[tuple[Scheduler, _AwayForAMoment,
                                                     list[tuple[str, datetime]]]]:
    """A replica whose database blinks once, right after its first run spoke; it tries
    `tries` times more to record a run, without waiting."""
    monkeypatch.setattr(scheduler_module, "COMPLETE_WAITS_S", (0.0,) * tries)
    said: list[tuple[str, datetime]] = []
    deps = make_deps(make_settings(database_url, slack), create_engine(database_url), clock)
    blinking = _AwayForAMoment(deps.sessions)
    scheduler = Scheduler(replace(deps, sessions=cast(SessionFactory, blinking)))
    scheduler.register(HOURLY, _SaysThenTheDatabaseBlinks(said, blinking))
    try:
        await _arm(scheduler, "incident:1", T0)
        yield scheduler, blinking, said
    finally:
        await stop_background_work(deps)
        await deps.sessions.kw["bind"].dispose()


async def test_a_database_away_for_a_moment_after_a_run_does_not_make_it_say_twice(
        database_url: str, slack: SlackEmulator, clock: MovableClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with _blinking_replica(database_url, slack, clock, monkeypatch,
                                 tries=5) as (scheduler, blinking, said):
        assert await scheduler.run_due() == 1
        assert blinking.away == 0  # it was away, and the run was recorded once it was back
        # Long past the lease: nothing is said again until the hour is up.
        clock.advance(minutes=30)
        assert await scheduler.run_due() == 0
        clock.advance(minutes=30)
        assert await scheduler.run_due() == 1
        assert said == [("incident:1", T0), ("incident:1", T0 + timedelta(hours=1))]


async def test_a_database_away_for_longer_leaves_the_row_to_its_lease_not_lost(
        database_url: str, slack: SlackEmulator, clock: MovableClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    async with _blinking_replica(database_url, slack, clock, monkeypatch,
                                 tries=2) as (scheduler, blinking, said):
        with pytest.raises(OperationalError):
            await scheduler.run_due()
        blinking.away = 0
        # The loop's next rounds: the row is still held by the lost run's lease, then it is
        # run again (said twice is better than never: the work re-reads the record).
        assert await scheduler.run_due() == 0
        clock.advance(minutes=6)
        assert await scheduler.run_due() == 1
        assert len(said) == 2
