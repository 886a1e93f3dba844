"""`sitrep serve` as a real process, for what only a process shows: killed with SIGKILL at
the worst moment, or stopped with SIGTERM while work is in hand."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from bot.core.settings import Settings
from bot.devtools.signed_client import SignedSlackClient
from bot.devtools.slack_emulator import SlackEmulator
from bot.server import EVENTS_PATH, HEALTH_PATH
from tests.support.settings import SIGNING_SECRET
from tests.support.sitrep_cli import clean_environment

STARTUP_LIMIT_S = 60
# Far beyond the 10 s a stop may take, and far short of the minutes a stuck one took.
STOP_LIMIT_S = 30


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServeProcess:
    process: asyncio.subprocess.Process
    url: str
    client: SignedSlackClient

    async def kill(self) -> None:
        """SIGKILL: nothing runs after it, as when a node dies or the OOM killer strikes."""
        self.process.kill()
        await self.process.wait()
        await self.client.close()

    async def terminate(self) -> tuple[int, str]:
        """SIGTERM, as an orchestrator stops a process; its exit status and its log."""
        self.process.send_signal(signal.SIGTERM)
        try:
            _, stderr = await asyncio.wait_for(self.process.communicate(),
                                               timeout=STOP_LIMIT_S)
        except TimeoutError:
            raise AssertionError(f"sitrep serve was still running {STOP_LIMIT_S} s after "
                                 "SIGTERM") from None
        finally:
            await self.client.close()
        assert self.process.returncode is not None
        return self.process.returncode, stderr.decode()

    async def ensure_gone(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        await self.client.close()


async def start_serve_process(settings: Settings, slack: SlackEmulator, cwd: Path, *,
                              more_environment: Mapping[str, str] | None = None,
                              ) -> ServeProcess:
    """`sitrep serve` on a free port, with `settings` (and `more_environment`) as its
    environment, once healthy."""
    port = free_port()
    environment = {"SLACK_BOT_TOKEN": settings.slack_bot_token or "",
                   "SLACK_SIGNING_SECRET": settings.slack_signing_secret or "",
                   "SLACK_API_URL": settings.slack_api_url,
                   "DATABASE_URL": settings.database_url,
                   "SITREP_HOST": "127.0.0.1"}
    if settings.announce_channel is not None:
        environment["SITREP_ANNOUNCE_CHANNEL"] = settings.announce_channel
    environment.update(more_environment or {})
    if settings.slack_app_token is not None:
        environment["SLACK_APP_TOKEN"] = settings.slack_app_token
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--port", str(port),
        env=clean_environment(**environment), cwd=cwd,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    served = ServeProcess(process, url, SignedSlackClient(url + EVENTS_PATH, SIGNING_SECRET,
                                                          slack))
    try:
        await _wait_until_healthy(url + HEALTH_PATH, process)
    except BaseException:
        await served.ensure_gone()
        raise
    return served


async def _wait_until_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    async with aiohttp.ClientSession() as session:
        for _ in range(STARTUP_LIMIT_S * 10):
            if process.returncode is not None:
                raise AssertionError(f"sitrep serve exited early with {process.returncode}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("sitrep serve never answered /healthz")
