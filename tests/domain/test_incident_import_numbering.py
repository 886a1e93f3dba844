"""How imported incidents are numbered beside Sitrep's own: from the same counter, so no
`INC-N` ever means two incidents; an id written `INC-N` keeps N when the database never
handed it out; and a row that claims one of Sitrep's own numbers for another incident is
refused rather than silently doubled."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlmodel import col, select

from bot.db.engine import SessionFactory, transaction
from bot.db.models import Incident
from bot.domain import incidents
from bot.usecases import incident_import
from bot.usecases.incident_import import Imported

TEAM = "T0SITREP"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
HEADER = "id,title,severity,started_at,mitigated_at,resolved_at,commander,summary\n"


async def _import(sessions: SessionFactory, tmp_path: Path, rows: str, *,
                  skip_bad: bool = False) -> Imported:
    path = tmp_path / "file.csv"
    path.write_text(HEADER + rows, encoding="utf-8")
    checked = incident_import.check_file(path, zone=UTC, now=NOW)
    return await incident_import.import_file(sessions, path, checked, team_id=TEAM, zone=UTC,
                                             now=NOW, skip_bad=skip_bad)


async def _open(sessions: SessionFactory, title: str, at: datetime) -> int:
    async with transaction(sessions) as session:
        opened = await incidents.open_incident(session, team_id=TEAM, reporter_id="U0ALICE",
                                               title=title, severity=2, description=None,
                                               now=at)
        return opened.number


async def _numbers(sessions: SessionFactory) -> dict[str, int]:
    async with sessions() as session:
        rows = (await session.exec(select(Incident).order_by(col(Incident.number)))).all()
    return {row.source_id or row.title: row.number for row in rows}


async def test_imported_incidents_take_the_next_numbers_and_inc_ids_keep_theirs(
        sessions: SessionFactory, tmp_path: Path) -> None:
    await _open(sessions, "Ours", datetime(2026, 11, 1, tzinfo=UTC))
    done = await _import(sessions, tmp_path,
                         "PD-1,First,1,2026-01-01T00:00,,,,\n"
                         "INC-40,From incident.io,2,2026-01-02T00:00,,,,\n"
                         "PD-2,Second,3,2026-01-03T00:00,,,,\n")
    assert done.imported == 3
    # INC-40 keeps 40; the others follow the highest number there is.
    assert await _numbers(sessions) == {"Ours": 1, "PD-1": 41, "INC-40": 40, "PD-2": 42}
    assert await _open(sessions, "Next", datetime(2026, 11, 30, tzinfo=UTC)) == 43


async def test_an_id_naming_one_of_sitreps_own_incidents_for_another_is_a_bad_row(
        sessions: SessionFactory, tmp_path: Path) -> None:
    await _open(sessions, "Ours", datetime(2026, 11, 1, 9, 0, tzinfo=UTC))
    rows = ("INC-1,Not ours,2,2026-01-02T00:00,,,,\n"
            "PD-1,Fine,1,2026-01-01T00:00,,,,\n")
    refused = await _import(sessions, tmp_path, rows)
    assert refused.refused and refused.imported == 0
    assert [str(bad) for bad in refused.bad] == [
        "line 2: id INC-1 is this database's own INC-1, which started "
        "2026-11-01T09:00:00+00:00, not 2026-01-02T00:00:00+00:00: give this incident the "
        "id it has in its own system"]
    assert await _numbers(sessions) == {"Ours": 1}  # nothing half-imported

    skipped = await _import(sessions, tmp_path, rows, skip_bad=True)
    assert skipped.imported == 1
    assert await _numbers(sessions) == {"Ours": 1, "PD-1": 2}


async def test_an_export_row_of_sitreps_own_incident_is_that_incident(
        sessions: SessionFactory, tmp_path: Path) -> None:
    await _open(sessions, "Ours", datetime(2026, 11, 1, 9, 0, 0, 5, tzinfo=UTC))
    again = await _import(sessions, tmp_path,
                          "inc-1,Ours,2,2026-11-01T10:00:00.000005+01:00,,,,\n")
    assert (again.imported, again.already_there, again.bad) == (0, 1, [])
    assert await _numbers(sessions) == {"Ours": 1}
