"""`sitrep import` and `sitrep export`, run as an operator runs them (separate processes, on
SQLite and PostgreSQL): nothing half-imported, the same file twice changing nothing,
imports listed and undone without touching Sitrep's own incidents, and a history that
leaves through `export` and comes back through `import` the same."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.settings import DEFAULT_ROLES
from bot.db.engine import create_engine, session_factory, transaction
from bot.db.models import ImportBatch, Incident, RoleAssignment
from bot.devtools.slack_emulator import SlackEmulator
from bot.domain import incidents as incident_rules
from tests.support.settings import BOT_TOKEN
from tests.support.sitrep_cli import Finished, clean_environment, run_sitrep

HEADER = "id,title,severity,started_at,mitigated_at,resolved_at,commander,summary\n"
TEAM = "T0SITREP"
GOOD = (
    'PD-1,"Checkout, down",sev1,2026-01-05T09:00,2026-01-05T09:20,2026-01-05T10:00,'
    'U0ALICE123,"We rolled back.\nThe ""canary"" missed it."\n'
    "PD-2,Disk full on db-3,3,2026-02-10T22:15+00:00,,2026-02-11T01:00+00:00,"
    "bob@example.com,\n"
    "PD-3,Slow search,SEV-2,2026-03-01T14:00,,,,\n"
)


def _env(url: str, **more: str) -> dict[str, str]:
    return clean_environment(DATABASE_URL=url, SITREP_TIMEZONE="Europe/Paris", **more)


async def _sitrep(url: str, *args: str, cwd: Path, **env: str) -> Finished:
    return await run_sitrep(*args, env=_env(url, **env), cwd=cwd)


def _file(tmp_path: Path, name: str, rows: str) -> Path:
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8", newline="")
    return path


async def _incidents(engine: AsyncEngine) -> list[Incident]:
    async with AsyncSession(engine) as session:
        return list((await session.exec(select(Incident).order_by(col(Incident.number)))).all())


async def _commanders(engine: AsyncEngine) -> dict[int, RoleAssignment]:
    async with AsyncSession(engine) as session:
        rows = (await session.exec(select(Incident.number, RoleAssignment).join(
            RoleAssignment, col(RoleAssignment.incident_id) == col(Incident.id)))).all()
    return {number: role for number, role in rows}


async def _own_incident(engine: AsyncEngine, title: str, *, started: datetime,
                        handover_after: timedelta | None = None,
                        resolved_after: timedelta | None = None) -> int:
    """An incident as `/incident start` records it (the Slack side is not the point here)."""
    sessions = session_factory(engine)
    async with transaction(sessions) as session:
        incident = await incident_rules.open_incident(
            session, team_id=TEAM, reporter_id="U0REPORTER", title=title, severity=2,
            description=None, now=started)
        if handover_after is not None:
            await incident_rules.assign_role(
                session, incident, role="commander", user_id="U0CAROL", by="U0REPORTER",
                now=started + handover_after, allowed_roles=DEFAULT_ROLES)
        if resolved_after is not None:
            await incident_rules.resolve(session, incident, summary="Fixed, with a comma.",
                                         by="U0CAROL", now=started + resolved_after)
        return incident.number


async def test_a_file_with_a_bad_row_imports_nothing_until_told_to_skip_it(
        database_url: str, tmp_path: Path) -> None:
    engine = create_engine(database_url)
    try:
        await _own_incident(engine, "Before the import", started=datetime(2026, 4, 1, tzinfo=UTC))
        path = _file(tmp_path, "old.csv", GOOD
                     + "PD-4,Bad one,P1,2026-01-02T09:00,,2026-01-01T10:00,,\n"
                     + "PD-1,Twice in the file,2,2026-01-06T09:00,,,,\n")

        refused = await _sitrep(database_url, "import", str(path), cwd=tmp_path)
        assert refused.returncode == 1
        assert refused.stderr.splitlines() == [
            'line 6: severity must be 1-4 (or sev1-sev4), got "P1"; resolved_at '
            "2026-01-01T10:00 is before started_at 2026-01-02T09:00",
            'line 7: id "PD-1" is also on line 2: each incident once',
            f"Nothing imported from {path}: 2 rows are bad. Fix them, or import the others "
            "with --skip-bad."]
        assert [i.title for i in await _incidents(engine)] == ["Before the import"]

        skipped = await _sitrep(database_url, "import", str(path), "--skip-bad", cwd=tmp_path)
        assert skipped.returncode == 0, skipped.stderr
        assert skipped.stdout.startswith(f"Imported 3 incidents from {path}")
        assert "Skipped 2 bad rows." in skipped.stdout
        stored = await _incidents(engine)
        # Numbered after Sitrep's own, in file order; no channel; marked imported.
        assert [(i.number, i.source_id, i.channel_id, i.status) for i in stored] == [
            (1, None, None, "investigating"), (2, "PD-1", None, "resolved"),
            (3, "PD-2", None, "resolved"), (4, "PD-3", None, "investigating")]
        checkout = stored[1]
        assert checkout.title == "Checkout, down" and checkout.severity == 1
        assert checkout.summary == 'We rolled back.\nThe "canary" missed it.'
        # No offset in the file: Paris time, stored in UTC.
        assert checkout.created_at == datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
        assert checkout.mitigated_at == datetime(2026, 1, 5, 8, 20, tzinfo=UTC)
        assert checkout.resolved_at == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        commanders = await _commanders(engine)
        assert (commanders[2].user_id, commanders[2].user_name, commanders[2].started_at,
                commanders[2].ended_at) == ("U0ALICE123", None, checkout.created_at,
                                            checkout.resolved_at)
        assert (commanders[3].user_id, commanders[3].user_name) == ("", "bob@example.com")
        assert 4 not in commanders  # no commander given, none invented
        # A commander known by email is named so in a retrospective drafted later.
        drafted = await _sitrep(database_url, "retro", "3", "--regenerate", cwd=tmp_path)
        assert drafted.returncode == 0, drafted.stderr
        assert "| commander | @bob@example.com |" in drafted.stdout

        again = await _sitrep(database_url, "import", str(path), "--skip-bad", cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert again.stdout.startswith("Imported 0 incidents")
        assert "3 were already here" in again.stdout
        assert len(await _incidents(engine)) == 4

        # Sitrep's next incident follows the imported ones.
        assert await _own_incident(engine, "After", started=datetime(2026, 5, 1, tzinfo=UTC)) == 5
    finally:
        await engine.dispose()


async def test_imports_are_listed_and_undone_leaving_sitreps_own_incidents(
        database_url: str, tmp_path: Path) -> None:
    engine = create_engine(database_url)
    try:
        await _own_incident(engine, "Ours", started=datetime(2026, 4, 1, tzinfo=UTC))
        first = _file(tmp_path, "pagerduty.csv", GOOD)
        second = _file(tmp_path, "opsgenie.csv", "OG-9,Queue backlog,4,2026-03-03T03:03,,,,\n")
        for path in (first, second):
            done = await _sitrep(database_url, "import", str(path), cwd=tmp_path)
            assert done.returncode == 0, done.stderr

        listed = await _sitrep(database_url, "import", "--list", cwd=tmp_path)
        assert listed.returncode == 0, listed.stderr
        rows = [line.split() for line in listed.stdout.splitlines()[1:]]
        assert [(row[0], row[3], row[4]) for row in rows] == [("1", "3", "pagerduty.csv"),
                                                              ("2", "1", "opsgenie.csv")]

        undone = await _sitrep(database_url, "import", "--undo", str(first), cwd=tmp_path)
        assert undone.returncode == 0, undone.stderr
        assert undone.stdout.startswith("Removed 3 incidents")
        assert [(i.title, i.source_id) for i in await _incidents(engine)] == [
            ("Ours", None), ("Queue backlog", "OG-9")]
        assert set(await _commanders(engine)) == {1}  # the imported commanders went too

        by_batch = await _sitrep(database_url, "import", "--undo-batch", "2", cwd=tmp_path)
        assert by_batch.returncode == 0, by_batch.stderr
        assert [i.title for i in await _incidents(engine)] == ["Ours"]
        async with AsyncSession(engine) as session:
            assert (await session.exec(select(ImportBatch))).all() == []

        gone = await _sitrep(database_url, "import", "--undo-batch", "2", cwd=tmp_path)
        assert gone.returncode == 1
        assert "there is no import 2" in gone.stderr
        # A file changed since its import is not taken for it.
        first.write_text(HEADER + "PD-1,Edited,1,2026-01-05T09:00,,,,\n", encoding="utf-8")
        changed = await _sitrep(database_url, "import", "--undo", str(first), cwd=tmp_path)
        assert changed.returncode == 1
        assert "no import of pagerduty.csv as it is now" in changed.stderr
    finally:
        await engine.dispose()


async def test_the_same_file_imported_twice_at_once_is_imported_once(
        database_url: str, tmp_path: Path) -> None:
    rows = "".join(f"X-{n},Incident {n},2,2026-01-{n:02d}T10:00,,,,\n" for n in range(1, 29))
    path = _file(tmp_path, "many.csv", rows)
    engine = create_engine(database_url)
    try:
        await _own_incident(engine, "Ours", started=datetime(2026, 4, 1, tzinfo=UTC))
        both = await asyncio.gather(*(_sitrep(database_url, "import", str(path), cwd=tmp_path)
                                      for _ in range(2)))
        for each in both:
            assert each.returncode == 0, each.stderr
        assert sorted(each.stdout.split()[1] for each in both) == ["0", "28"]
        stored = await _incidents(engine)
        assert len(stored) == 29
        assert [i.number for i in stored] == list(range(1, 30))
    finally:
        await engine.dispose()


async def test_export_then_import_gives_the_same_history(
        database_url: str, empty_database_url: str, tmp_path: Path) -> None:
    engine = create_engine(database_url)
    try:
        start = datetime(2026, 6, 1, 7, 30, 15, 250000, tzinfo=UTC)
        # Alice (the reporter) commands 10 minutes, then Carol 50: Carol is the commander.
        await _own_incident(engine, "Payments timing out", started=start,
                            handover_after=timedelta(minutes=10),
                            resolved_after=timedelta(hours=1))
        await _own_incident(engine, "Still open", started=start + timedelta(days=1))
        done = await _sitrep(database_url, "import", str(_file(tmp_path, "old.csv", GOOD)),
                             cwd=tmp_path)
        assert done.returncode == 0, done.stderr

        exported = await _sitrep(database_url, "export", "--format", "csv", cwd=tmp_path)
        assert exported.returncode == 0, exported.stderr
        table = list(csv.DictReader(io.StringIO(exported.stdout)))
        assert [(row["id"], row["commander"]) for row in table] == [
            ("PD-1", "U0ALICE123"), ("PD-2", "bob@example.com"), ("PD-3", ""),
            ("INC-1", "U0CAROL"), ("INC-2", "U0REPORTER")]
        assert table[3]["started_at"] == "2026-06-01T09:30:15.250000+02:00"
        as_json = await _sitrep(database_url, "export", "--format", "json", cwd=tmp_path)
        assert as_json.returncode == 0, as_json.stderr
        assert json.loads(as_json.stdout) == [
            {key: (int(value) if key == "severity" else value or None)
             for key, value in row.items()} for row in table]

        # Into its own database: nothing changes.
        path = tmp_path / "history.csv"
        path.write_text(exported.stdout, encoding="utf-8", newline="")
        same = await _sitrep(database_url, "import", str(path), cwd=tmp_path)
        assert same.returncode == 0, same.stderr
        assert same.stdout.startswith("Imported 0 incidents")
        assert "5 were already here" in same.stdout

        # Into an empty one (SQLite to PostgreSQL and back too): the same history, and
        # Sitrep's own incidents keep their numbers.
        made = await _sitrep(empty_database_url, "db", "upgrade", cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        moved = await _sitrep(empty_database_url, "import", str(path), "--team", TEAM,
                              cwd=tmp_path)
        assert moved.returncode == 0, moved.stderr
        assert moved.stdout.startswith("Imported 5 incidents")
        written = tmp_path / "again.csv"
        back = await _sitrep(empty_database_url, "export", "--output", str(written),
                             cwd=tmp_path)
        assert back.returncode == 0, back.stderr
        assert written.read_bytes().decode("utf-8") == exported.stdout
        other = create_engine(empty_database_url)
        try:
            numbered = {i.source_id: i.number for i in await _incidents(other)}
        finally:
            await other.dispose()
        assert (numbered["INC-1"], numbered["INC-2"]) == (1, 2)
        assert sorted(numbered.values()) == [1, 2, 3, 4, 5]
    finally:
        await engine.dispose()


async def test_the_workspace_is_the_databases_or_else_slacks(
        empty_database_url: str, slack: SlackEmulator, tmp_path: Path) -> None:
    made = await _sitrep(empty_database_url, "db", "upgrade", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    path = _file(tmp_path, "old.csv", GOOD)

    unknown = await _sitrep(empty_database_url, "import", str(path), cwd=tmp_path)
    assert unknown.returncode == 2
    (line,) = unknown.stderr.strip().splitlines()
    assert "--team" in line and "SLACK_BOT_TOKEN" in line

    asked = await _sitrep(empty_database_url, "import", str(path), cwd=tmp_path,
                          SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=slack.api_url)
    assert asked.returncode == 0, asked.stderr
    engine = create_engine(empty_database_url)
    try:
        assert {i.team_id for i in await _incidents(engine)} == {"T0001"}
    finally:
        await engine.dispose()
    # From then on the database says which workspace it is.
    more = _file(tmp_path, "more.csv", "OG-1,Later,2,2026-03-09T10:00,,,,\n")
    known = await _sitrep(empty_database_url, "import", str(more), cwd=tmp_path)
    assert known.returncode == 0, known.stderr


async def test_a_file_that_is_not_incidents_or_not_there_is_one_clear_refusal(
        database_url: str, tmp_path: Path) -> None:
    latin1 = tmp_path / "excel.csv"
    latin1.write_bytes(HEADER.encode() + "X,Caf\u00e9 down,1,2026-01-02T09:00,,,,\n"
                       .encode("latin-1"))
    refused = await _sitrep(database_url, "import", str(latin1), cwd=tmp_path)
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "line 2: not UTF-8 text (byte 0xe9 at column 6); save the file as UTF-8 (in Excel: "
        "CSV UTF-8) and import it again", f"Nothing imported from {latin1}."]

    missing = await _sitrep(database_url, "import", str(tmp_path / "nope.csv"), cwd=tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"sitrep import: {tmp_path / 'nope.csv'}: there is no "
                                     "such file")
    nothing = await _sitrep(database_url, "import", cwd=tmp_path)
    assert nothing.returncode == 2
    assert "give one of: FILE.csv, --list, --undo FILE.csv, --undo-batch N" in nothing.stderr


async def test_an_import_that_cannot_get_sqlites_write_lock_changes_nothing_and_says_so(
        tmp_path: Path) -> None:
    database = tmp_path / "sitrep.db"
    url = f"sqlite+aiosqlite:///{database}"
    assert (await _sitrep(url, "db", "upgrade", cwd=tmp_path)).returncode == 0
    path = _file(tmp_path, "old.csv", GOOD)
    with closing(sqlite3.connect(database, isolation_level=None)) as writer:
        writer.execute("BEGIN IMMEDIATE")  # a writer that keeps its turn
        busy = await _sitrep(url, "import", str(path), "--team", TEAM, cwd=tmp_path)
        writer.execute("ROLLBACK")
    assert busy.returncode == 1
    (line,) = busy.stderr.strip().splitlines()
    assert "stayed busy" in line and "nothing was changed" in line
    done = await _sitrep(url, "import", str(path), "--team", TEAM, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
