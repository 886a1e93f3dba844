"""The image's HEALTHCHECK, run as Docker runs it (its exec-form command, with the
container's PORT) against a served bot: healthy while the bot answers /healthz with 200,
unhealthy with a one-line reason when it answers 503 or nothing listens."""

from __future__ import annotations

import asyncio
import socket
import sys
from urllib.parse import urlsplit

from aiohttp.test_utils import TestServer

from bot.core.work_queue import WorkQueue
from bot.db.engine import create_engine
from bot.server import build_web_app
from tests.support.packaging import healthcheck_command
from tests.support.served_bot import ServedBot
from tests.support.sitrep_cli import Finished, clean_environment

CHECK_TIMEOUT_S = 30


async def _health_check(port: int) -> Finished:
    _python, *arguments = healthcheck_command()
    process = await asyncio.create_subprocess_exec(
        sys.executable, *arguments, env=clean_environment(PORT=str(port)),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=CHECK_TIMEOUT_S)
    assert process.returncode is not None
    return Finished(process.returncode, stdout.decode(), stderr.decode())


async def test_a_ready_bot_is_healthy(bot: ServedBot) -> None:
    port = urlsplit(bot.url).port
    assert port is not None
    checked = await _health_check(port)
    assert (checked.returncode, checked.stderr) == (0, "")


async def test_a_bot_without_its_database_is_unhealthy() -> None:
    # A database server that is not there (nothing listens on port 9).
    engine = create_engine("postgresql+asyncpg://sitrep@127.0.0.1:9/sitrep")
    web_app = build_web_app(bolt_app=None, engine=engine,  # type: ignore[arg-type]
                            after_ack=WorkQueue(workers=1, capacity=1))
    server = TestServer(web_app, host="127.0.0.1")
    await server.start_server()
    try:
        assert server.port is not None
        checked = await _health_check(server.port)
    finally:
        await server.close()
        await engine.dispose()
    assert checked.returncode == 1
    assert checked.stderr.splitlines() == ["unhealthy: HTTP Error 503: Service Unavailable"]


async def test_nothing_listening_is_unhealthy() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = int(unused.getsockname()[1])
    checked = await _health_check(port)
    assert checked.returncode == 1
    (line,) = checked.stderr.splitlines()
    assert line.startswith("unhealthy: <urlopen error [Errno 111]")
