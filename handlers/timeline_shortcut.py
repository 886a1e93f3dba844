"""The "Add to timeline" message shortcut: the same as a 📌, plus an optional comment."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.deps import Deps
from bot.slack import blocks, wording
from bot.slack.messages import message_text
from bot.slack.request_shapes import MalformedRequest
from bot.usecases.lifecycle import Lifecycle, Where
from bot.usecases.timeline_marking import TimelineMarking
from bot.usecases.timeline_sync import MessageRef
from handlers import replies
from handlers.form_values import chosen, typed
from handlers.installation import installation_id

MAX_COMMENT = 300


def register(app: AsyncApp, deps: Deps) -> None:
    marking = TimelineMarking(deps)
    lifecycle = Lifecycle(deps)

    @app.shortcut(blocks.TIMELINE_SHORTCUT)
    async def add_to_timeline(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        where = Where(team_id=installation_id(body) or "", channel_id=body["channel"]["id"],
                      user_id=body["user"]["id"])
        await ack()

        async def open_form() -> None:
            await lifecycle.may_mark(where)
            kinds = list(dict.fromkeys(deps.settings.timeline_emoji.values()))
            await deps.slack.open_view(body["trigger_id"], blocks.timeline_modal(
                kinds=kinds, preview=message_text(body["message"]),
                channel_id=where.channel_id, ts=body["message"]["ts"]))

        await replies.answer(replies.via_response_url(respond), open_form())

    @app.view(blocks.TIMELINE_MODAL)
    async def timeline_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        values = body["view"]["state"]["values"]
        comment = typed(values, "comment_block", "comment")
        kind = chosen(values, "kind_block", "kind")
        errors: dict[str, str] = {}
        if len(comment) > MAX_COMMENT:
            errors["comment_block"] = wording.keep_it_under(MAX_COMMENT)
        if kind not in set(deps.settings.timeline_emoji.values()):
            errors["kind_block"] = wording.not_a_timeline_kind(kind)
        # The form says which message it is about; `mark_by_hand` checks that the person
        # may change that channel's incident, as for any change.
        channel_id, _, ts = str(body["view"].get("private_metadata") or "").partition(" ")
        if not channel_id or not ts:
            raise MalformedRequest("view_submission: the timeline form without its message")
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        user_id = body["user"]["id"]
        await replies.answer(
            replies.in_channel(deps.slack, channel_id, user_id),
            marking.mark_by_hand(installation_id(body) or "", MessageRef(channel_id, ts),
                                 user_id=user_id, kind=kind, comment=comment or None),
            wording.added_to_timeline)
