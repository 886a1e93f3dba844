"""Insights over the incident history, aggregated in SQL on SQLite and PostgreSQL alike.

Nothing here loads the history row by row: each query groups or ranks in the database and
hands back a few dozen numbers, so a history of 100,000 incidents costs what a few sorts
of it cost.

Local time without loading rows. An incident's weekday and hour are those of its start in
the team's time zone. PostgreSQL converts with `AT TIME ZONE`; SQLite knows no zones, so
the zone's UTC offsets over the range queried (a short list of intervals, from zoneinfo's
transitions) become a `CASE` choosing the offset by instant. Either way each time becomes
*local seconds*: seconds since 1970-01-01 00:00 on the local wall clock, and weekday,
hour and the parts of the day are integer arithmetic on that, the same on both databases.

Parts of the day (`DayParts`), for the hours people held the commander role:
working hours are Monday to Friday within `SITREP_WORKING_HOURS` (09:00-18:00); night is
every day within `SITREP_NIGHT_HOURS` (23:00-07:00); everything else is the evening
(weekday mornings and evenings, and weekend days). Working and waking hours up to an
instant have a closed form on the wall clock, so a span's split is two subtractions per
span inside one `GROUP BY`. The night is the span's real length less its waking part, so
the hour a DST change adds or removes (at night) falls into the night, where it happened.

Order statistics. The median is the middle value (the mean of the two middle values for
an even n); the 90th percentile is the nearest rank, the ceil(0.9 n)-th smallest; the 95 %
confidence interval of the median is distribution-free, between the l-th and the
(n + 1 - l)-th smallest values, l the largest rank with P(Binomial(n, 1/2) < l) <= 2.5 %
(none for n < 6). n comes from a `GROUP BY`; only the values at those ranks are fetched.
"""

from __future__ import annotations

import bisect
import math
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import Date, bindparam, text
from sqlalchemy.sql.elements import BindParameter
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.types import UTCDateTime
from bot.domain.vocabulary import Role, Status

WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_S: Final = 86_400
# Local day 0 (1970-01-01) was a Thursday: three days after a Monday.
_MONDAY_SHIFT: Final = 3
SIGNIFICANCE: Final = 0.05
CONFIDENCE: Final = 0.95


@dataclass(frozen=True)
class Window:
    """Which incidents: started in [since, until) (UTC instants), of one severity, of one
    workspace; None means no bound. `private_channels_seen`, when given, leaves out every
    private incident but those in these channels: a count, an hour or a commander's load
    would tell a non-member that a security incident exists (the dashboard's rule)."""

    since: datetime | None = None
    until: datetime | None = None
    severity: int | None = None
    team_id: str | None = None
    private_channels_seen: frozenset[str] | None = None


@dataclass(frozen=True)
class DayParts:
    """Seconds after local midnight: working hours [work_start, work_end) on weekdays,
    waking hours [wake, sleep) every day; wake <= work_start < work_end <= sleep <= 24 h."""

    work_start: int = 9 * 3600
    work_end: int = 18 * 3600
    wake: int = 7 * 3600
    sleep: int = 23 * 3600

    def __post_init__(self) -> None:
        if not 0 <= self.wake <= self.work_start < self.work_end <= self.sleep <= DAY_S:
            raise ValueError("working hours must lie within the waking hours")


@dataclass(frozen=True)
class SeverityCounts:
    incidents: int
    open: int
    mitigated: int
    resolved: int


@dataclass(frozen=True)
class Spread:
    """Durations in seconds: n, median, nearest-rank p90 and the median's 95 % interval."""

    n: int
    median_s: float
    p90_s: float
    ci_low_s: float | None
    ci_high_s: float | None


@dataclass(frozen=True)
class WeekdayTest:
    """Pearson's chi-square of the weekday counts against an even spread."""

    chi2: float | None
    dof: int
    p_value: float | None
    busiest: str | None
    busiest_count: int
    total: int
    # Fewer than 5 expected a day: the chi-square approximation is rough.
    few: bool

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE


@dataclass(frozen=True)
class ActionItemCounts:
    open: int
    done: int
    overdue: int


@dataclass(frozen=True)
class CommanderLoad:
    """One person's time as commander: incidents, and seconds by part of the day."""

    user_id: str
    incidents: int
    working_s: int
    evening_s: int
    night_s: int

    @property
    def total_s(self) -> int:
        return self.working_s + self.evening_s + self.night_s


