"""The Bolt app `bot.app.build_app` makes, in this process, wired as `sitrep serve` wires it
but with no web server: requests go straight to `async_dispatch`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_app, build_deps
from bot.core.clock import Clock, SystemClock
from bot.core.settings import Settings
from bot.db.engine import create_engine, session_factory
from bot.deps import Deps
from bot.devtools.in_process_client import SETTLE_TIMEOUT_S, InProcessSlackClient
from bot.devtools.slack_emulator import SlackEmulator
from bot.retro.render import renderer_for


@dataclass
class AppUnderTest:
    app: AsyncApp
    deps: Deps
    engine: AsyncEngine
    slack: SlackEmulator
    client: InProcessSlackClient
    settings: Settings

    async def settle(self) -> None:
        """Until the work every request started after its ack is done: Bolt's listeners,
        then the after-ack workers they handed events to."""
        await self.client.settle()
        assert await self.deps.after_ack.drain(SETTLE_TIMEOUT_S), "after-ack work still running"


def make_deps(settings: Settings, engine: AsyncEngine, clock: Clock | None = None) -> Deps:
    """The same `Deps` `bot.server.start_bot` builds, on a database already migrated."""
    return build_deps(settings, session_factory(engine), clock=clock or SystemClock(),
                      renderer=renderer_for(settings))


async def stop_background_work(deps: Deps) -> None:
    await deps.after_ack.stop()
    if deps.inbox_writes is not None:
        await deps.inbox_writes.stop()


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
        await deps.after_ack.drain(SETTLE_TIMEOUT_S)
    finally:
        await stop_background_work(deps)
        await engine.dispose()
