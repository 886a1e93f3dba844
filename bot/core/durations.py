"""Durations and times written for people: "2 h 14 min", not "8040 s"."""

from __future__ import annotations

from datetime import timedelta


def humanize(duration: timedelta) -> str:
    """Days, hours and minutes, leaving out zero parts; under a minute is "under 1 min"."""
    minutes = int(duration.total_seconds() // 60)
    if minutes < 1:
        return "under 1 min"
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "",
             f"{minutes} min" if minutes else ""]
    return " ".join(part for part in parts if part)
