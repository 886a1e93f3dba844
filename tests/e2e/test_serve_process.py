"""`sitrep serve` as an operator runs it: a real process, migrated before it answers, healthy
on /healthz, and stopping cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import inspect

from bot.db.engine import create_engine
from bot.devtools.slack_emulator import SlackEmulator
from tests.support import databases
from tests.support.settings import SIGNING_SECRET
from tests.support.sitrep_cli import clean_environment

STARTUP_LIMIT_S = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _wait_until_healthy(url: str, process: asyncio.subprocess.Process) -> int:
    async with aiohttp.ClientSession() as session:
        for _ in range(STARTUP_LIMIT_S * 10):
            if process.returncode is not None:
                raise AssertionError(f"sitrep serve exited early with {process.returncode}")
            try:
                async with session.get(url) as response:
                    return response.status
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(0.1)
    raise AssertionError("sitrep serve never answered /healthz")


async def test_serve_migrates_answers_healthz_and_stops_on_sigterm(
        empty_database_url: str, slack: SlackEmulator, tmp_path: Path) -> None:
    database_url = empty_database_url
    port = _free_port()
    env = clean_environment(SLACK_BOT_TOKEN="xoxb-sitrep-test",
                            SLACK_SIGNING_SECRET=SIGNING_SECRET,
                            SLACK_API_URL=slack.api_url, DATABASE_URL=database_url)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--port", str(port), env=env,
        cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        status = await _wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert status == 200
        engine = create_engine(database_url)
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        await engine.dispose()
        assert {"alembic_version", "incident", "timeline_event"} <= tables

        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
    log = stderr.decode()
    assert "Traceback" not in log
    assert "Stopped" in log


async def test_healthz_says_503_when_the_database_is_gone() -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.core.work_queue import WorkQueue
    from bot.server import build_web_app

    # A database server that is not there (nothing listens on port 9). A SQLite file that
    # cannot be opened would do as well, but aiosqlite's worker thread outlives the failed
    # connect and then reports to a closed event loop, in whichever test runs next.
    engine = create_engine("postgresql+asyncpg://sitrep@127.0.0.1:9/sitrep")
    web_app = build_web_app(bolt_app=None, engine=engine,  # type: ignore[arg-type]
                            after_ack=WorkQueue(workers=1, capacity=1))
    async with TestClient(TestServer(web_app)) as client:
        response = await client.get("/healthz")
        assert response.status == 503
        assert (await response.json())["error"] == "database_unreachable"
    await engine.dispose()


async def test_healthz_names_a_busy_database_in_its_answer_and_its_log(
        sqlite_template: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from aiohttp.test_utils import TestClient, TestServer

    from bot.core.work_queue import WorkQueue
    from bot.server import build_web_app

    path = tmp_path / "sitrep.db"
    engine = create_engine(databases.copy_of_sqlite(sqlite_template, path))
    web_app = build_web_app(bolt_app=None, engine=engine,  # type: ignore[arg-type]
                            after_ack=WorkQueue(workers=1, capacity=1))
    # Another process holds SQLite exclusively (a long write, a backup, a VACUUM): nobody
    # else may even read until it lets go.
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("PRAGMA locking_mode=EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("UPDATE incident_counter SET last_number = last_number")
    try:
        async with TestClient(TestServer(web_app)) as client:
            with caplog.at_level(logging.WARNING, logger="bot.server"):
                response = await client.get("/healthz")
            assert response.status == 503
            reason = (await response.json())["reason"]
            assert "database did not answer" in reason
            assert any(reason in record.getMessage() for record in caplog.records)

            holder.rollback()
            holder.close()
            # Healthy again as soon as the database answers.
            assert (await client.get("/healthz")).status == 200
    finally:
        holder.close()
        await engine.dispose()
