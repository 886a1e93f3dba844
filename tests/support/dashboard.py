"""The bot served with its dashboard on (Sign in with Slack through the emulator), and a
browser-like HTTP client that keeps cookies and follows redirects."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from aiohttp import ClientResponse, ClientSession, CookieJar
from yarl import URL

from bot.core.clock import Clock
from bot.devtools.emulator_openid import CLIENT_ID, CLIENT_SECRET
from bot.devtools.signed_client import SignedSlackClient
from bot.devtools.slack_emulator import SlackEmulator
from bot.server import EVENTS_PATH, start_bot
from bot.usecases.due_work import scheduled_work
from tests.support.served_bot import ServedBot
from tests.support.settings import SIGNING_SECRET, make_settings

SESSION_SECRET = "a-test-session-secret-that-is-long-enough-0123456789"


async def serve_dashboard(database_url: str, slack: SlackEmulator, *,
                          clock: Clock | None = None, **overrides: object) -> ServedBot:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    # SITREP_PUBLIC_URL may be overridden: the address behind a TLS proxy, say.
    settings = make_settings(database_url, slack, **{
        "SLACK_CLIENT_ID": CLIENT_ID, "SLACK_CLIENT_SECRET": CLIENT_SECRET,
        "SITREP_PUBLIC_URL": url, "SITREP_SESSION_SECRET": SESSION_SECRET, **overrides})
    running = await start_bot(settings, sock=sock, clock=clock)
    client = SignedSlackClient(url + EVENTS_PATH, SIGNING_SECRET, slack)
    return ServedBot(running=running, url=url, slack=slack, client=client, settings=settings)


@dataclass
class Browser:
    """Cookies kept (for 127.0.0.1 too), redirects followed unless asked not to."""

    http: ClientSession
    base: str

    async def get(self, path: str, *, follow: bool = True) -> ClientResponse:
        response = await self.http.get(self.base + path, allow_redirects=follow)
        await response.read()
        return response

    async def post(self, path: str, data: dict[str, str], *, follow: bool = True,
                   headers: dict[str, str] | None = None) -> ClientResponse:
        response = await self.http.post(self.base + path, data=data, allow_redirects=follow,
                                        headers=headers)
        await response.read()
        return response

    async def sign_in(self, slack: SlackEmulator, user_id: str = "U0ALICE") -> ClientResponse:
        """Through /login, Slack's authorize page and back: the page it lands on."""
        slack.openid.sign_in_as(user_id)
        return await self.get("/login")

    def session_cookie(self) -> str | None:
        for cookie in self.http.cookie_jar:
            if cookie.key == "sitrep_session":
                return cookie.value
        return None

    def set_session_cookie(self, value: str) -> None:
        self.http.cookie_jar.clear()
        self.http.cookie_jar.update_cookies({"sitrep_session": value}, URL(self.base))


@asynccontextmanager
async def browser(base: str) -> AsyncIterator[Browser]:
    async with ClientSession(cookie_jar=CookieJar(unsafe=True)) as http:
        yield Browser(http=http, base=base)


# The served bot's own scheduler may be running a round when a test runs one: the test
# runs rounds until what it waits for is there, at most this many.
SCHEDULER_ROUNDS = 200


async def run_scheduled_until(bot: ServedBot, done: Callable[[], Awaitable[bool]]) -> None:
    """Run what is due at the bot's clock (as another replica would) until `done()`."""
    scheduler = scheduled_work(bot.running.deps)
    for _ in range(SCHEDULER_ROUNDS):
        await bot.settle()
        await scheduler.run_due()
        if await done():
            return
        await asyncio.sleep(0.02)  # the served scheduler's round, if it holds the row
    raise AssertionError("what the test waited for never happened")
