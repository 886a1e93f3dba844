"""Modal submissions: declare an incident, post an update, resolve.

Input a person can fix is answered inside the modal, next to the field; the modal closes
only when the input is good. Refusals after that (say, resolved meanwhile by someone else)
reach the person privately in the incident channel."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.deps import Deps
from bot.domain import incidents
from bot.domain.errors import IncidentError
from bot.domain.vocabulary import MAX_TEXT_LENGTH, label
from bot.slack import blocks
from bot.slack.mrkdwn import channel_link
from bot.usecases.lifecycle import Lifecycle, Where


def register(app: AsyncApp, deps: Deps) -> None:
    lifecycle = Lifecycle(deps)

    @app.view(blocks.START_MODAL)
    async def declare_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        values = body["view"]["state"]["values"]
        try:
            title = incidents.check_title(_value(values, "title_block", "title"))
        except IncidentError as mistake:
            await ack(response_action="errors", errors={"title_block": str(mistake)})
            return
        severity = int(values["severity_block"]["severity"]["selected_option"]["value"])
        description = _value(values, "description_block", "description")
        await ack()
        user_id = body["user"]["id"]
        try:
            started = await lifecycle.start(team_id=body["team"]["id"], reporter_id=user_id,
                                            title=title, severity=severity,
                                            description=description or None)
        except IncidentError as refused:
            await deps.slack.tell_user(user_id, f"I couldn't open the incident: {refused}")
            return
        told = (f"*{label(started.number)}* is open: head to "
                f"{channel_link(started.channel_id)}. You are the incident commander.")
        if started.announce_problem:
            told += f"\n{started.announce_problem}"
        await deps.slack.tell_user(user_id, told)

    @app.view(blocks.UPDATE_MODAL)
    async def update_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        where = _where(body)
        try:
            text = incidents.check_text(_value(body["view"]["state"]["values"], "update_block",
                                               "update"), "An update", "What changed?")
        except IncidentError as mistake:
            await ack(response_action="errors", errors={"update_block": str(mistake)})
            return
        await ack()
        await _privately_on_refusal(deps, where, lifecycle.post_update(where, text))

    @app.view(blocks.RESOLVE_MODAL)
    async def resolve_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        where = _where(body)
        values = body["view"]["state"]["values"]
        summary = _value(values, "summary_block", "summary")
        impact = _value(values, "impact_block", "impact")
        too_long = {block: f"Keep it under {MAX_TEXT_LENGTH} characters."
                    for block, text in (("summary_block", summary), ("impact_block", impact))
                    if len(text) > MAX_TEXT_LENGTH}
        if too_long:
            await ack(response_action="errors", errors=too_long)
            return
        await ack()
        await _privately_on_refusal(deps, where, lifecycle.resolve(
            where, summary=summary or None, impact=impact or None))


async def _privately_on_refusal(deps: Deps, where: Where, change: Awaitable[object]) -> None:
    try:
        await change
    except IncidentError as refused:
        await deps.slack.post_ephemeral(where.channel_id, where.user_id, str(refused))


def _where(body: dict[str, Any]) -> Where:
    # The modal was opened from the card, whose channel travels in private_metadata.
    return Where(team_id=body["team"]["id"], channel_id=body["view"]["private_metadata"],
                 user_id=body["user"]["id"])


def _value(values: dict[str, Any], block_id: str, action_id: str) -> str:
    return str(values.get(block_id, {}).get(action_id, {}).get("value") or "").strip()
