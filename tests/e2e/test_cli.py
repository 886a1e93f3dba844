"""`sitrep` as an operator first meets it: help without a command, the version, what `serve`
needs, and where a database is (or is not) before anything is made."""

from __future__ import annotations

import asyncio
import sys
from importlib.metadata import version
from pathlib import Path

from tests.support.databases import sqlite_url
from tests.support.sitrep_cli import clean_environment, run_sitrep


async def test_sitrep_alone_prints_help(tmp_path: Path) -> None:
    result = await run_sitrep(env=clean_environment(), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.startswith("usage: sitrep")
    for command in ("serve", "retro", "import", "export", "db", "demo"):
        assert f"    {command} " in result.stdout


async def test_sitrep_version(tmp_path: Path) -> None:
    result = await run_sitrep("--version", env=clean_environment(), cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout.strip() == f"sitrep {version('sitrep')}"


async def test_serve_help_lists_what_it_needs_and_mentions_socket_mode(tmp_path: Path) -> None:
    result = await run_sitrep("serve", "--help", env=clean_environment(), cwd=tmp_path)
    assert result.returncode == 0
    for variable in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                     "DATABASE_URL", "SITREP_HOST", "PORT"):
        assert variable in result.stdout
    assert "Socket Mode" in result.stdout
    assert ".env" in result.stdout


async def test_a_usage_mistake_is_one_line(tmp_path: Path) -> None:
    result = await run_sitrep("serv", env=clean_environment(), cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "invalid choice: 'serv'" in line
    assert "sitrep --help" in line


async def test_the_command_line_imports_no_heavy_library_until_a_command_runs(
        tmp_path: Path) -> None:
    """What keeps `sitrep --help` quick: the command line module imports only the standard
    library, each command what it needs when it runs."""
    heavy = ("slack_bolt", "slack_sdk", "sqlalchemy", "aiohttp", "alembic", "pydantic")
    check = ("import sys, bot.cli; "
             f"print(','.join(m for m in {heavy!r} if m in sys.modules))")
    result = await _python(check, tmp_path)
    assert result == ""


async def test_a_command_runs_with_the_garbage_collector_on(tmp_path: Path) -> None:
    """The process keeps the collector off only while it imports (`bot.cli.run`): left
    off, `sitrep serve` would keep every reference cycle it ever made."""
    check = ("import atexit, gc, sys, bot.cli; "
             "atexit.register(lambda: print('collecting:', gc.isenabled())); "
             "sys.argv = ['sitrep', 'db', 'upgrade']; bot.cli.run()")
    result = await _python(check, tmp_path)
    assert result.splitlines()[-1] == "collecting: True"


async def _python(code: str, cwd: Path) -> str:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-c", code, env=clean_environment(), cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()
    return stdout.decode().strip()


async def test_db_current_says_whether_migrations_are_pending(empty_database_url: str,
                                                              tmp_path: Path) -> None:
    env = clean_environment(DATABASE_URL=empty_database_url)
    if empty_database_url.startswith("sqlite"):
        _make_empty_file(Path(empty_database_url.removeprefix("sqlite+aiosqlite:///")))

    behind = await run_sitrep("db", "current", env=env, cwd=tmp_path)
    assert behind.returncode == 1, behind.stderr
    assert "never migrated" in behind.stdout
    assert "run `sitrep db upgrade`" in behind.stdout

    assert (await run_sitrep("db", "upgrade", env=env, cwd=tmp_path)).returncode == 0
    current = await run_sitrep("db", "current", env=env, cwd=tmp_path)
    assert current.returncode == 0, current.stderr
    assert "up to date" in current.stdout


async def test_db_current_never_creates_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "elsewhere.db"
    result = await run_sitrep("db", "current", env=clean_environment(
        DATABASE_URL=sqlite_url(missing)), cwd=tmp_path)
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith(f"sitrep: DATABASE_URL: there is no SQLite database at {missing}")
    assert not missing.exists()


def _make_empty_file(path: Path) -> None:
    """An SQLite file that exists but was never migrated."""
    path.touch()
