"""The words of the insights (`/incident stats`, and `sitrep stats`, which says the same
sentence in a terminal): plain text from plain numbers, beside `wording.py`."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from bot.core.durations import humanize
from bot.domain.stats import ActionItemCounts, CommanderLoad, Spread, WeekdayTest
from bot.slack.mrkdwn import mention

DAY_NAMES: Final = {"Mon": "Monday", "Tue": "Tuesday", "Wed": "Wednesday",
                    "Thu": "Thursday", "Fri": "Friday", "Sat": "Saturday", "Sun": "Sunday"}


def p_value(p: float) -> str:
    """Two significant figures, without an exponent down to 0.0001."""
    if p >= 0.0001:
        return f"{p:.2g}"
    return f"{p:.1e}"


def incidents(n: int) -> str:
    return f"{n} incident" if n == 1 else f"{n} incidents"


def weekday_sentence(test: WeekdayTest) -> str:
    """Whether a day of the week stands out beyond chance, in one sentence."""
    if test.total == 0 or test.p_value is None or test.busiest is None:
        return "No incidents in this period."
    if test.significant:
        caution = " (few incidents: take it as a hint)" if test.few else ""
        return (f"{DAY_NAMES[test.busiest]}s stand out: {test.busiest_count} of "
                f"{test.total}, p = {p_value(test.p_value)}{caution}.")
    return (f"No weekday stands out beyond chance with {incidents(test.total)} "
            f"(p = {p_value(test.p_value)}).")


# --- /incident stats ---------------------------------------------------------------------

STATS_USAGE: Final = ("Use `/incident stats` for the last 90 days in numbers, or "
                      "`/incident stats chart` to get the weekday-by-hour heat map too.")
CHART_SENT: Final = "I've sent you the heat map in a direct message."
NO_CHART: Final = "No incidents started in the last 90 days, so there is no heat map to draw."


def headline_title(days: int) -> str:
    return f"Incidents in the last {days} days"


def headline_counts(n: int, open_now: int, by_severity: dict[int, int]) -> str:
    severities = " · ".join(f"sev{sev} {count}" for sev, count in by_severity.items())
    still = f", {open_now} still open" if open_now else ""
    return f"*{incidents(n)}*{still}\n{severities}"


def busiest_hour(hour: int, n: int) -> str:
    return f"Busiest hour of the day: {hour:02d}:00 to {(hour + 1) % 24:02d}:00 ({incidents(n)})."


def _took(seconds: float | None) -> str:
    return "-" if seconds is None else humanize(timedelta(seconds=seconds))


def spread_line(severity: int, spread: Spread) -> str:
    interval = ("" if spread.ci_low_s is None else
                f" (95 % {_took(spread.ci_low_s)} to {_took(spread.ci_high_s)})")
    return (f"sev{severity}: median {_took(spread.median_s)}{interval}, "
            f"p90 {_took(spread.p90_s)}, n = {spread.n}")


def spreads_text(title: str, spreads: dict[int, Spread]) -> str:
    if not spreads:
        return f"*{title}*\nnone recorded"
    return f"*{title}*\n" + "\n".join(spread_line(sev, s) for sev, s in spreads.items())


def action_items_line(items: ActionItemCounts) -> str:
    return (f"*Action items:* {items.open} open ({items.overdue} overdue), "
            f"{items.done} done")


def commanders_text(loads: list[CommanderLoad], limit: int = 3) -> str:
    if not loads:
        return "*Commanders:* none recorded"
    lines = [f"{mention(load.user_id)}: {_hours(load.total_s)} over "
             f"{incidents(load.incidents)} — {_hours(load.working_s)} in working hours, "
             f"{_hours(load.evening_s)} evenings, {_hours(load.night_s)} nights"
             for load in loads[:limit]]
    return "*Commanders (most hours first):*\n" + "\n".join(lines)


def _hours(seconds: int) -> str:
    hours = seconds / 3600
    return f"{hours:.0f} h" if hours >= 10 else f"{hours:.1f} h"


def headline_footer(zone: str, *, chart_offered: bool) -> str:
    chart = " `/incident stats chart` sends you the weekday-by-hour heat map." if (
        chart_offered) else ""
    return (f"Medians and 90th percentiles; times in {zone}.{chart} "
            "`sitrep stats` has the whole history.")


def headline_fallback(days: int, n: int, test: WeekdayTest) -> str:
    return f"{headline_title(days)}: {incidents(n)}. {weekday_sentence(test)}"


def chart_title(days: int, zone: str) -> str:
    return f"Incident starts by weekday and hour ({zone}), last {days} days"


def chart_comment(days: int, n: int) -> str:
    return f"When the last {days} days' {incidents(n)} started."
