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
from bot.usecases.lifecycle import Lifecycle, Where
from handlers import replies
from handlers.installation import installation_id


def register(app: AsyncApp, deps: Deps) -> None:
    lifecycle = Lifecycle(deps)

    @app.action(blocks.SEVERITY_SELECT)
    async def severity_chosen(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        await ack()
        await replies.answer(replies.via_response_url(respond), lifecycle.change_severity(
            _where(body), parse_severity(_selected(body))))

    @app.action(blocks.STATUS_SELECT)
    async def status_chosen(ack: AsyncAck, body: dict[str, Any],
                            respond: AsyncRespond) -> None:
        await ack()
        await replies.answer(replies.via_response_url(respond), lifecycle.change_status(
            _where(body), parse_status(_selected(body))), replies.status_changed)

    @app.action(blocks.UPDATE_BUTTON)
    async def update_pressed(ack: AsyncAck, body: dict[str, Any],
                             respond: AsyncRespond) -> None:
        await ack()
        await replies.answer(replies.via_response_url(respond),
                             _open(deps, lifecycle, _where(body), body, blocks.update_modal))

    @app.action(blocks.RESOLVE_BUTTON)
    async def resolve_pressed(ack: AsyncAck, body: dict[str, Any],
                              respond: AsyncRespond) -> None:
        await ack()
        await replies.answer(replies.via_response_url(respond),
                             _open(deps, lifecycle, _where(body), body, blocks.resolve_modal))

    @app.action(blocks.REOPEN_BUTTON)
    async def reopen_pressed(ack: AsyncAck, body: dict[str, Any],
                             respond: AsyncRespond) -> None:
        await ack()
        await replies.answer(replies.via_response_url(respond), lifecycle.reopen(_where(body)))


async def _open(deps: Deps, lifecycle: Lifecycle, where: Where, body: dict[str, Any],
                modal: Callable[..., dict[str, Any]]) -> None:
    incident = await lifecycle.incident_here(where)
    if incident.status == Status.RESOLVED and modal is blocks.resolve_modal:
        raise WrongState(wording.already_resolved(incident.number))
    await deps.slack.open_view(body["trigger_id"],
                               modal(channel_id=where.channel_id, number=incident.number))


def _where(body: dict[str, Any]) -> Where:
    # `team` is the presser's own (another company's, in a Slack Connect channel), or
    # null with an org-wide install: the channel alone says which incident this is.
    return Where(team_id=installation_id(body) or "", channel_id=body["channel"]["id"],
                 user_id=body["user"]["id"])


def _selected(body: dict[str, Any]) -> str:
    return str(body["actions"][0]["selected_option"]["value"])
