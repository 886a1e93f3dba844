"""Imported incidents in the database: adding them as incidents like Sitrep's own (the same
numbering, a commander's role held from start to resolve), finding the ones already there,
and removing exactly what an import added.

Functions take an open session; the caller owns the transaction
(`bot.usecases.incident_import`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, insert, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import insert_unless_present
from bot.db.models import ImportBatch, Incident, IncidentCounter, RoleAssignment
from bot.domain.past_incidents import PastIncident, Person
from bot.domain.vocabulary import Role, Status, label

# Who assigned an imported commander, and who reported an imported incident: nobody Sitrep
# knows (the other system's record says no more).
NOBODY = ""


async def teams(session: AsyncSession) -> list[str]:
    """Every workspace the database has numbered incidents for."""
    counted = (await session.exec(select(IncidentCounter.team_id))).all()
    numbered = (await session.exec(select(Incident.team_id).distinct())).all()
    return sorted({*counted, *numbered})


async def hold_numbering(session: AsyncSession, team_id: str) -> int:
    """The workspace's last incident number, its counter's row locked until the transaction
    ends: `/incident start` on any replica, and a second import of the same file, wait for
    this import, and the second then finds every incident already there."""
    await insert_unless_present(session, IncidentCounter, key=["team_id"], team_id=team_id,
                                last_number=0)
    result = await session.exec(
        update(IncidentCounter).where(col(IncidentCounter.team_id) == team_id)
        .values(last_number=col(IncidentCounter.last_number))
        .returning(col(IncidentCounter.last_number)))
    return int(result.scalar_one())


async def set_last_number(session: AsyncSession, team_id: str, number: int) -> None:
    await session.exec(update(IncidentCounter).where(col(IncidentCounter.team_id) == team_id)
                       .values(last_number=number))


async def already_imported(session: AsyncSession, team_id: str,
                           source_ids: Collection[str]) -> set[str]:
    rows = (await session.exec(select(Incident.source_id).where(
        col(Incident.team_id) == team_id, col(Incident.source_id).in_(source_ids)))).all()
    return {str(found) for found in rows}


async def own_starts(session: AsyncSession, team_id: str,
                     numbers: Collection[int]) -> dict[int, datetime]:
    """When Sitrep's own incidents of these numbers started (imported ones left out)."""
    rows = (await session.exec(select(Incident.number, Incident.created_at).where(
        col(Incident.team_id) == team_id, col(Incident.number).in_(numbers),
        col(Incident.source_id).is_(None)))).all()
    return {int(number): started for number, started in rows}


async def start_batch(session: AsyncSession, *, team_id: str, file_name: str,
                      file_sha256: str, now: datetime) -> ImportBatch:
    batch = ImportBatch(team_id=team_id, file_name=file_name, file_sha256=file_sha256,
                        imported_at=now, added=0)
    session.add(batch)
    await session.flush()
    return batch


async def add(session: AsyncSession, batch: ImportBatch,
              numbered: Sequence[tuple[int, PastIncident]]) -> None:
    """Add the incidents under the numbers given, each with its commander: one multi-row
    INSERT each (a history of 100,000 incidents is written in a minute's fraction of the
    time row-by-row objects would take)."""
    assert batch.id is not None
    incident_rows = [{
        "team_id": batch.team_id, "number": number, "title": past.title,
        "severity": past.severity, "status": status_of(past), "reporter_id": NOBODY,
        "private": False, "card_stale": 0, "created_at": past.started_at,
        "detected_at": past.started_at, "mitigated_at": past.mitigated_at,
        "resolved_at": past.resolved_at, "summary": past.summary,
        "source_id": past.source_id, "import_batch_id": batch.id}
        for number, past in numbered]
    # Ids read back by source id rather than with RETURNING: keeping RETURNING's rows in
    # the parameters' order makes SQLAlchemy insert one row at a time on SQLite.
    await session.exec(insert(Incident), params=incident_rows)
    commanded = {past.source_id: past for _number, past in numbered if past.commander}
    ids = (await session.exec(select(Incident.source_id, Incident.id).where(
        col(Incident.team_id) == batch.team_id,
        col(Incident.source_id).in_(list(commanded))))).all() if commanded else []
    commanders = [{
        "team_id": batch.team_id, "incident_id": incident_id, "role": Role.COMMANDER,
        "user_id": person.slack_id or NOBODY, "user_name": person.name,
        "assigned_by": NOBODY, "started_at": past.started_at, "ended_at": past.resolved_at}
        for source_id, incident_id in ids
        if (person := (past := commanded[str(source_id)]).commander) is not None]
    if commanders:
        await session.exec(insert(RoleAssignment), params=commanders)
    batch.added += len(incident_rows)
    session.add(batch)
    await session.flush()


