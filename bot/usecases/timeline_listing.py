"""`/incident timeline`: the timeline so far, for the person who asked."""

from __future__ import annotations

from bot.deps import Deps
from bot.domain import incidents
from bot.slack import wording


class TimelineListing:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def listing(self, channel_id: str) -> str:
        """The timeline so far, oldest first and newest last."""
        async with self.deps.sessions() as session:
            incident = await incidents.in_channel(session, channel_id)
            entries, total = await incidents.latest_timeline(
                session, incident, limit=wording.TIMELINE_REPLY_MAX_ENTRIES)
        return wording.timeline_listing(incident.number, entries, self.deps.settings.timezone,
                                        total=total)
