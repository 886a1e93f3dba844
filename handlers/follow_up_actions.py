"""Buttons and selects on follow-ups: Done and the owner select on `/incident actions`,
Done on an owner's weekly message, and *Review held* on the review prompt.

Each acks at once; the work runs after. The list the person pressed in is redrawn in place
(through the response URL) so it shows the item's new state; a refusal is said privately
and changes nothing."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.deps import Deps
from bot.slack import follow_up_blocks, follow_up_wording
from bot.slack.request_shapes import MalformedRequest
from bot.usecases.follow_ups import FollowUps, ItemChanged
from bot.usecases.reviews import Reviews
from handlers import replies


def register(app: AsyncApp, deps: Deps) -> None:
    follow_ups = FollowUps(deps)
    reviews = Reviews(deps)

    @app.action(follow_up_blocks.ITEM_DONE)
    async def done_pressed(ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        tell = _tell(body, respond)
        await ack()
        user_id, value = body["user"]["id"], _value(body)
        await replies.answer(tell, _redrawing_list(
            follow_ups, respond, follow_ups.mark_done(user_id=user_id, item_value=value)))

    @app.action(follow_up_blocks.ITEM_REASSIGN)
    async def owner_chosen(ack: AsyncAck, body: dict[str, Any],
                           respond: AsyncRespond) -> None:
        tell = _tell(body, respond)
        await ack()
        action = body["actions"][0]
        user_id = body["user"]["id"]
        owner_id = str(action.get("selected_user") or "")
        item = follow_up_blocks.item_id_of_block(str(action.get("block_id") or ""))
        if not owner_id:
            return  # the select was cleared: nobody to hand it to
        await replies.answer(tell, _redrawing_list(
            follow_ups, respond, follow_ups.reassign(user_id=user_id, item_value=item,
                                                     owner_id=owner_id)))

    @app.action(follow_up_blocks.OWNED_ITEM_DONE)
    async def owned_done_pressed(ack: AsyncAck, body: dict[str, Any],
                                 respond: AsyncRespond) -> None:
        tell = _tell(body, respond)
        await ack()
        user_id, value = body["user"]["id"], _value(body)

        async def work() -> str:
            changed = await follow_ups.mark_done(user_id=user_id, item_value=value)
            # The item's workspace, not the presser's (theirs differs in Slack Connect).
            mine = await follow_ups.owners_open_items(user_id, changed.team_id)
            await respond(text=follow_up_wording.owners_fallback(mine.items),
                          blocks=follow_up_blocks.owners_message(mine.items),
                          replace_original=True)
            return changed.reply

        await replies.answer(tell, work(), replies.as_is)

    @app.action(follow_up_blocks.REVIEW_HELD)
    async def review_held_pressed(ack: AsyncAck, body: dict[str, Any],
                                  respond: AsyncRespond) -> None:
        if "channel" not in body:
            raise MalformedRequest("block_actions: Review held without its channel")
        tell = _tell(body, respond)
        await ack()
        await replies.answer(tell, reviews.mark_held(
            channel_id=body["channel"]["id"], user_id=body["user"]["id"]))


async def _redrawing_list(follow_ups: FollowUps, respond: AsyncRespond,
                          change: Awaitable[ItemChanged]) -> None:
    """Apply the change, then redraw the incident's list where it was pressed: the item's
    new state is the answer."""
    changed = await change
    listed = await follow_ups.listed_by_id(changed.incident_id)
    await respond(text=listed.text, blocks=listed.blocks, response_type="ephemeral",
                  replace_original=True)


def _value(body: dict[str, Any]) -> str:
    return str(body["actions"][0].get("value") or "")


def _tell(body: dict[str, Any], respond: AsyncRespond) -> replies.Tell:
    if "response_url" not in body:
        raise MalformedRequest("block_actions: a follow-up control without response_url")
    return replies.via_response_url(respond)
