"""A message in an incident's channel, as the timeline keeps it: readable text, author,
time, reactions. Plain values; `bot.slack.messages` reads Slack's JSON into it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True)
class ChannelMessage:
    ts: str
    text: str
    author_id: str | None
    thread_ts: str | None
    # emoji name → the people who reacted with it (the bot included; callers filter).
    reactions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # The name an integration or bot posted under (alerts are what people pin most); people
    # are named through users.info instead.
    bot_name: str | None = None

    @property
    def written_at(self) -> datetime:
        return ts_to_datetime(self.ts)


def ts_to_datetime(ts: str) -> datetime:
    return datetime.fromtimestamp(float(ts), UTC)
