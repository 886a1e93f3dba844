"""The README's "Backups and upgrades" commands for SQLite, run as written on a database
Sitrep has open in WAL mode: each backup holds the latest commit, where a plain copy of the
file does not."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from tests.support.paths import REPO


def _backup_commands() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Backups and upgrades", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"\*\*SQLite\.\*\*.*?```sh\n(.*?)```", section, re.DOTALL)
    assert block is not None, "the README lost its SQLite backup commands"
    return [line for line in block.group(1).splitlines()
            if line.strip() and not line.lstrip().startswith("#")]


@pytest.fixture
def open_database(sqlite_template: Path, tmp_path: Path) -> Iterator[sqlite3.Connection]:
    """sitrep.db as a running Sitrep leaves it: WAL mode, the latest commit still only in
    sitrep.db-wal because a connection is open."""
    with closing(sqlite3.connect(sqlite_template)) as source, \
            closing(sqlite3.connect(tmp_path / "sitrep.db")) as copy:
        source.backup(copy)
    connection = sqlite3.connect(tmp_path / "sitrep.db", isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    connection.execute("INSERT INTO incident_counter (team_id, last_number) VALUES ('T9', 7)")
    try:
        yield connection
    finally:
        connection.close()


def _teams(path: Path) -> list[tuple[str, int]]:
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute(
            "SELECT team_id, last_number FROM incident_counter ORDER BY team_id").fetchall()
    return [(str(team), int(number)) for team, number in rows]


@pytest.mark.parametrize("command", _backup_commands())
def test_each_readme_backup_command_copies_the_latest_commit(
        open_database: sqlite3.Connection, tmp_path: Path, command: str) -> None:
    tool = command.split()[0]
    if shutil.which(tool) is None:
        pytest.skip(f"{tool} is not installed here")
    subprocess.run(command, shell=True, cwd=tmp_path, check=True, timeout=60)
    assert ("T9", 7) in _teams(tmp_path / "backup.db")


def test_a_plain_copy_of_the_open_database_misses_the_latest_commit(
        open_database: sqlite3.Connection, tmp_path: Path) -> None:
    shutil.copyfile(tmp_path / "sitrep.db", tmp_path / "copied.db")
    assert ("T9", 7) not in _teams(tmp_path / "copied.db")
