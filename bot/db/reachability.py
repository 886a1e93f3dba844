"""Is the database there? Asked once at start-up, so a wrong `DATABASE_URL` or a server that
is down ends `serve` with one line instead of a traceback from deep inside a migration.

A server that does not answer yet (PostgreSQL started beside Sitrep, a failover under way) is
asked again with back-off for a bounded time; one that answers and refuses (no such database,
wrong password) will not change its mind, so that stops at once."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.database_url import shown, sqlite_path
from bot.core.settings import ConfigError

log = logging.getLogger(__name__)

FIRST_PAUSE_S = 0.5
LONGEST_PAUSE_S = 5.0
# PostgreSQL's "the database system is starting up" (and shutting down): worth waiting for.
_NOT_YET_SQLSTATES = {"57P03", "57P01"}
# PostgreSQL's "database does not exist"; a 28xxx is a refused user or password.
_NO_SUCH_DATABASE = "3D000"


async def wait_for_database(engine: AsyncEngine, *, wait_s: float) -> None:
    """Return once the database answers; ConfigError naming DATABASE_URL otherwise."""
    url = engine.url.render_as_string(hide_password=False)
    path = sqlite_path(url)
    if path is not None:
        _check_sqlite_file(Path(path))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    pause = FIRST_PAUSE_S
    attempts = 0
    while True:
        attempts += 1
        try:
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return
        except (OSError, TimeoutError, DBAPIError) as failure:
            if not _may_come_back(failure):
                raise ConfigError(f"DATABASE_URL: {shown(url)} refused Sitrep: "
                                  f"{_first_line(failure)}; {_fix_for(url)}.") from None
            left = deadline - loop.time()
            if left <= 0:
                raise ConfigError(
                    f"DATABASE_URL: {shown(url)} did not answer within {wait_s:g} s "
                    f"({attempts} tries; {_first_line(failure)}); check that the database "
                    "server is running and the URL's host and port (SITREP_DATABASE_WAIT sets "
                    "how long to wait).") from None
            # Quiet: if it never answers, the one line that ends start-up says so.
            log.debug("the database does not answer yet (%s); trying again in %.1f s",
                      _first_line(failure), min(pause, left))
            await asyncio.sleep(min(pause, left))
            pause = min(pause * 2, LONGEST_PAUSE_S)


def _check_sqlite_file(path: Path) -> None:
    """SQLite only says "unable to open database file"; say which file and why."""
    absolute = path.expanduser().absolute()
    folder = absolute.parent
    problem = None
    if absolute.is_dir():
        problem = "it is a directory"
    elif absolute.exists():
        if not os.access(absolute, os.R_OK | os.W_OK):
            problem = "Sitrep may not read and write it"
    elif not folder.exists():
        problem = f"the directory {folder} does not exist"
    elif not folder.is_dir():
        problem = f"{folder} is not a directory"
    elif not os.access(folder, os.W_OK | os.X_OK):
        problem = f"Sitrep may not create files in {folder}"
    if problem is not None:
        raise ConfigError(f"DATABASE_URL names the SQLite file {absolute}, which Sitrep cannot "
                          f"open: {problem}; point DATABASE_URL at a file in a directory "
                          "Sitrep may write to.")


def trouble_reaching(url: str, failure: BaseException) -> str | None:
    """One line for a failure to reach the database or to be let in (a command that met it
    midway says it as `serve` does at start-up); None for any other failure."""
    original = getattr(failure, "orig", None) or failure
    sqlstate = str(getattr(original, "sqlstate", "") or "")
    if isinstance(original, ConnectionError | socket.gaierror | TimeoutError) or \
            sqlstate in _NOT_YET_SQLSTATES or sqlstate.startswith("08"):
        return (f"DATABASE_URL: {shown(url)} did not answer ({_first_line(failure)}); check "
                "that the database server is running and the URL's host and port.")
    if sqlstate.startswith("28") or sqlstate == _NO_SUCH_DATABASE:
        return f"DATABASE_URL: {shown(url)} refused Sitrep: {_first_line(failure)}; " \
               f"{_fix_for(url)}."
    return None


def _may_come_back(failure: BaseException) -> bool:
    if isinstance(failure, OSError | TimeoutError):
        return True
    original = getattr(failure, "orig", None)
    if isinstance(original, OSError | TimeoutError):
        return True
    return getattr(original, "sqlstate", None) in _NOT_YET_SQLSTATES


def _fix_for(url: str) -> str:
    if sqlite_path(url) is not None:
        return "point DATABASE_URL at an SQLite file Sitrep may read and write"
    return ("check the user, password and database name in the URL (the database must "
            "exist: createdb it first)")


def _first_line(failure: BaseException) -> str:
    original = getattr(failure, "orig", None) or failure
    said = str(original).strip().splitlines()
    return said[0][:200] if said else type(original).__name__
