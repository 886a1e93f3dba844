"""`sitrep stats` for a terminal: the insights as a few plain tables, and the sentence that
says whether a weekday stands out."""

from __future__ import annotations

from datetime import timedelta

from bot.core.durations import humanize
from bot.domain.stats import WEEKDAYS, Spread
from bot.slack.insights_wording import p_value, weekday_sentence
from bot.usecases.insights import Insights

BAR_WIDTH = 30
SPARKS = " ▁▂▃▄▅▆▇█"


def table(insights: Insights) -> str:
    query = insights.query
    since = query.since.isoformat() if query.since else "the first incident"
    until = query.until.isoformat() if query.until else "today"
    which = f"severity {query.severity}" if query.severity else "all severities"
    lines = [f"{insights.incidents} incidents from {since} to {until}, {which} "
             f"(local times in {insights.zone.key}); {insights.open} still open.", ""]
    lines += _weekdays(insights)
    lines += _hours(insights)
    lines += ["By severity", *(f"  sev{sev}  {n:>7}" for sev, n in insights.by_severity.items()),
              ""]
    if insights.by_month:
        lines += ["By month", *(f"  {month}  {n:>5}  {_bar(n, max(insights.by_month.values()))}"
                                for month, n in insights.by_month.items()), ""]
    lines += _spreads("Time to mitigate", insights.time_to_mitigate)
    lines += _spreads("Time to resolve", insights.time_to_resolve)
    items = insights.action_items
    lines += [f"Action items: {items.open} open ({items.overdue} overdue), {items.done} done.",
              ""]
    lines += _people(insights)
    return "\n".join(lines).rstrip() + "\n"


def _bar(n: int, most: int) -> str:
    return "█" * round(BAR_WIDTH * n / most) if most else ""


def _weekdays(insights: Insights) -> list[str]:
    counts = insights.by_weekday
    test = insights.weekday_test
    lines = ["By weekday of the start"]
    lines += [f"  {day}  {n:>6}  {_bar(n, max(counts))}" for day, n in zip(WEEKDAYS, counts,
                                                                             strict=True)]
    lines.append(weekday_sentence(test))
    if test.chi2 is not None and test.p_value is not None:
        lines.append(f"  (Pearson's chi-square against an even spread: chi2 = {test.chi2:.2f}, "
                     f"{test.dof} dof, p = {p_value(test.p_value)})")
    return [*lines, ""]


def _hours(insights: Insights) -> list[str]:
    counts = insights.by_hour
    most = max(counts)
    spark = "".join(SPARKS[round((len(SPARKS) - 1) * n / most)] if most else " "
                    for n in counts)
    lines = ["By hour of the start", "  00    06    12    18   23", f"  {spark}"]
    if most:
        peak = counts.index(most)
        lines.append(f"  busiest hour {peak:02d}:00-{(peak + 1) % 24:02d}:00 ({most})")
        width = len(str(most))
        for first in (0, 12):
            lines.append(f"  {first:02d}-{first + 11:02d}h " + " ".join(
                f"{n:>{width}}" for n in counts[first:first + 12]))
    return [*lines, ""]


def _duration(seconds: float | None) -> str:
    return "-" if seconds is None else humanize(timedelta(seconds=seconds))


def _spreads(title: str, spreads: dict[int, Spread]) -> list[str]:
    if not spreads:
        return [f"{title}: none recorded.", ""]
    lines = [f"{title:<18}{'n':>6}  {'median':>12}  {'p90':>12}  95% interval of the median"]
    for sev, spread in spreads.items():
        interval = ("n too small" if spread.ci_low_s is None else
                    f"{_duration(spread.ci_low_s)} to {_duration(spread.ci_high_s)}")
        lines.append(f"  sev{sev:<14}{spread.n:>6}  {_duration(spread.median_s):>12}  "
                     f"{_duration(spread.p90_s):>12}  {interval}")
    return [*lines, ""]


def _people(insights: Insights) -> list[str]:
    if not insights.people:
        return ["Commanders: none recorded."]
    parts = insights.parts
    working = f"{parts.work_start // 3600:02d}:{parts.work_start % 3600 // 60:02d}"
    working += f"-{parts.work_end // 3600:02d}:{parts.work_end % 3600 // 60:02d}"
    night = f"{parts.sleep % 86400 // 3600:02d}:{parts.sleep % 3600 // 60:02d}"
    night += f"-{parts.wake // 3600:02d}:{parts.wake % 3600 // 60:02d}"
    lines = [f"Commanders (hours held; working {working} Mon-Fri, night {night}, "
             "evening the rest)",
             f"  {'person':<14}{'incidents':>10}{'hours':>9}{'working':>9}{'evening':>9}"
             f"{'night':>9}"]
    for load in insights.people:
        lines.append(f"  {load.user_id:<14}{load.incidents:>10}{load.total_s / 3600:>9.1f}"
                     f"{load.working_s / 3600:>9.1f}{load.evening_s / 3600:>9.1f}"
                     f"{load.night_s / 3600:>9.1f}")
    return lines
