"""The words of the insights (`/incident stats`, and `sitrep stats`, which says the same
sentence in a terminal): plain text from plain numbers, beside `wording.py`."""

from __future__ import annotations

from typing import Final

from bot.domain.stats import WeekdayTest

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
