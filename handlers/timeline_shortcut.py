"""The "Add to timeline" message shortcut: the same as a 📌, plus an optional comment."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.deps import Deps
from bot.domain.errors import IncidentError
from bot.domain.vocabulary import label
from bot.slack import blocks
from bot.slack.messages import message_text
from bot.usecases.lifecycle import Lifecycle, Where
from bot.usecases.timeline_marking import TimelineMarking
from bot.usecases.timeline_sync import MessageRef

MAX_COMMENT = 300


def register(app: AsyncApp, deps: Deps) -> None:
    marking = TimelineMarking(deps)
    lifecycle = Lifecycle(deps)

    @app.shortcut(blocks.TIMELINE_SHORTCUT)
    async def add_to_timeline(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        await ack()
        where = Where(team_id=body["team"]["id"], channel_id=body["channel"]["id"],
                      user_id=body["user"]["id"])
        try:
            await lifecycle.incident_here(where)
            kinds = list(dict.fromkeys(deps.settings.timeline_emoji.values()))
            await deps.slack.open_view(body["trigger_id"], blocks.timeline_modal(
                kinds=kinds, preview=message_text(body["message"]),
                channel_id=where.channel_id, ts=body["message"]["ts"]))
        except IncidentError as refused:
            await respond(text=str(refused), response_type="ephemeral",
                          replace_original=False)

    @app.view(blocks.TIMELINE_MODAL)
    async def timeline_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        values = body["view"]["state"]["values"]
        comment = str(values.get("comment_block", {}).get("comment", {}).get("value")
                      or "").strip()
        if len(comment) > MAX_COMMENT:
            await ack(response_action="errors",
                      errors={"comment_block": f"Keep it under {MAX_COMMENT} characters."})
            return
        await ack()
        kind = values["kind_block"]["kind"]["selected_option"]["value"]
        channel_id, ts = body["view"]["private_metadata"].split(" ", 1)
        user_id = body["user"]["id"]
        try:
            number = await marking.mark_by_hand(body["team"]["id"], MessageRef(channel_id, ts),
                                               user_id=user_id, kind=kind,
                                               comment=comment or None)
        except IncidentError as refused:
            await deps.slack.post_ephemeral(channel_id, user_id, str(refused))
            return
        await deps.slack.post_ephemeral(channel_id, user_id,
                                        f"Added to {label(number)}'s timeline.")
