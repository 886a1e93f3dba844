"""Modal submissions: declare an incident, post an update, resolve.

Input a person can fix is answered inside the modal, next to the field; the modal closes
only when the input is good. Refusals after that (say, resolved meanwhile by someone else)
reach the person privately in the incident channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot.deps import Deps
from bot.domain import incidents
from bot.domain.errors import IncidentError
from bot.domain.vocabulary import MAX_TEXT_LENGTH
from bot.slack import blocks, wording
from bot.slack.request_shapes import MalformedRequest
from bot.usecases.lifecycle import Lifecycle, Where
from handlers import replies
from handlers.form_values import chosen, option_value, typed
from handlers.installation import installation_id

T = TypeVar("T")


def register(app: AsyncApp, deps: Deps) -> None:
    lifecycle = Lifecycle(deps)

    @app.view(blocks.START_MODAL)
    async def declare_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        values = body["view"]["state"]["values"]
        errors: dict[str, str] = {}
        title = _checked(errors, "title_block", lambda: incidents.check_title(
            typed(values, "title_block", "title")))
        severity = _checked(errors, "severity_block", lambda: incidents.parse_severity(
            chosen(values, "severity_block", "severity")))
        description = typed(values, "description_block", "description")
        ticked = values.get("private_block", {}).get("private", {}).get("selected_options")
        private = any(option_value(option) == blocks.PRIVATE_CHOICE for option in ticked or [])
        if len(description) > MAX_TEXT_LENGTH:
            errors["description_block"] = wording.keep_it_under(MAX_TEXT_LENGTH)
        if errors or title is None or severity is None:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        user_id = body["user"]["id"]
        # The form may have been opened anywhere, so the answer is a direct message.
        await replies.answer(
            replies.by_direct_message(deps.slack, user_id),
            lifecycle.start(team_id=installation_id(body) or "", reporter_id=user_id,
                            title=title, severity=severity, description=description or None,
                            private=private),
            replies.started_via_form, refused=wording.could_not_open)

    @app.view(blocks.UPDATE_MODAL)
    async def update_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        where = _where(body)
        try:
            text = incidents.check_text(typed(body["view"]["state"]["values"], "update_block",
                                               "update"), "An update", "What changed?")
        except IncidentError as mistake:
            await ack(response_action="errors", errors={"update_block": str(mistake)})
            return
        await ack()
        await replies.answer(_privately(deps, where), lifecycle.post_update(where, text))

    @app.view(blocks.RESOLVE_MODAL)
    async def resolve_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        where = _where(body)
        values = body["view"]["state"]["values"]
        summary = typed(values, "summary_block", "summary")
        impact = typed(values, "impact_block", "impact")
        too_long = {block: wording.keep_it_under(MAX_TEXT_LENGTH)
                    for block, text in (("summary_block", summary), ("impact_block", impact))
                    if len(text) > MAX_TEXT_LENGTH}
        if too_long:
            await ack(response_action="errors", errors=too_long)
            return
        await ack()
        await replies.answer(_privately(deps, where), lifecycle.resolve(
            where, summary=summary or None, impact=impact or None), replies.resolved)


def _privately(deps: Deps, where: Where) -> replies.Tell:
    return replies.in_channel(deps.slack, where.channel_id, where.user_id)


def _where(body: dict[str, Any]) -> Where:
    # The modal was opened from the card, whose channel travels in private_metadata (and
    # the use case checks that the person who submits may change that channel's incident).
    if not body["view"].get("private_metadata"):
        raise MalformedRequest("view_submission: a modal without private_metadata")
    return Where(team_id=installation_id(body) or "", channel_id=body["view"]["private_metadata"],
                 user_id=body["user"]["id"])


def _checked(errors: dict[str, str], block_id: str, check: Callable[[], T]) -> T | None:
    """The checked value, or None with the rule's sentence put next to the field."""
    try:
        return check()
    except IncidentError as mistake:
        errors[block_id] = str(mistake)
        return None


