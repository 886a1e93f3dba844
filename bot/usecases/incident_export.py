"""`sitrep export`: the whole history — Sitrep's own incidents and imported ones — in the
columns `sitrep import` reads, written as it is read, a page at a time, so a history of
100,000 incidents never sits in memory.

Sitrep's own incidents are written with the id `INC-N`; an imported one with its id in the
system it came from. The commander column holds the person who held the role longest
(an open incident: who holds it now), as a Slack user id, or as the name or email an
import gave."""

from __future__ import annotations

import csv
import json
from datetime import datetime, tzinfo
from typing import TextIO

from bot.db.engine import SessionFactory
from bot.db.models import Incident
from bot.domain import imports
from bot.domain.past_incidents import COLUMNS, PastIncident, Person, object_for, row_for

PAGE = 1000


async def export(sessions: SessionFactory, out: TextIO, *, team_id: str | None, as_csv: bool,
                 zone: tzinfo) -> int:
    """Write the history to `out` (CSV, else JSON: an array of objects with the same
    keys), times in the team's time zone with their offset; returns how many incidents.
    `team_id` None: the database has none yet, and the file is the header (or `[]`)
    alone."""
    csv_out = csv.writer(out) if as_csv else None
    if csv_out is not None:
        csv_out.writerow(COLUMNS)
    else:
        out.write("[")
    written = 0
    after: tuple[datetime, int] | None = None
    while team_id is not None:
        # A session per page: nothing is held open (nor locked) between pages.
        async with sessions() as session:
            page = await imports.history_page(session, team_id, after=after, size=PAGE)
        for incident, commander in page:
            past = _past(incident, commander, zone)
            if csv_out is not None:
                csv_out.writerow(row_for(past))
            else:
                out.write(("," if written else "") + "\n"
                          + json.dumps(object_for(past), ensure_ascii=False))
            written += 1
        if len(page) < PAGE:
            break
        last = page[-1][0]
        assert last.id is not None
        after = (last.created_at, last.id)
    if csv_out is None:
        out.write("\n]\n" if written else "]\n")
    return written


def _past(incident: Incident, commander: Person | None, zone: tzinfo) -> PastIncident:
    def local(at: datetime | None) -> datetime | None:
        return at.astimezone(zone) if at is not None else None

    return PastIncident(line=0, source_id=imports.exported_id(incident), title=incident.title,
                        severity=incident.severity, started_at=incident.created_at.astimezone(zone),
                        mitigated_at=local(incident.mitigated_at),
                        resolved_at=local(incident.resolved_at), commander=commander,
                        summary=incident.summary)
