"""Replies to the person who snoozed, in `reminder_wording`'s words."""

from __future__ import annotations

from bot.slack import reminder_wording
from bot.usecases.reminders import Snoozed


def snoozed(result: Snoozed) -> str:
    if result.until is None:
        return reminder_wording.snooze_resumed_reply(result.number)
    return reminder_wording.snoozed_reply(number=result.number, until=result.until)
