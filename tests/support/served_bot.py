"""The real bot served over HTTP on a free port (`bot.server.start_bot`), for tests about
what only a running server does: start-up, restarts, the HTTP endpoint, Socket Mode."""

from __future__ import annotations

import socket
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.clock import Clock
from bot.core.settings import Settings
from bot.devtools.signed_client import SignedSlackClient
from bot.devtools.slack_emulator import SlackEmulator
from bot.server import EVENTS_PATH, RunningBot, start_bot
from tests.support.settings import SIGNING_SECRET


@dataclass
class ServedBot:
    running: RunningBot
    url: str
    slack: SlackEmulator
    client: SignedSlackClient
    settings: Settings

    @property
    def engine(self) -> AsyncEngine:
        return self.running.engine

    async def settle(self) -> None:
        # Over HTTP the bot's work after its ack cannot be awaited; a quiet Slack says it ended.
        await self.slack.wait_until_quiet()


async def serve(settings: Settings, slack: SlackEmulator, *,
                clock: Clock | None = None) -> ServedBot:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    running = await start_bot(settings, sock=sock, clock=clock)
    client = SignedSlackClient(url + EVENTS_PATH, SIGNING_SECRET, slack)
    return ServedBot(running=running, url=url, slack=slack, client=client, settings=settings)


async def stop(bot: ServedBot) -> None:
    await bot.client.close()
    await bot.running.stop()
