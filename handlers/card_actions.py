"""The incident card's selects and buttons: the same changes as the `/incident` commands.

What was chosen is checked before the ack; Slack shows nothing for a block action's ack, so
a choice that doesn't fit is explained privately right after it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.db.models import Incident
from bot.deps import Deps
from bot.domain.errors import IncidentError
from bot.domain.incidents import parse_severity, parse_status
from bot.slack import blocks, wording
from bot.usecases.lifecycle import Lifecycle, Where
from handlers import replies


def register(app: AsyncApp, deps: Deps) -> None:
    lifecycle = Lifecycle(deps)

    @app.action(blocks.SEVERITY_SELECT)
    async def severity_chosen(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        tell = replies.via_response_url(respond)
        try:
            severity = parse_severity(_selected(body))
        except IncidentError as mistake:
            await ack()
            await tell(wording.refusal(mistake))
            return
        await ack()
        await replies.answer(tell, lifecycle.change_severity(_where(body), severity))

    @app.action(blocks.STATUS_SELECT)
    async def status_chosen(ack: AsyncAck, body: dict[str, Any],
                            respond: AsyncRespond) -> None:
        tell = replies.via_response_url(respond)
        try:
            status = parse_status(_selected(body))
        except IncidentError as mistake:
            await ack()
            await tell(wording.refusal(mistake))
            return
        await ack()
        await replies.answer(tell, lifecycle.change_status(_where(body), status),
                             replies.status_changed)

    @app.action(blocks.UPDATE_BUTTON)
    async def update_pressed(ack: AsyncAck, body: dict[str, Any],
                             respond: AsyncRespond) -> None:
        await ack()
        await replies.answer(replies.via_response_url(respond), _open(
            deps, lifecycle.update_form(_where(body)), body, blocks.update_modal))

    @app.action(blocks.RESOLVE_BUTTON)
    async def resolve_pressed(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        await ack()
        await replies.answer(replies.via_response_url(respond), _open(
            deps, lifecycle.resolve_form(_where(body)), body, blocks.resolve_modal))

    @app.action(blocks.REOPEN_BUTTON)
    async def reopen_pressed(ack: AsyncAck, body: dict[str, Any],
                             respond: AsyncRespond) -> None:
        await ack()
        await replies.answer(replies.via_response_url(respond), lifecycle.reopen(_where(body)))


async def _open(deps: Deps, allowed: Awaitable[Incident], body: dict[str, Any],
                modal: Callable[..., dict[str, Any]]) -> None:
    """Open the form once the person may use it (`allowed` says why not, if not)."""
    incident = await allowed
    assert incident.channel_id is not None
    await deps.slack.open_view(body["trigger_id"],
                               modal(channel_id=incident.channel_id, number=incident.number))


def _where(body: dict[str, Any]) -> Where:
    return Where(team_id=body["team"]["id"], channel_id=body["channel"]["id"],
                 user_id=body["user"]["id"])


def _selected(body: dict[str, Any]) -> str:
    option = body["actions"][0].get("selected_option") or {}
    return str(option.get("value") or "") if isinstance(option, dict) else ""
