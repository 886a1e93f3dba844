"""Insights over the incident history: `sitrep stats`, `/incident stats` and `/api/stats`.

The API (every figure aggregated in the database by `bot.domain.stats`, read side by side
on a few connections):

    query = StatsQuery(since=date(2026, 1, 1), until=None, severity=None, team_id=None)
    insights = await gather_insights(sessions, query, zone=ZoneInfo("Europe/Berlin"),
                                     parts=day_parts(settings), now=clock.now())
    insights.as_json()     # the object `sitrep stats --format json` prints (DESIGN.md)

or, with the bot's `Deps`, `await insights_for(deps, query)` (its settings' zone and day
parts, its clock); from the settings alone, `await insights_from(settings, query,
now=...)` (an engine of its own: the command line). `StatsQuery.last_days(90, now, zone,
team_id=...)` is the window `/incident stats` shows. The heat map as an image:
`bot.usecases.insights_chart.weekday_hour_heatmap(insights.grid, title=..., fmt="svg")`
(or "png"; CPU-bound, call it through `asyncio.to_thread`). `since` and `until` are local calendar
days in `SITREP_TIMEZONE`, both included. Recorded and imported incidents count alike
(both are rows of `incident`, their commanders rows of `role_assignment`).

Every private incident counts unless `StatsQuery(private_channels_seen=…)` names the
private channels the reader is in: the dashboard and `/incident stats` pass the reader's
(a count would tell a non-member that a private incident exists); the command line's
operator, who reads the database itself, passes none.

`as_json()` keys: incidents, since, until, severity, private_included, timezone;
by_weekday {"Mon": n…};
weekday_test {chi2, dof, p_value, busiest, busiest_count, significant, sentence};
by_hour {"0"…"23"}; by_weekday_hour {"Mon": [24 counts]…} (the heat map); by_severity
{"1"…"4"}; by_month {"YYYY-MM": n} (months between the first and last included);
time_to_mitigate / time_to_resolve {"<severity>": {n, median_s, p90_s, ci_low_s,
ci_high_s}} (the median's 95 % interval, null below n = 6); open; action_items {open,
done, overdue}; people [{user_id, incidents, hours, working_hours, evening_hours,
night_hours}] most hours first; day_parts {working, night}.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.settings import Settings
from bot.db.engine import SessionFactory, create_engine, session_factory
from bot.domain import stats
from bot.domain.stats import (
    WEEKDAYS,
    ActionItemCounts,
    CommanderLoad,
    DayParts,
    Spread,
    WeekdayTest,
    Window,
)
from bot.domain.vocabulary import SEVERITIES
from bot.slack.insights_wording import weekday_sentence

T = TypeVar("T")

if TYPE_CHECKING:
    # Only for a type: `sitrep stats` never builds the bot's wiring (Slack's client and
    # all), which would double its start-up time.
    from bot.deps import Deps


@dataclass(frozen=True)
class StatsQuery:
    """Which incidents: started on local days since..until (both included), one severity,
    one workspace; None means no bound."""

    since: date | None = None
    until: date | None = None
    severity: int | None = None
    team_id: str | None = None
    # None: every incident (the operator's `sitrep stats`); else see `stats.Window`.
    private_channels_seen: frozenset[str] | None = None

    @classmethod
    def last_days(cls, days: int, now: datetime, zone: ZoneInfo, *,
                  team_id: str | None = None) -> StatsQuery:
        today = now.astimezone(zone).date()
        return cls(since=today - timedelta(days=days - 1), until=today, team_id=team_id)

    def window(self, zone: ZoneInfo) -> Window:
        def midnight(day: date) -> datetime:
            return datetime.combine(day, time(0), tzinfo=zone)

        return Window(since=midnight(self.since) if self.since else None,
                      until=midnight(self.until + timedelta(days=1)) if self.until else None,
                      severity=self.severity, team_id=self.team_id,
                      private_channels_seen=self.private_channels_seen)


@dataclass(frozen=True)
class Insights:
    query: StatsQuery
    zone: ZoneInfo
    parts: DayParts
    incidents: int
    open: int
    by_severity: dict[int, int]
    # (weekday 0 = Monday, local hour) -> incidents started then.
    grid: dict[tuple[int, int], int]
    by_month: dict[str, int]
    weekday_test: WeekdayTest
    time_to_mitigate: dict[int, Spread]
    time_to_resolve: dict[int, Spread]
    action_items: ActionItemCounts
    people: list[CommanderLoad]

    @property
    def by_weekday(self) -> list[int]:
        return [sum(self.grid.get((day, hour), 0) for hour in range(24)) for day in range(7)]

    @property
    def by_hour(self) -> list[int]:
        return [sum(self.grid.get((day, hour), 0) for day in range(7)) for hour in range(24)]

    def as_json(self) -> dict[str, Any]:
        test = self.weekday_test
        return {
            "incidents": self.incidents,
            "since": _day(self.query.since),
            "until": _day(self.query.until),
            "severity": self.query.severity,
            # Every private incident counted, or only those of the reader's channels.
            "private_included": self.query.private_channels_seen is None,
            "timezone": self.zone.key,
            "by_weekday": dict(zip(WEEKDAYS, self.by_weekday, strict=True)),
            "weekday_test": {"chi2": test.chi2, "dof": test.dof, "p_value": test.p_value,
                             "busiest": test.busiest, "busiest_count": test.busiest_count,
                             "significant": test.significant,
                             "sentence": weekday_sentence(test)},
            "by_hour": {str(hour): n for hour, n in enumerate(self.by_hour)},
            "by_weekday_hour": {name: [self.grid.get((day, hour), 0) for hour in range(24)]
                                for day, name in enumerate(WEEKDAYS)},
            "by_severity": {str(sev): n for sev, n in sorted(self.by_severity.items())},
            "by_month": self.by_month,
            "time_to_mitigate": _spreads(self.time_to_mitigate),
            "time_to_resolve": _spreads(self.time_to_resolve),
            "open": self.open,
            "action_items": {"open": self.action_items.open, "done": self.action_items.done,
                             "overdue": self.action_items.overdue},
            "people": [{"user_id": load.user_id, "incidents": load.incidents,
                        "hours": _hours(load.total_s), "working_hours": _hours(load.working_s),
                        "evening_hours": _hours(load.evening_s),
                        "night_hours": _hours(load.night_s)} for load in self.people],
            "day_parts": {"working": _clock_range(self.parts.work_start, self.parts.work_end),
                          "night": _clock_range(self.parts.sleep, self.parts.wake)},
        }


def day_parts(settings: Settings) -> DayParts:
    (work_start, work_end), (sleep, wake) = settings.working_hours, settings.night_hours
    return DayParts(work_start=work_start, work_end=work_end, wake=wake,
                    sleep=sleep or stats.DAY_S)


async def insights_for(deps: Deps, query: StatsQuery) -> Insights:
    return await gather_insights(deps.sessions, query, zone=deps.settings.timezone,
                                 parts=day_parts(deps.settings), now=deps.clock.now())


async def insights_from(settings: Settings, query: StatsQuery, *, now: datetime) -> Insights:
    """For the command line: its own engine on `DATABASE_URL`, for this one read."""
    engine = create_engine(settings.database_url)
    try:
        return await gather_insights(session_factory(engine), query, zone=settings.timezone,
                                     parts=day_parts(settings), now=now)
    finally:
        await engine.dispose()


async def gather_insights(sessions: SessionFactory, query: StatsQuery, *, zone: ZoneInfo,
                          parts: DayParts, now: datetime) -> Insights:
    """The figures are independent reads, run side by side on connections of their own, so
    a long history costs the longest of them rather than their sum (the database uses
    every core). Each is consistent in itself; an incident recorded in the very moment of
    the read may be in some figures and not yet in others."""
    window = query.window(zone)
    # scipy is imported meanwhile, in a thread: the reads wait on the database, not on it.
    statistics = asyncio.create_task(asyncio.to_thread(stats.load_statistics))
    async with sessions() as session:
        local = await stats.local_time(session, window, zone, now)

    async def read(figure: Callable[[AsyncSession], Awaitable[T]]) -> T:
        async with sessions() as session:
            await stats.prepare(session)
            return await figure(session)

    async def spreads() -> tuple[dict[int, stats.SeverityCounts], dict[int, Spread],
                                 dict[int, Spread]]:
        counts = await read(lambda session: stats.severity_counts(session, window))
        await statistics
        def spread_of(end: str, having: dict[int, int]) -> Awaitable[dict[int, Spread]]:
            return read(lambda session: stats.duration_spreads(session, window, local, end,
                                                               having))

        mitigate, resolve = await asyncio.gather(
            spread_of("mitigated_at", {sev: c.mitigated for sev, c in counts.items()}),
            spread_of("resolved_at", {sev: c.resolved for sev, c in counts.items()}))
        return counts, mitigate, resolve

    (counts, mitigate, resolve), started, items, people = await asyncio.gather(
        spreads(),
        read(lambda session: stats.starts(session, window, local)),
        read(lambda session: stats.action_items(session, window,
                                                now.astimezone(zone).date())),
        read(lambda session: stats.commander_loads(session, window, local, parts, now)))
    await statistics
    by_severity = {sev: 0 for sev in SEVERITIES if query.severity in (None, sev)}
    by_severity.update({sev: c.incidents for sev, c in counts.items()})
    grid = started.by_weekday_hour
    weekdays = [sum(n for (day, _), n in grid.items() if day == d) for d in range(7)]
    return Insights(query=query, zone=zone, parts=parts,
                    incidents=sum(c.incidents for c in counts.values()),
                    open=sum(c.open for c in counts.values()), by_severity=by_severity,
                    grid=grid, by_month=_every_month(started.by_month()),
                    weekday_test=stats.weekday_test(weekdays), time_to_mitigate=mitigate,
                    time_to_resolve=resolve, action_items=items, people=people)


def _every_month(counts: dict[str, int]) -> dict[str, int]:
    """The months from the first to the last, quiet ones included (a chart's x axis)."""
    if not counts:
        return {}
    first, last = min(counts), max(counts)
    year, month = int(first[:4]), int(first[5:7])
    filled: dict[str, int] = {}
    while (key := f"{year:04d}-{month:02d}") <= last:
        filled[key] = counts.get(key, 0)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return filled


def _spreads(spreads: dict[int, Spread]) -> dict[str, dict[str, float | int | None]]:
    return {str(sev): {"n": s.n, "median_s": _number(s.median_s), "p90_s": _number(s.p90_s),
                       "ci_low_s": _number(s.ci_low_s), "ci_high_s": _number(s.ci_high_s)}
            for sev, s in sorted(spreads.items())}


def _number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def _hours(seconds: int) -> float:
    return round(seconds / 3600, 2)


def _day(day: date | None) -> str | None:
    return day.isoformat() if day else None


def _clock_range(start: int, end: int) -> str:
    def clock(seconds: int) -> str:
        seconds %= stats.DAY_S
        return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"

    return f"{clock(start)}-{clock(end)}"
