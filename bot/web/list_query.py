"""The incident list's query string (`?status=&severity=&from=&to=&q=&page=`), read the same
way for the page and the API. A value that makes no sense is named, not guessed at."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.incident_listing import IncidentFilter
from bot.domain.vocabulary import SEVERITIES, STATUSES
from bot.web.query_values import day, plain_text, whole_number

MAX_SEARCH = 200


@dataclass(frozen=True)
class ListQuery:
    status: str = ""
    severity: str = ""
    started_from: str = ""
    started_to: str = ""
    text: str = ""
    page: int = 1
    problems: tuple[str, ...] = field(default=())

    def filter(self, timezone: ZoneInfo) -> IncidentFilter:
        """Dates are days in the team's time zone; `to` includes its whole day."""
        since = day(self.started_from)
        until = day(self.started_to)
        return IncidentFilter(
            status=self.status or None,
            severity=int(self.severity) if self.severity else None,
            started_from=(datetime.combine(since, time(), timezone)
                          if since is not None else None),
            started_before=(datetime.combine(until + timedelta(days=1), time(), timezone)
                            if until is not None else None),
            text=self.text or None)

    def as_params(self, **changes: object) -> dict[str, str]:
        """The query string of this list, with `changes` (another page, say)."""
        params = {"status": self.status, "severity": self.severity,
                  "from": self.started_from, "to": self.started_to, "q": self.text,
                  "page": str(self.page)}
        params.update({name: str(value) for name, value in changes.items()})
        return {name: value for name, value in params.items()
                if value and not (name == "page" and value == "1")}


def read(query: Mapping[str, str]) -> ListQuery:
    problems: list[str] = []
    status = query.get("status", "").strip().lower()
    if status and status not in STATUSES:
        problems.append(f"“{status[:40]}” is not a status; showing every status.")
        status = ""
    severity = query.get("severity", "").strip().lower().removeprefix("sev")
    if severity and whole_number(severity) not in SEVERITIES:
        problems.append(f"“{severity[:40]}” is not a severity (1 to 4); showing every severity.")
        severity = ""
    dates = {}
    for name, words in (("from", "start date"), ("to", "end date")):
        written = query.get(name, "").strip()
        if written and day(written) is None:
            problems.append(f"“{written[:40]}” is not a date (YYYY-MM-DD, from 1900 to 2999); "
                            f"the {words} is ignored.")
            written = ""
        dates[name] = written
    since, until = day(dates["from"]), day(dates["to"])
    if since is not None and until is not None and since > until:
        # Nothing can match; most likely the two were typed the wrong way round.
        problems.append(f"The start date {dates['from']} is after the end date "
                        f"{dates['to']}: no incident can match.")
    page = whole_number(query.get("page", "1")) or 1
    return ListQuery(status=status, severity=severity, started_from=dates["from"],
                     started_to=dates["to"],
                     text=plain_text(query.get("q", ""), longest=MAX_SEARCH),
                     page=page, problems=tuple(problems))