def status_of(past: PastIncident) -> str:
    """What the times say: resolved, mitigated (monitoring), or still open."""
    if past.resolved_at is not None:
        return Status.RESOLVED
    return Status.MONITORING if past.mitigated_at is not None else Status.INVESTIGATING


@dataclass(frozen=True)
class Batch:
    id: int
    team_id: str
    file_name: str
    imported_at: datetime
    added: int


async def batches(session: AsyncSession, team_id: str | None) -> list[Batch]:
    query = select(ImportBatch).order_by(col(ImportBatch.id))
    if team_id is not None:
        query = query.where(col(ImportBatch.team_id) == team_id)
    return [_batch(row) for row in (await session.exec(query)).all()]


async def batches_of_file(session: AsyncSession, team_id: str | None,
                          file_sha256: str) -> list[Batch]:
    query = select(ImportBatch).where(col(ImportBatch.file_sha256) == file_sha256) \
        .order_by(col(ImportBatch.id))
    if team_id is not None:
        query = query.where(col(ImportBatch.team_id) == team_id)
    return [_batch(row) for row in (await session.exec(query)).all()]


async def batch(session: AsyncSession, batch_id: int) -> Batch | None:
    found = await session.get(ImportBatch, batch_id)
    return _batch(found) if found is not None else None


async def remove_batch(session: AsyncSession, batch_id: int) -> int:
    """Delete the incidents an import added (their roles, timeline and the rest go with
    them) and the import itself; returns how many incidents went. Only rows carrying a
    source id are touched: Sitrep's own incidents never have one."""
    result = await session.exec(delete(Incident).where(
        col(Incident.import_batch_id) == batch_id, col(Incident.source_id).is_not(None)))
    await session.exec(delete(ImportBatch).where(col(ImportBatch.id) == batch_id))
    return int(getattr(result, "rowcount", 0))


def _batch(row: ImportBatch) -> Batch:
    assert row.id is not None
    return Batch(id=row.id, team_id=row.team_id, file_name=row.file_name,
                 imported_at=row.imported_at, added=row.added)


# --- export ----------------------------------------------------------------------------------

async def history_page(session: AsyncSession, team_id: str, *,
                       after: tuple[datetime, int] | None, size: int,
                       ) -> list[tuple[Incident, Person | None]]:
    """A page of the workspace's incidents in the order they started, each with its
    commander; `after` is the last page's last (start, id), so no page is read twice and
    no offset is scanned past."""
    query = select(Incident).where(col(Incident.team_id) == team_id)
    if after is not None:
        started, incident_id = after
        query = query.where((col(Incident.created_at) > started)
                            | ((col(Incident.created_at) == started)
                               & (col(Incident.id) > incident_id)))
    page = (await session.exec(query.order_by(col(Incident.created_at), col(Incident.id))
                               .limit(size))).all()
    spans = (await session.exec(select(RoleAssignment).where(
        col(RoleAssignment.incident_id).in_([incident.id for incident in page]),
        col(RoleAssignment.role) == Role.COMMANDER))).all()
    by_incident: dict[int, list[RoleAssignment]] = {}
    for span in spans:
        by_incident.setdefault(span.incident_id, []).append(span)
    return [(incident, _commander(incident, by_incident.get(incident.id or 0, [])))
            for incident in page]


def _commander(incident: Incident, spans: list[RoleAssignment]) -> Person | None:
    """The one file column for what may have been several commanders: of a resolved
    incident, whoever held the role longest before the resolve (the first of them on a
    tie); of an open one, whoever holds it now."""
    if not spans:
        return None
    ordered = sorted(spans, key=lambda span: (span.started_at, span.id or 0))
    resolved = incident.resolved_at
    current = [span for span in ordered if span.ended_at is None]
    if resolved is None and current:
        chosen = current[-1]
    else:
        end = resolved or max(span.ended_at or span.started_at for span in ordered)
        chosen = max(ordered, key=lambda span: (
            min(span.ended_at or end, end) - span.started_at).total_seconds())
    return Person(slack_id=chosen.user_id or None,
                  name=chosen.user_name if not chosen.user_id else None)


def exported_id(incident: Incident) -> str:
    """An imported incident keeps its own system's id; Sitrep's own are `INC-N`."""
    return incident.source_id or label(incident.number)
