"""How the dashboard says a reminder Sitrep said in an incident's channel: what it asked,
and what became of it, for the incident page and (what it asked) the JSON API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from bot.domain.reminder_log import ReminderAnswer, ReminderKind
from bot.usecases.dashboard_reading import ReminderLine
from bot.web.presenting import duration


def asked(line: ReminderLine, *, review_due_on: date | None) -> str:
    """What the reminder asked, in the words of someone reading the record afterwards."""
    silent = duration(line.quiet_since, line.sent_at)
    if line.kind == ReminderKind.UPDATE_REMINDER:
        said = "Post a status update"
        if silent:
            said += f": none for {silent}"
        if line.repeat > 1:
            said += f" (reminder {line.repeat})"
        if line.handover_hint:
            said += "; suggested the commander hand over"
        return said
    if line.kind == ReminderKind.STALE_NUDGE:
        said = "Still open? No activity"
        if silent:
            said += f" for {silent}"
        if line.repeat > 1:
            said += f" (nudge {line.repeat})"
        return said
    due = f" by {review_due_on.isoformat()}" if review_due_on is not None else ""
    if line.kind == ReminderKind.REVIEW_PROMPT:
        return f"Schedule the retrospective review{due}"
    if line.kind == ReminderKind.REVIEW_REMINDER:
        return f"The retrospective review was due{due}: hold it, or mark it held"
    return line.kind.replace("_", " ").capitalize()


def outcome(line: ReminderLine, *, name: Callable[[str], str],
            local: Callable[[datetime | None], str]) -> str:
    """Whether and how it was answered (times as `local` writes them)."""
    at = local(line.answered_at)
    by = f" by {name(line.answered_by)}" if line.answered_by else ""
    if line.answer == ReminderAnswer.UPDATE:
        return f"Answered by an update at {at}"
    if line.answer == ReminderAnswer.SNOOZE:
        return f"Snoozed{by} at {at}, until {local(line.snoozed_until)}"
    if line.answer == ReminderAnswer.RESOLVE:
        return f"Answered: resolved at {at}"
    if line.answer == ReminderAnswer.OFF:
        return f"No longer needed from {at}: no update reminders at this severity"
    if line.answer == ReminderAnswer.ACTIVITY:
        return f"Answered by activity in the channel at {at}"
    if line.answer == ReminderAnswer.REVIEWED:
        return f"Review marked held{by} at {at}"
    if line.repeated_at is not None:
        return f"Asked again at {local(line.repeated_at)}, in the same message"
    if line.kind in {ReminderKind.REVIEW_PROMPT, ReminderKind.REVIEW_REMINDER}:
        return "Not marked held yet"
    return "Not answered"
