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
from bot.slack import blocks
from bot.slack.request_shapes import MalformedRequest
from bot.usecases.lifecycle import Lifecycle, Where
from handlers import replies
from handlers.form_values import option_value
from handlers.installation import installation_id


def register(app: AsyncApp, deps: Deps) -> None:
    lifecycle = Lifecycle(deps)

    @app.action(blocks.SEVERITY_SELECT)
    async def severity_chosen(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        where, tell = _where(body), replies.via_response_url(respond)
        try:
            severity = parse_severity(_selected(body))
        except IncidentError as mistake:
            await ack()
            await replies.answer(tell, _refused(mistake))
            return
        await ack()
        await replies.answer(tell, lifecycle.change_severity(where, severity))

    @app.action(blocks.STATUS_SELECT)
    async def status_chosen(ack: AsyncAck, body: dict[str, Any],
                            respond: AsyncRespond) -> None:
        where, tell = _where(body), replies.via_response_url(respond)
        try:
            status = parse_status(_selected(body))
        except IncidentError as mistake:
            await ack()
            await replies.answer(tell, _refused(mistake))
            return
        await ack()
        await replies.answer(tell, lifecycle.change_status(where, status),
                             replies.status_changed)

    @app.action(blocks.UPDATE_BUTTON)
    async def update_pressed(ack: AsyncAck, body: dict[str, Any],
                             respond: AsyncRespond) -> None:
        where = _where(body)
        await ack()
        await replies.answer(replies.via_response_url(respond), _open(
            deps, lifecycle.update_form(where), body, blocks.update_modal))

    @app.action(blocks.RESOLVE_BUTTON)
    async def resolve_pressed(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        where = _where(body)
        await ack()
        await replies.answer(replies.via_response_url(respond), _open(
            deps, lifecycle.resolve_form(where), body, blocks.resolve_modal))

    @app.action(blocks.TAKE_COMMAND_BUTTON)
    async def take_command_pressed(ack: AsyncAck, body: dict[str, Any],
                                   respond: AsyncRespond) -> None:
        where = _where(body)
        await ack()
        await replies.answer(replies.via_response_url(respond), lifecycle.take_command(where))

    @app.action(blocks.REOPEN_BUTTON)
    async def reopen_pressed(ack: AsyncAck, body: dict[str, Any],
                             respond: AsyncRespond) -> None:
        where = _where(body)
        await ack()
        await replies.answer(replies.via_response_url(respond), lifecycle.reopen(where))


async def _open(deps: Deps, allowed: Awaitable[Incident], body: dict[str, Any],
                modal: Callable[..., dict[str, Any]]) -> None:
    """Open the form once the person may use it (`allowed` says why not, if not)."""
    incident = await allowed
    assert incident.channel_id is not None
    await deps.slack.open_view(body["trigger_id"],
                               modal(channel_id=incident.channel_id, number=incident.number))


async def _refused(mistake: IncidentError) -> None:
    # Told through `replies.answer`, which never raises after the ack.
    raise mistake


def _where(body: dict[str, Any]) -> Where:
    """The card's channel, and who pressed; checked before the ack (the request's shape,
    `bot.slack.request_shapes`, has the rest). `team` is the presser's own (another
    company's, in a Slack Connect channel), or null with an org-wide install: the channel
    alone says which incident this is."""
    if "channel" not in body or "response_url" not in body:
        raise MalformedRequest("block_actions: a card control without channel or response_url")
    return Where(team_id=installation_id(body) or "", channel_id=body["channel"]["id"],
                 user_id=body["user"]["id"])


def _selected(body: dict[str, Any]) -> str:
    return option_value(body["actions"][0].get("selected_option"))
