"""`/incident timeline`: the timeline so far, for the person who asked."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.db.engine import transaction
from bot.db.models import TimelineEntry
from bot.deps import Deps
from bot.domain import incidents
from bot.domain.timeline import sentence
from bot.domain.vocabulary import kind_label, label
from bot.slack.blocks import clip
from bot.slack.mrkdwn import mention, to_mrkdwn

# `/incident timeline` shows the newest entries that fit comfortably in one message.
TIMELINE_REPLY_CHARS = 12_000


class TimelineListing:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def listing(self, team_id: str, channel_id: str) -> str:
        """The timeline so far, oldest first and newest last."""
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.in_channel(session, team_id, channel_id)
            entries = await incidents.timeline(session, incident)
        zone = self.deps.settings.timezone
        lines = [_line(entry, zone) for entry in entries]
        shown: list[str] = []
        size = 0
        for line in reversed(lines):
            size += len(line) + 1
            if size > TIMELINE_REPLY_CHARS:
                break
            shown.insert(0, line)
        head = f"*Timeline of {label(incident.number)}* (times in {zone.key})"
        if len(shown) < len(lines):
            head += (f"\n_{len(lines) - len(shown)} earlier entries are not shown here; the "
                     "retrospective has them all._")
        return "\n".join([head, *shown])


def _line(entry: TimelineEntry, zone: ZoneInfo) -> str:
    when = _local(entry.occurred_at, zone)
    who = entry.author_name or (f"<@{entry.author_id}>" if entry.author_id else "Sitrep")
    text = clip(to_mrkdwn(sentence(entry, person=mention)).replace("\n", " "), 300)
    link = f" <{entry.permalink}|view>" if entry.permalink else ""
    comment = f" — _{to_mrkdwn(entry.comment)}_" if entry.comment else ""
    return f"• {when} · {kind_label(entry.kind)} · {who}: {text}{comment}{link}"


def _local(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")
