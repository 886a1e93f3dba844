"""The update reminder's buttons: *Snooze 30m / 1h / 2h*, and *Hand over*, which opens the
handover form; and that form's submission. (*Post update* and the stale nudge's *Resolve*
are the card's own buttons, `handlers/card_actions.py`.)"""

from __future__ import annotations

import re
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.core import durations
from bot.deps import Deps
from bot.slack import reminder_blocks, reminder_wording
from bot.slack.request_shapes import MalformedRequest
from bot.usecases.lifecycle import Lifecycle, Where
from bot.usecases.reminders import Snoozing
from handlers import replies
from handlers.installation import installation_id
from handlers.reminder_replies import snoozed

_SNOOZE = re.compile("^" + re.escape(reminder_blocks.SNOOZE_BUTTON_PREFIX) + r"\w+$")


def register(app: AsyncApp, deps: Deps) -> None:
    lifecycle = Lifecycle(deps)
    snoozing = Snoozing(deps)

    @app.action(_SNOOZE)
    async def snooze_pressed(ack: AsyncAck, body: dict[str, Any],
                             respond: AsyncRespond) -> None:
        where = _where(body)
        value = str(body["actions"][0].get("value") or "")
        await ack()
        tell = replies.via_response_url(respond)
        if value not in reminder_wording.SNOOZE_CHOICES:
            await tell(reminder_wording.SNOOZE_USAGE)
            return
        await replies.answer(tell, snoozing.snooze(where, durations.parse(value)), snoozed)

    @app.action(reminder_blocks.HANDOVER_BUTTON)
    async def handover_pressed(ack: AsyncAck, body: dict[str, Any],
                               respond: AsyncRespond) -> None:
        where = _where(body)
        await ack()
        await replies.answer(replies.via_response_url(respond), _open_handover(
            deps, lifecycle, where, body["trigger_id"]))

    @app.view(reminder_blocks.HANDOVER_MODAL)
    async def handover_submitted(ack: AsyncAck, body: dict[str, Any]) -> None:
        view = body["view"]
        if not view.get("private_metadata"):
            raise MalformedRequest("view_submission: a handover form without its channel")
        chosen = (view["state"]["values"].get("commander_block", {}).get("commander", {})
                  .get("selected_user"))
        if not chosen:
            await ack(response_action="errors",
                      errors={"commander_block": reminder_wording.WHO_TAKES_OVER})
            return
        await ack()
        where = Where(team_id=installation_id(body) or "", channel_id=view["private_metadata"],
                      user_id=body["user"]["id"])
        await replies.answer(replies.in_channel(deps.slack, where.channel_id, where.user_id),
                             lifecycle.hand_over(where, str(chosen)), replies.role_assigned)


async def _open_handover(deps: Deps, lifecycle: Lifecycle, where: Where,
                         trigger_id: str) -> None:
    incident = await lifecycle.update_form(where)  # may they, and is it open?
    assert incident.channel_id is not None
    await deps.slack.open_view(trigger_id, reminder_blocks.handover_modal(
        channel_id=incident.channel_id, number=incident.number))


def _where(body: dict[str, Any]) -> Where:
    if "channel" not in body or "response_url" not in body:
        raise MalformedRequest("block_actions: a reminder button without channel or "
                               "response_url")
    return Where(team_id=installation_id(body) or "", channel_id=body["channel"]["id"],
                 user_id=body["user"]["id"])
