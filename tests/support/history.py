"""A past of incidents written straight into the database, as a recorded or imported
history leaves it: the incident rows, their commanders, their action items, a long
timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select

from bot.db.engine import SessionFactory
from bot.db.models import ActionItem, Incident, RoleAssignment, TimelineEntry
from bot.domain.vocabulary import Role, Status


@dataclass
class Past:
    """One incident of the past; `commanders` are (user, from) in order, the last holding
    the role until the incident resolved (or still)."""

    started: datetime
    severity: int = 3
    mitigated_after: timedelta | None = None
    resolved_after: timedelta | None = None
    commanders: Sequence[tuple[str, datetime]] = ()
    # (done, due on)
    action_items: Sequence[tuple[bool, date | None]] = field(default_factory=list)
    team_id: str = "T1"
    private: bool = False


async def write_history(sessions: SessionFactory, past: Sequence[Past]) -> None:
    async with sessions() as session, session.begin():
        numbers: dict[str, int] = {}
        for incident in past:
            number = numbers[incident.team_id] = numbers.get(incident.team_id, 0) + 1
            resolved = (incident.started + incident.resolved_after
                        if incident.resolved_after is not None else None)
            row = Incident(team_id=incident.team_id, number=number, title=f"past {number}",
                           severity=incident.severity,
                           status=Status.RESOLVED if resolved else Status.INVESTIGATING,
                           reporter_id="U0REPORTER", private=incident.private,
                           created_at=incident.started,
                           detected_at=incident.started,
                           mitigated_at=(incident.started + incident.mitigated_after
                                         if incident.mitigated_after is not None else None),
                           resolved_at=resolved)
            session.add(row)
            await session.flush()
            assert row.id is not None
            holders = list(incident.commanders)
            for index, (user, since) in enumerate(holders):
                until = holders[index + 1][1] if index + 1 < len(holders) else None
                session.add(RoleAssignment(team_id=incident.team_id, incident_id=row.id,
                                           role=Role.COMMANDER, user_id=user,
                                           assigned_by=user, started_at=since,
                                           ended_at=until))
            for done, due in incident.action_items:
                session.add(ActionItem(team_id=incident.team_id, incident_id=row.id,
                                       text="follow up", created_by="U0REPORTER",
                                       created_at=incident.started, due_on=due,
                                       done_at=incident.started if done else None))


async def write_timeline(engine: AsyncEngine, incident_number: int, count: int, *,
                         first_at: datetime) -> None:
    """`count` notes on incident `incident_number`'s timeline, a second apart, "note 1" on:
    the flood an alert storm leaves."""
    async with engine.begin() as connection:
        found = (await connection.execute(
            select(Incident.id, Incident.team_id).where(
                col(Incident.number) == incident_number))).one()
        await connection.execute(insert(TimelineEntry), [
            {"team_id": found.team_id, "incident_id": found.id, "kind": "note",
             "via": "command", "text": f"note {n}", "author_id": "U0ALICE",
             "occurred_at": first_at + timedelta(seconds=n), "created_at": first_at}
            for n in range(1, count + 1)])
