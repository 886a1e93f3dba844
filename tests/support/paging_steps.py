"""Serving a bot with its paging webhooks on, sending it pages, and waiting for their work."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.models import InboxEvent
from bot.devtools.page_sender import PageSender
from bot.devtools.slack_emulator import SlackEmulator
from tests.support import rows
from tests.support.served_bot import ServedBot, serve, stop
from tests.support.settings import make_settings

FIXTURES = Path(__file__).parent.parent / "fixtures" / "paging"
ALERTMANAGER_TOKEN = "am-token-3f9c1e0b7a"
PAGERDUTY_SECRET = "pd-secret-Zk2nW8qLxY"
ANNOUNCE = "C0GENERAL"
# How long a page's work after the answer may take before a test gives up waiting.
WAIT_S = 20.0


def fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


@dataclass
class PagedBot:
    bot: ServedBot
    pages: PageSender

    @property
    def engine(self) -> AsyncEngine:
        return self.bot.engine

    @property
    def slack(self) -> SlackEmulator:
        return self.bot.slack


@asynccontextmanager
async def paged_bot(database_url: str, slack: SlackEmulator,
                    **settings: object) -> AsyncIterator[PagedBot]:
    values: dict[str, object] = {"SITREP_ALERTMANAGER_TOKEN": ALERTMANAGER_TOKEN,
                                 "SITREP_PAGERDUTY_SECRET": PAGERDUTY_SECRET,
                                 "SITREP_ANNOUNCE_CHANNEL": ANNOUNCE}
    values.update(settings)
    bot = await serve(make_settings(database_url, slack, **values), slack)
    pages = PageSender(bot.url, alertmanager_token=ALERTMANAGER_TOKEN,
                       pagerduty_secret=PAGERDUTY_SECRET)
    try:
        yield PagedBot(bot=bot, pages=pages)
    finally:
        await pages.close()
        await stop(bot)


def alertmanager_delivery_id(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload).encode()).hexdigest()


async def inbox_row(engine: AsyncEngine, delivery_id: str,
                    until: Callable[[InboxEvent], bool]) -> InboxEvent:
    """The delivery's row in the event inbox, once `until` holds for it."""
    async with asyncio.timeout(WAIT_S):
        while True:
            row = await rows.inbox_event(engine, delivery_id)
            if row is not None and until(row):
                return row
            await asyncio.sleep(0.02)


async def handled(engine: AsyncEngine, delivery_id: str, slack: SlackEmulator) -> None:
    """Until the delivery is processed (its row in the inbox says so) and Slack is quiet."""
    await inbox_row(engine, delivery_id, lambda row: row.processed_at is not None)
    await slack.wait_until_quiet()
