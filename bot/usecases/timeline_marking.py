"""The "Add to timeline" shortcut: a message put on the timeline by hand, with a comment.

It stays there whatever happens to the reactions on it."""

from __future__ import annotations

from bot.db.engine import transaction
from bot.deps import Deps
from bot.domain import incidents, timeline
from bot.domain.errors import Gone, InvalidInput
from bot.slack import wording
from bot.usecases.lifecycle import Lifecycle, Where
from bot.usecases.timeline_sync import MessageRef, TimelineSync


class TimelineMarking:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps
        self.sync = TimelineSync(deps)

    async def mark_by_hand(self, team_id: str, ref: MessageRef, *, user_id: str, kind: str,
                           comment: str | None) -> int:
        """Returns the incident number."""
        if kind not in set(self.deps.settings.timeline_emoji.values()):
            raise InvalidInput(wording.not_a_timeline_kind(kind))
        await Lifecycle(self.deps).may_mark(Where(team_id=team_id, channel_id=ref.channel_id,
                                                  user_id=user_id))
        message = await self.sync.read(ref)
        if message is None:
            raise Gone(wording.MESSAGE_GONE)
        source = await self.sync.describe(ref, message)
        async with transaction(self.deps.sessions) as session:
            incident = await incidents.in_channel(session, ref.channel_id, for_change=True)
            await timeline.mark(session, incident, source=source, message=message, kind=kind,
                                by=user_id, comment=comment, now=self.deps.clock.now())
            number = incident.number
        await self.sync.confirm(ref, timeline.Reconciled(added=(kind,), removed=(),
                                                         on_timeline=True))
        return number
