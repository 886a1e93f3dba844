"""Reacting, editing and deleting as people do in Slack, with the events Slack sends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import InboxEvent, TimelineEntry
from bot.devtools import payloads
from bot.devtools.signed_client import BotResponse

from .conftest import Bot


async def processed(bot: Bot, event_id: str, *, timeout: float = 10.0) -> None:  # noqa: ASYNC109
    """Wait until the bot has finished with an event (its inbox row is marked)."""
    async with asyncio.timeout(timeout):
        while True:
            async with AsyncSession(bot.running.engine) as session:
                row = (await session.exec(select(InboxEvent).where(
                    col(InboxEvent.event_id) == event_id))).first()
            if row is not None and row.processed_at is not None:
                return
            await asyncio.sleep(0.02)


async def deliver(bot: Bot, event: dict[str, object], *, event_id: str | None = None,
                  retry_num: int | None = None, wait: bool = True) -> BotResponse:
    event_id = event_id or f"Ev{uuid.uuid4().hex[:10].upper()}"
    response = await bot.client.event(event, event_id=event_id, retry_num=retry_num)
    assert response.status == 200, response.text
    if wait:
        await processed(bot, event_id)
    return response


async def react(bot: Bot, channel: str, ts: str, user: str, emoji: str = "pushpin", *,
                event_id: str | None = None) -> str:
    bot.slack.add_human_reaction(channel, ts, user, emoji)
    event_id = event_id or f"Ev{uuid.uuid4().hex[:10].upper()}"
    await deliver(bot, payloads.reaction_event("reaction_added", user=user, reaction=emoji,
                                               channel=channel, ts=ts), event_id=event_id)
    return event_id


async def unreact(bot: Bot, channel: str, ts: str, user: str, emoji: str = "pushpin") -> None:
    bot.slack.remove_human_reaction(channel, ts, user, emoji)
    await deliver(bot, payloads.reaction_event("reaction_removed", user=user, reaction=emoji,
                                               channel=channel, ts=ts))


async def entries(bot: Bot, *, source_ts: str | None = None) -> Sequence[TimelineEntry]:
    async with AsyncSession(bot.running.engine) as session:
        query = select(TimelineEntry).order_by(col(TimelineEntry.occurred_at),
                                               col(TimelineEntry.id))
        if source_ts is not None:
            query = query.where(col(TimelineEntry.source_ts) == source_ts)
        return (await session.exec(query)).all()


async def marked(bot: Bot) -> Sequence[TimelineEntry]:
    """Timeline entries made from Slack messages (not the lifecycle's own)."""
    return [entry for entry in await entries(bot) if entry.source_ts is not None]
