"""The Bolt app `bot.app.build_app` makes, in this process, wired as `sitrep serve` wires it
but with no web server: requests go straight to `async_dispatch`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_app, build_web_client
from bot.core.clock import Clock, SystemClock
from bot.core.settings import Settings
from bot.db.engine import create_engine, session_factory
from bot.deps import Deps
from bot.devtools.in_process_client import InProcessSlackClient
from bot.devtools.slack_emulator import SlackEmulator
from bot.retro.render import renderer_for
from bot.slack.gateway import SlackGateway


@dataclass
class AppUnderTest:
    app: AsyncApp
    deps: Deps
    engine: AsyncEngine
    slack: SlackEmulator
    client: InProcessSlackClient
    settings: Settings

    async def settle(self) -> None:
        await self.client.settle()


def make_deps(settings: Settings, engine: AsyncEngine, clock: Clock | None = None) -> Deps:
    """The same `Deps` `bot.server.start_bot` builds, on a database already migrated."""
    return Deps(settings=settings, sessions=session_factory(engine),
                clock=clock or SystemClock(), slack=SlackGateway(build_web_client(settings)),
                retro=renderer_for(settings))


@asynccontextmanager
async def app_under_test(settings: Settings, slack: SlackEmulator, *,
                         clock: Clock | None = None) -> AsyncIterator[AppUnderTest]:
    engine = create_engine(settings.database_url)
    deps = make_deps(settings, engine, clock)
    app = build_app(deps)
    assert settings.slack_signing_secret is not None
    client = InProcessSlackClient(app, settings.slack_signing_secret, slack)
    try:
        yield AppUnderTest(app=app, deps=deps, engine=engine, slack=slack, client=client,
                           settings=settings)
        # Work still running would otherwise meet a disposed engine and a stopped emulator.
        await client.settle()
    finally:
        await engine.dispose()
