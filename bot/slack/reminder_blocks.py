"""Block Kit for the messages Sitrep posts on its own: the update reminder with its buttons,
the same reminder once answered, the stale nudge, and the handover form."""

from __future__ import annotations

from typing import Final

from bot.domain.vocabulary import label
from bot.slack import reminder_wording
from bot.slack.blocks import (
    RESOLVE_BUTTON,
    TAKE_COMMAND_BUTTON,
    UPDATE_BUTTON,
    Block,
    button,
    input_block,
    modal,
    section,
)

# Snooze buttons: one action id each (ids are unique within a message), the duration as
# the value; the handler listens for the prefix.
SNOOZE_BUTTON_PREFIX: Final = "reminder_snooze_"
HANDOVER_BUTTON: Final = "reminder_handover"
REMINDER_ACTIONS_BLOCK: Final = "reminder_actions"
NUDGE_ACTIONS_BLOCK: Final = "stale_actions"
HANDOVER_MODAL: Final = "incident_handover"


# The first block of each message, so a reader (a test, a person's script) can tell them.
REMINDER_BLOCK: Final = "update_reminder"
ANSWERED_BLOCK: Final = "update_reminder_answered"
NUDGE_BLOCK: Final = "stale_nudge"


def update_reminder(text: str, *, number: int, handover_hint: str | None,
                    commanded: bool = True) -> list[Block]:
    """`commanded` False: nobody commands the incident, and taking command comes first."""
    value = str(number)
    buttons = [] if commanded else [button(TAKE_COMMAND_BUTTON, "Take command", value,
                                           style="primary")]
    buttons += [button(UPDATE_BUTTON, "Post update", value,
                       style="primary" if commanded else None)]
    buttons += [button(SNOOZE_BUTTON_PREFIX + choice, f"Snooze {choice}", choice)
                for choice in reminder_wording.SNOOZE_CHOICES]
    blocks = [section(text, REMINDER_BLOCK)]
    if handover_hint is not None:
        blocks.append(section(handover_hint))
        buttons.append(button(HANDOVER_BUTTON, "Hand over", value))
    blocks.append({"type": "actions", "block_id": REMINDER_ACTIONS_BLOCK, "elements": buttons})
    blocks.append({"type": "context", "elements": [
        {"type": "mrkdwn", "text": reminder_wording.reminder_context()}]})
    return blocks


def answered(text: str) -> list[Block]:
    """A reminder nobody needs to act on any more: what answered it, and no buttons."""
    return [section(text, ANSWERED_BLOCK)]


def stale_nudge(text: str, *, number: int) -> list[Block]:
    value = str(number)
    buttons = [button(RESOLVE_BUTTON, "Resolve", value, style="primary"),
               button(UPDATE_BUTTON, "Post update", value)]
    return [section(text, NUDGE_BLOCK),
            {"type": "actions", "block_id": NUDGE_ACTIONS_BLOCK, "elements": buttons}]


def handover_modal(*, channel_id: str, number: int) -> Block:
    """Who takes over; submitting hands over with the brief, as `/incident handover` does."""
    chooser: Block = {"type": "users_select", "action_id": "commander",
                      "placeholder": {"type": "plain_text", "text": "Choose someone fresh"}}
    return modal(HANDOVER_MODAL, f"Hand over {label(number)}", "Hand over", [
        input_block("commander_block", "Next commander", chooser,
                    hint="They get the role and a brief of the incident so far; you can rest.")],
        private_metadata=channel_id)