@dataclass(frozen=True)
class Ranks:
    """1-based ranks of the order statistics one spread needs."""

    n: int
    median: tuple[int, ...]
    p90: int
    ci: tuple[int, int] | None
    all: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        wanted = {*self.median, self.p90, *(self.ci or ())}
        object.__setattr__(self, "all", tuple(sorted(wanted)))


# --- the statistics, on plain numbers --------------------------------------------------

def load_statistics() -> None:
    """Import scipy's distribution functions. They cost about a third of a second to
    import, as much as the rest of `sitrep stats`' start: imported here, on first use, a
    caller can import them in a thread while the database works (`gather_insights`)."""
    import scipy.special  # noqa: F401



def ranks_for(n: int) -> Ranks:
    if n < 1:
        raise ValueError("no values")
    median = ((n + 1) // 2,) if n % 2 else (n // 2, n // 2 + 1)
    p90 = max(1, math.ceil(0.9 * n))
    return Ranks(n=n, median=median, p90=p90, ci=median_interval_ranks(n))


def median_interval_ranks(n: int, confidence: float = CONFIDENCE) -> tuple[int, int] | None:
    """(l, n + 1 - l): the l-th and (n+1-l)-th smallest values bound the median with at
    least `confidence`; None when n is too small for any such pair."""
    from scipy.special import bdtr

    tail = (1 - confidence) / 2
    # P(B <= k) for B ~ Binomial(n, 1/2) is scipy's bdtr(k, n, 1/2); the interval
    # [X(l), X(n+1-l)] misses the median with probability 2 P(B <= l - 1). l is the first
    # k (at most n // 2) with P(B <= k) above the tail: found by bisection, since walking
    # up to it took tens of thousands of calls on a long history.
    low = bisect.bisect_right(range(n // 2), tail, key=lambda k: float(bdtr(k, n, 0.5)))
    return None if low == 0 else (low, n + 1 - low)


def spread_from(n: int, ranks: Ranks, values: Mapping[int, float]) -> Spread:
    """The spread from the values at `ranks.all` (rank -> value)."""
    median = sum(values[r] for r in ranks.median) / len(ranks.median)
    low, high = (values[ranks.ci[0]], values[ranks.ci[1]]) if ranks.ci else (None, None)
    return Spread(n=n, median_s=median, p90_s=values[ranks.p90], ci_low_s=low,
                  ci_high_s=high)


def weekday_test(counts: Sequence[int]) -> WeekdayTest:
    """Pearson's chi-square against an even spread over the days; p from scipy's
    chi-square survival function (the one `scipy.stats.chisquare` uses)."""
    from scipy.special import chdtrc

    total = sum(counts)
    dof = len(counts) - 1
    busiest = max(range(len(counts)), key=lambda day: counts[day]) if total else None
    if total == 0:
        return WeekdayTest(chi2=None, dof=dof, p_value=None, busiest=None, busiest_count=0,
                           total=0, few=True)
    expected = total / len(counts)
    chi2 = sum((seen - expected) ** 2 / expected for seen in counts)
    assert busiest is not None
    return WeekdayTest(chi2=chi2, dof=dof, p_value=float(chdtrc(dof, chi2)),
                       busiest=WEEKDAYS[busiest], busiest_count=counts[busiest],
                       total=total, few=expected < 5)


# --- local time in SQL ---------------------------------------------------------------

def utc_offsets(zone: ZoneInfo, low: datetime, high: datetime) -> list[tuple[datetime, int]]:
    """The zone's UTC offsets (seconds) over [low, high]: (from when, offset), the first
    from `low`. zoneinfo keeps its transitions private, so they are found by stepping a
    day at a time and halving the step down to the second at each change."""
    def offset(at: datetime) -> int:
        delta = at.astimezone(zone).utcoffset()
        return int(delta.total_seconds()) if delta is not None else 0

    low, high = low.astimezone(UTC), high.astimezone(UTC)
    found = [(low, offset(low))]
    at = low
    while at < high:
        step_to = min(at + timedelta(days=1), high)
        if offset(step_to) != found[-1][1]:
            before, after = at, step_to
            while after - before > timedelta(seconds=1):
                middle = before + (after - before) / 2
                if offset(middle) == found[-1][1]:
                    before = middle
                else:
                    after = middle
            after = after.replace(microsecond=0)
            found.append((after, offset(after)))
        at = step_to
    return found


class LocalTime:
    """SQL fragments that turn UTC times into epoch seconds and local seconds.

    Each query first reads a time's epoch seconds once per row (`utc_seconds`, in a
    materialized CTE, so no database copies the expression into every use), and then its
    local seconds (`local_seconds`): on PostgreSQL from the time itself with `AT TIME
    ZONE`, on SQLite by adding the offset in force, chosen from the zone's offsets by a
    binary search written as nested `CASE`s on the integer seconds."""

    def __init__(self, dialect: str, zone: ZoneInfo,
                 offsets: Sequence[tuple[datetime, int]] = ()) -> None:
        self.postgres = dialect == "postgresql"
        self.zone = zone
        self.offsets = [(int(starts.timestamp()), offset) for starts, offset in offsets]

    def utc_seconds(self, column: str) -> str:
        # date_part is a double (extract's numeric is several times slower); unixepoch()
        # is SQLite's fastest reading of its text times (3.38 and later).
        if self.postgres:
            return f"CAST(floor(date_part('epoch', {column})) AS BIGINT)"
        if sqlite3.sqlite_version_info >= (3, 38):
            return f"unixepoch({column})"
        return f"CAST(strftime('%s', {column}) AS INTEGER)"

    def local_seconds(self, column: str, seconds: str) -> str:
        """`column` a UTC time, `seconds` its epoch seconds (already read)."""
        if self.postgres:
            return f"CAST(floor(date_part('epoch', {column} AT TIME ZONE :tz)) AS BIGINT)"
        return f"({seconds} + {self._offset(seconds, self.offsets or [(0, 0)])})"

    def _offset(self, seconds: str, offsets: Sequence[tuple[int, int]]) -> str:
        if len(offsets) == 1:
            return str(offsets[0][1])
        middle = len(offsets) // 2
        return (f"(CASE WHEN {seconds} < {offsets[middle][0]} THEN "
                f"{self._offset(seconds, offsets[:middle])} ELSE "
                f"{self._offset(seconds, offsets[middle:])} END)")

    def params(self) -> dict[str, Any]:
        return {"tz": self.zone.key} if self.postgres else {}


def weekday_of(local: str) -> str:
    """Monday 0 … Sunday 6, from local seconds (all after 1970, so `/` floors)."""
    return f"((({local}) / {DAY_S} + {_MONDAY_SHIFT}) % 7)"


def hour_of(local: str) -> str:
    return f"((({local}) % {DAY_S}) / 3600)"


def working_before(day: str, into_day: str, parts: DayParts) -> str:
    """Working seconds from a Monday in 1969 up to a local time, `day` days after
    1970-01-01 and `into_day` seconds into it (a closed form)."""
    length = parts.work_end - parts.work_start
    weekday = f"(({day} + {_MONDAY_SHIFT}) % 7)"
    today = (f"CASE WHEN {into_day} <= {parts.work_start} THEN 0 "
             f"WHEN {into_day} >= {parts.work_end} THEN {length} "
             f"ELSE {into_day} - {parts.work_start} END")
    return (f"((({day} + {_MONDAY_SHIFT}) / 7) * {5 * length} + CASE WHEN {weekday} < 5 "
            f"THEN {weekday} * {length} + ({today}) ELSE {5 * length} END)")


def waking_before(day: str, into_day: str, parts: DayParts) -> str:
    """Waking seconds from 1970 up to a local time."""
    length = parts.sleep - parts.wake
    return (f"({day} * {length} + CASE WHEN {into_day} <= {parts.wake} THEN 0 "
            f"WHEN {into_day} >= {parts.sleep} THEN {length} "
            f"ELSE {into_day} - {parts.wake} END)")


# --- the queries ---------------------------------------------------------------------

def _where(window: Window, alias: str = "i") -> tuple[str, list[BindParameter[Any]],
                                                      dict[str, Any]]:
    clauses: list[str] = ["1 = 1"]
    binds: list[BindParameter[Any]] = []
    values: dict[str, Any] = {}
    if window.since is not None:
        clauses.append(f"{alias}.created_at >= :since")
        binds.append(bindparam("since", type_=UTCDateTime()))
        values["since"] = window.since
    if window.until is not None:
        clauses.append(f"{alias}.created_at < :until")
        binds.append(bindparam("until", type_=UTCDateTime()))
        values["until"] = window.until
    if window.severity is not None:
        clauses.append(f"{alias}.severity = :severity")
        values["severity"] = window.severity
    if window.team_id is not None:
        clauses.append(f"{alias}.team_id = :team_id")
        values["team_id"] = window.team_id
    if window.private_channels_seen is not None:
        seen = {f"seen_{n}": channel
                for n, channel in enumerate(sorted(window.private_channels_seen))}
        members_of = (f" OR {alias}.channel_id IN ({', '.join(':' + name for name in seen)})"
                      if seen else "")
        clauses.append(f"(NOT {alias}.private{members_of})")
        values.update(seen)
    return " AND ".join(clauses), binds, values


async def _rows(session: AsyncSession, sql: str, window: Window,
                extra_binds: Sequence[BindParameter[Any]] = (),
                **values: Any) -> Sequence[Any]:
    where, binds, window_values = _where(window)
    statement = text(sql.replace("{where}", where)).bindparams(*binds, *extra_binds)
    # A plain SQL statement: the connection runs it (sqlmodel's `exec` takes selects).
    connection = await session.connection()
    result = await connection.execute(statement, {**window_values, **values})
    return result.all()


async def prepare(session: AsyncSession) -> None:
    """A read of the whole history sorts a few hundred thousand numbers: on PostgreSQL, in
    memory rather than spilled to disk (work_mem is 4 MB by default), for this transaction
    only."""
    if dialect_of(session) == "postgresql":
        connection = await session.connection()
        await connection.execute(text("SET LOCAL work_mem = '64MB'"))


def dialect_of(session: AsyncSession) -> str:
    bind = session.get_bind()
    return bind.dialect.name


async def local_time(session: AsyncSession, window: Window, zone: ZoneInfo,
                     now: datetime) -> LocalTime:
    """The SQL for local time over the window's incidents (and their spans up to `now`)."""
    dialect = dialect_of(session)
    if dialect == "postgresql":
        return LocalTime(dialect, zone)
    first = window.since
    if first is None:
        rows = await _rows(session, "SELECT min(i.created_at) FROM incident i WHERE {where}",
                           window)
        stored = rows[0][0] if rows else None
        if isinstance(stored, str):
            stored = datetime.fromisoformat(stored)
        first = stored.replace(tzinfo=UTC) if isinstance(stored, datetime) else now
    last = max(now, window.until or now)
    return LocalTime(dialect, zone, utc_offsets(zone, min(first, now), last))


async def severity_counts(session: AsyncSession, window: Window) -> dict[int, SeverityCounts]:
    rows = await _rows(session, f"""
        SELECT i.severity, count(*),
               sum(CASE WHEN i.status <> '{Status.RESOLVED.value}' THEN 1 ELSE 0 END),
               sum(CASE WHEN i.mitigated_at >= i.created_at THEN 1 ELSE 0 END),
               sum(CASE WHEN i.resolved_at >= i.created_at THEN 1 ELSE 0 END)
        FROM incident i WHERE {{where}} GROUP BY i.severity ORDER BY i.severity""", window)
    return {int(sev): SeverityCounts(int(n), int(open_), int(mit), int(res))
            for sev, n, open_, mit, res in rows}


@dataclass(frozen=True)
class Starts:
    """When the window's incidents started, in local time."""

    # (weekday 0 = Monday, hour) -> incidents
    by_weekday_hour: dict[tuple[int, int], int]
    # local calendar day -> incidents
    by_day: dict[date, int]

    def by_month(self) -> dict[str, int]:
        months: dict[str, int] = {}
        for day, n in sorted(self.by_day.items()):
            key = f"{day.year:04d}-{day.month:02d}"
            months[key] = months.get(key, 0) + n
        return months


async def starts(session: AsyncSession, window: Window, local: LocalTime) -> Starts:
    """Incidents by local weekday and hour, and by local day, in one pass over the window."""
    rows = await _rows(session, f"""
        WITH started AS MATERIALIZED (
            SELECT i.created_at AS at, {local.utc_seconds("i.created_at")} AS utc
            FROM incident i WHERE {{where}}),
        local AS MATERIALIZED (
            SELECT {local.local_seconds("at", "utc")} AS seconds FROM started)
        SELECT 0, {weekday_of("seconds")}, {hour_of("seconds")}, count(*) FROM local
        GROUP BY 2, 3
        UNION ALL
        SELECT 1, seconds / {DAY_S}, 0, count(*) FROM local GROUP BY 2""", window,
        **local.params())
    grid: dict[tuple[int, int], int] = {}
    days: dict[date, int] = {}
    epoch = date(1970, 1, 1)
    for part, first, second, n in rows:
        if part == 0:
            grid[(int(first), int(second))] = int(n)
        else:
            days[epoch + timedelta(days=int(first))] = int(n)
    return Starts(by_weekday_hour=grid, by_day=days)


async def duration_spreads(session: AsyncSession, window: Window, local: LocalTime,
                           end_column: str, counts: Mapping[int, int]) -> dict[int, Spread]:
    """Per severity, the spread of `end_column` - created_at (seconds, to the nearest),
    for the `counts[severity]` incidents that have it: only the values at the ranks needed
    are read.

    On SQLite each value is the k-th along an index on the duration (migration 0013:
    `julianday(end) - julianday(created_at)`, the very expression ordered by here), so
    no query sorts the history. PostgreSQL sorts each severity's durations once per metric
    in an ordered-set aggregate (percentile_disc), in memory (`prepare`)."""
    ranks = {severity: ranks_for(n) for severity, n in counts.items() if n > 0}
    if not ranks:
        return {}
    if end_column not in {"mitigated_at", "resolved_at"}:
        raise ValueError(end_column)
    rows: Sequence[Any]
    if local.postgres:
        rows = await _ranked_in_postgres(session, window, end_column, ranks)
    else:
        rows = await _ranked_along_index(session, window, end_column, ranks)
    values: dict[int, dict[int, float]] = {severity: {} for severity in ranks}
    for severity, rank, value in rows:
        values[int(severity)][int(rank)] = float(value)
    return {severity: spread_from(counts[severity], ranked, values[severity])
            for severity, ranked in sorted(ranks.items())}


async def _ranked_in_postgres(session: AsyncSession, window: Window, end_column: str,
                              ranks: Mapping[int, Ranks]) -> list[tuple[int, int, float]]:
    # One scan; each severity's ordered-set aggregate sorts only its own durations.
    # percentile_disc(f) is the value at rank ceil(f n): (k - 1/2) / n names rank k exactly.
    picks = ", ".join(
        f"percentile_disc(ARRAY[{', '.join(repr((rank - 0.5) / n) for rank in ranked.all)}]"
        f"::float8[]) WITHIN GROUP (ORDER BY seconds) FILTER (WHERE severity = {int(sev)})"
        for sev, ranked in ranks.items() for n in [ranked.n])
    rows = await _rows(session, f"""
        SELECT {picks} FROM (
            SELECT i.severity AS severity,
                   round(date_part('epoch', i.{end_column} - i.created_at)) AS seconds
            FROM incident i WHERE {{where}} AND i.{end_column} >= i.created_at) took""",
        window)
    found: list[tuple[int, int, float]] = []
    for (severity, ranked), values in zip(ranks.items(), rows[0], strict=True):
        found += [(severity, rank, float(value))
                  for rank, value in zip(ranked.all, values, strict=True)]
    return found


def sqlite_duration(end_column: str, alias: str = "i.") -> str:
    """The duration as SQLite's index on it (migration 0013) spells it, in days."""
    return f"(julianday({alias}{end_column}) - julianday({alias}created_at))"


async def _ranked_along_index(session: AsyncSession, window: Window, end_column: str,
                              ranks: Mapping[int, Ranks]) -> Sequence[Any]:
    took = sqlite_duration(end_column)
    picks = [f"""SELECT {int(severity)}, {rank}, seconds FROM (
                SELECT round({took} * {DAY_S}) AS seconds FROM incident i
                WHERE {{where}} AND i.severity = {int(severity)}
                  AND i.{end_column} >= i.created_at
                ORDER BY {took} LIMIT 1 OFFSET {rank - 1})"""
             for severity, ranked in ranks.items() for rank in ranked.all]
    return await _rows(session, " UNION ALL ".join(picks), window)


async def action_items(session: AsyncSession, window: Window, today: date) -> ActionItemCounts:
    """The window's incidents' action items; overdue: not done, due before `today`."""
    rows = await _rows(session, """
        SELECT sum(CASE WHEN a.done_at IS NULL THEN 1 ELSE 0 END),
               sum(CASE WHEN a.done_at IS NULL THEN 0 ELSE 1 END),
               sum(CASE WHEN a.done_at IS NULL AND a.due_on < :today THEN 1 ELSE 0 END)
        FROM action_item a JOIN incident i ON i.id = a.incident_id WHERE {where}""", window,
        [bindparam("today", type_=Date())], today=today)
    open_, done, overdue = rows[0] if rows else (0, 0, 0)
    return ActionItemCounts(int(open_ or 0), int(done or 0), int(overdue or 0))


async def commander_loads(session: AsyncSession, window: Window, local: LocalTime,
                          parts: DayParts, now: datetime) -> list[CommanderLoad]:
    """Per person, the window's incidents they commanded and the time they held the role,
    split into working hours, evenings and nights (most time first). A span ends at the
    handover, else at the resolve, else now."""
    ended = ("CASE WHEN i.resolved_at IS NOT NULL AND i.resolved_at < coalesce(r.ended_at, :now) "
             "THEN i.resolved_at ELSE coalesce(r.ended_at, :now) END")
    if local.postgres:
        # AT TIME ZONE reads the times themselves: one pass.
        spans = f"""span AS MATERIALIZED (
            SELECT coalesce(nullif(r.user_id, ''), r.user_name, '') AS user_id,
                   r.incident_id AS incident_id,
                   {local.utc_seconds("r.started_at")} AS utc_start,
                   {local.utc_seconds(ended)} AS utc_end,
                   {local.local_seconds("r.started_at", "")} AS start,
                   {local.local_seconds(ended, "")} AS stop
            FROM role_assignment r JOIN incident i ON i.id = r.incident_id
            WHERE {{where}} AND r.role = '{Role.COMMANDER.value}' AND {ended} > r.started_at)"""
    else:
        # The offsets are chosen by the epoch seconds, read first.
        spans = f"""utc AS MATERIALIZED (
            SELECT coalesce(nullif(r.user_id, ''), r.user_name, '') AS user_id,
                   r.incident_id AS incident_id,
                   {local.utc_seconds("r.started_at")} AS utc_start,
                   {local.utc_seconds(ended)} AS utc_end
            FROM role_assignment r JOIN incident i ON i.id = r.incident_id
            WHERE {{where}} AND r.role = '{Role.COMMANDER.value}' AND {ended} > r.started_at),
        span AS MATERIALIZED (
            SELECT user_id, incident_id, utc_start, utc_end,
                   {local.local_seconds("", "utc_start")} AS start,
                   {local.local_seconds("", "utc_end")} AS stop
            FROM utc)"""
    working = (f"{working_before('stop_day', 'stop_time', parts)} - "
               f"{working_before('start_day', 'start_time', parts)}")
    waking = (f"{waking_before('stop_day', 'stop_time', parts)} - "
              f"{waking_before('start_day', 'start_time', parts)}")
    rows = await _rows(session, f"""
        WITH {spans},
        -- Local day and time of day at each end (folded into the sums below).
        split AS (
            SELECT user_id, incident_id, utc_end - utc_start AS real,
                   start / {DAY_S} AS start_day, start % {DAY_S} AS start_time,
                   stop / {DAY_S} AS stop_day, stop % {DAY_S} AS stop_time
            FROM span)
        SELECT user_id, count(DISTINCT incident_id), sum({working}), sum({waking}), sum(real)
        FROM split GROUP BY user_id""", window, [bindparam("now", type_=UTCDateTime())],
        now=now, **local.params())
    loads = [CommanderLoad(str(user), int(n), int(working or 0),
                           int(waking or 0) - int(working or 0),
                           int(real or 0) - int(waking or 0))
             for user, n, working, waking, real in rows]
    return sorted(loads, key=lambda load: (-load.total_s, load.user_id))
