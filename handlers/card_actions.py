"""The incident card's selects and buttons: the same changes as the `/incident` commands."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.deps import Deps
from bot.domain.errors import WrongState
from bot.domain.incidents import parse_severity, parse_status
from bot.domain.vocabulary import Status
from bot.slack import blocks, wording
from bot.slack.request_shapes import MalformedRequest
from bot.usecases.lifecycle import Changed, Lifecycle, Resolved, Where
from handlers import replies
from handlers.installation import installation_id


def register(app: AsyncApp, deps: Deps) -> None:
    lifecycle = Lifecycle(deps)

    @app.action(blocks.SEVERITY_SELECT)
    async def severity_chosen(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        where, chosen = _where(body), _selected(body)
        await ack()

        async def change() -> Changed:
            return await lifecycle.change_severity(where, parse_severity(chosen))

        await replies.answer(replies.via_response_url(respond), change())

    @app.action(blocks.STATUS_SELECT)
    async def status_chosen(ack: AsyncAck, body: dict[str, Any],
                            respond: AsyncRespond) -> None:
        where, chosen = _where(body), _selected(body)
        await ack()

        async def change() -> Changed | Resolved:
            return await lifecycle.change_status(where, parse_status(chosen))

        await replies.answer(replies.via_response_url(respond), change(),
                             replies.status_changed)

    @app.action(blocks.UPDATE_BUTTON)
    async def update_pressed(ack: AsyncAck, body: dict[str, Any],
                             respond: AsyncRespond) -> None:
        where = _where(body)
        await ack()
        await replies.answer(replies.via_response_url(respond),
                             _open(deps, lifecycle, where, body, blocks.update_modal))

    @app.action(blocks.RESOLVE_BUTTON)
    async def resolve_pressed(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        where = _where(body)
        await ack()
        await replies.answer(replies.via_response_url(respond),
                             _open(deps, lifecycle, where, body, blocks.resolve_modal))

    @app.action(blocks.REOPEN_BUTTON)
    async def reopen_pressed(ack: AsyncAck, body: dict[str, Any],
                             respond: AsyncRespond) -> None:
        where = _where(body)
        await ack()
        await replies.answer(replies.via_response_url(respond), lifecycle.reopen(where))


async def _open(deps: Deps, lifecycle: Lifecycle, where: Where, body: dict[str, Any],
                modal: Callable[..., dict[str, Any]]) -> None:
    incident = await lifecycle.incident_here(where)
    if incident.status == Status.RESOLVED and modal is blocks.resolve_modal:
        raise WrongState(wording.already_resolved(incident.number))
    await deps.slack.open_view(body["trigger_id"],
                               modal(channel_id=where.channel_id, number=incident.number))


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
    option = body["actions"][0].get("selected_option")
    if option is None:
        raise MalformedRequest("block_actions: a select without selected_option")
    return str(option["value"])

