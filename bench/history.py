"""A synthetic incident history with the shape of a real one, for `python -m bench stats`.

Starts lean toward weekdays (Fridays most: changes shipped before the weekend) and toward
working hours, with a thin tail at night; severities are mostly 3 and 4; times to mitigate
and to resolve are lognormal per severity (a few incidents take far longer than the rest);
commanders come from a pool of people, about a third of incidents with a handover; serious
incidents leave action items, some done, some past their due day. The most recent days'
incidents are partly still open. Seeded: the same size gives the same history."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import ActionItem, Incident, IncidentCounter, RoleAssignment

TEAM = "T0BENCH"
WEEKDAY_WEIGHTS = (1.0, 1.05, 1.0, 1.05, 1.35, 0.55, 0.5)
HOUR_WEIGHTS = (0.35, 0.3, 0.25, 0.25, 0.25, 0.3, 0.45, 0.7, 1.0, 1.4, 1.6, 1.6, 1.3, 1.5,
                1.6, 1.6, 1.5, 1.3, 1.0, 0.8, 0.7, 0.6, 0.5, 0.4)
SEVERITY_WEIGHTS = {1: 0.05, 2: 0.2, 3: 0.45, 4: 0.3}
# Median minutes to mitigate and the lognormal's sigma, per severity.
MITIGATE = {1: (25, 0.9), 2: (45, 1.0), 3: (90, 1.1), 4: (180, 1.2)}
PEOPLE = 40
BATCH = 5000


def _rows(size: int, zone: ZoneInfo, end: datetime,
          seed: int) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]],
                                       list[dict[str, Any]]]]:
    rng = random.Random(seed)
    # About 40 incidents a day: 100,000 is some seven years of a large organisation.
    days = max(30, size // 40)
    first_day = end.astimezone(zone).date() - timedelta(days=days)
    day_weights = [WEEKDAY_WEIGHTS[(first_day + timedelta(days=d)).weekday()]
                   for d in range(days)]
    starts = []
    for day_index in rng.choices(range(days), weights=day_weights, k=size):
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        local = datetime.combine(first_day + timedelta(days=day_index), datetime.min.time(),
                                 tzinfo=zone) + timedelta(hours=hour,
                                                          seconds=rng.randrange(3600))
        starts.append(local.astimezone(UTC))
    starts.sort()
    severities = list(SEVERITY_WEIGHTS)
    people = [f"U0PERSON{n:03d}" for n in range(PEOPLE)]
    for number, started in enumerate(starts, start=1):
        severity = rng.choices(severities, weights=list(SEVERITY_WEIGHTS.values()))[0]
        median, sigma = MITIGATE[severity]
        mitigate = timedelta(minutes=median * math.exp(rng.gauss(0, sigma)))
        resolve = mitigate + timedelta(minutes=median * math.exp(rng.gauss(0.5, sigma)))
        recent = (end - started) < timedelta(days=3)
        still_open = recent and rng.random() < 0.5
        mitigated = started + mitigate if started + mitigate < end else None
        resolved = None if still_open or started + resolve >= end else started + resolve
        incident = {"id": number, "team_id": TEAM, "number": number,
                    "title": f"Synthetic incident {number}", "severity": severity,
                    "status": "resolved" if resolved else "investigating",
                    "reporter_id": rng.choice(people), "private": False, "card_stale": 0,
                    "created_at": started, "detected_at": started,
                    "mitigated_at": mitigated, "resolved_at": resolved}
        commanders = [rng.choice(people)]
        handover_at = started + (resolve if resolved else end - started) * rng.random()
        if rng.random() < 0.3 and handover_at < end:
            commanders.append(rng.choice([p for p in people if p != commanders[0]]))
        roles = []
        for index, user in enumerate(commanders):
            roles.append({"team_id": TEAM, "incident_id": number, "role": "commander",
                          "user_id": user, "assigned_by": user,
                          "started_at": started if index == 0 else handover_at,
                          "ended_at": handover_at if index + 1 < len(commanders) else None})
        items = []
        for _ in range(rng.choice((0, 1, 2, 3)) if severity <= 2 else 0):
            due: date | None = (started + timedelta(days=rng.randint(3, 30))).date()
            items.append({"team_id": TEAM, "incident_id": number, "text": "Follow up",
                          "owner_id": rng.choice(people), "created_by": commanders[0],
                          "created_at": started,
                          "due_on": due if rng.random() < 0.7 else None,
                          "done_at": started + timedelta(days=2) if rng.random() < 0.75
                          and started + timedelta(days=2) < end else None})
        yield incident, roles, items


async def write_synthetic_history(engine: AsyncEngine, size: int, *, zone: ZoneInfo,
                                  end: datetime, seed: int = 13) -> None:
    """`size` incidents ending at `end`, into a migrated, empty database."""
    incidents: list[dict[str, Any]] = []
    roles: list[dict[str, Any]] = []
    items: list[dict[str, Any]] = []

    async def flush() -> None:
        async with engine.begin() as connection:
            for table, rows in ((Incident, incidents), (RoleAssignment, roles),
                                (ActionItem, items)):
                if rows:
                    await connection.execute(insert(table), rows)
        incidents.clear()
        roles.clear()
        items.clear()

    for incident, incident_roles, incident_items in _rows(size, zone, end, seed):
        incidents.append(incident)
        roles.extend(incident_roles)
        items.extend(incident_items)
        if len(incidents) >= BATCH:
            await flush()
    await flush()
    async with engine.begin() as connection:
        await connection.execute(insert(IncidentCounter), [{"team_id": TEAM,
                                                            "last_number": size}])
        if engine.dialect.name == "postgresql":
            await connection.execute(text(
                "SELECT setval(pg_get_serial_sequence('incident', 'id'), :n)"), {"n": size})
        # Fresh statistics for the planner, as a database that grew over years has.
        await connection.execute(text("ANALYZE"))
