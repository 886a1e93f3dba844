"""Durations and times written for people: "2 h 14 min", not "8040 s"."""

from __future__ import annotations

import re
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


_WRITTEN = re.compile(r"^(\d+)\s*([smhd])$")
_UNIT = {"s": timedelta(seconds=1), "m": timedelta(minutes=1), "h": timedelta(hours=1),
         "d": timedelta(days=1)}
OFF = "off"


class BadDuration(ValueError):
    """Not `<n>s`, `<n>m`, `<n>h` or `<n>d`; the message says so."""


def parse(text: str, *, allow_off: bool = True) -> timedelta | None:
    """`30m`, `2h`, `3d`, `45s` (spaces and case ignored); `off` is None when allowed.
    Zero is refused: a reminder every 0 minutes means nothing."""
    written = text.strip().lower()
    if allow_off and written == OFF:
        return None
    found = _WRITTEN.match(written)
    if found is None or int(found.group(1)) == 0:
        also = " or off" if allow_off else ""
        raise BadDuration(f"write a duration such as 30m, 2h or 3d{also} "
                          f"(not {text.strip()!r})")
    return int(found.group(1)) * _UNIT[found.group(2)]


def written(duration: timedelta) -> str:
    """The shortest way `parse` reads back: 90 minutes is `90m`, two hours `2h`."""
    seconds = int(duration.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
