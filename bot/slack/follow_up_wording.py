"""What Sitrep says about follow-ups after an incident: action items (the list, done,
handed on, the owners' weekly message) and the retrospective review (the prompt at resolve,
the reminder, held). Beside `wording`, in its voice and with its helpers."""

from __future__ import annotations

from datetime import date
from typing import Final

from bot.domain.action_items import ItemState, ListedItem, OwnedItem
from bot.domain.vocabulary import label, severity_label
from bot.slack.mrkdwn import channel_link, clip, mention, to_mrkdwn

# Buttons and the select's placeholder.
DONE: Final = "Done"
REASSIGN: Final = "Hand on to…"
REVIEW_HELD: Final = "Review held"


def _said(text: str) -> str:
    return clip(to_mrkdwn(text.strip()), 2000)


def _day(day: date) -> str:
    # The ISO day, with its weekday: "Thu 2026-12-03" is what people plan a meeting by.
    return f"{day:%a} {day.isoformat()}"


# --- /incident actions --------------------------------------------------------------------------

def item_state(item: ListedItem) -> str:
    standing = item.standing
    if standing.state == ItemState.DONE:
        assert standing.since is not None
        by = f" by {mention(item.done_by)}" if item.done_by else ""
        return f":white_check_mark: done on {standing.since.isoformat()}{by}"
    if standing.state == ItemState.OVERDUE:
        assert standing.since is not None
        return f":warning: *overdue since {standing.since.isoformat()}*"
    return "open" + (f", due {item.due_on.isoformat()}" if item.due_on else "")


def listed_item(item: ListedItem) -> str:
    owner = f"owner {mention(item.owner_id)}" if item.owner_id else "_no owner yet_"
    return f"{_said(item.text)}\n{owner} · {item_state(item)}"


def actions_heading(number: int, items: list[ListedItem]) -> str:
    still_open = sum(1 for item in items if item.standing.state != ItemState.DONE)
    return f"*{label(number)}'s action items*: {still_open} open of {len(items)}"


def no_action_items(number: int) -> str:
    return (f"{label(number)} has no action items yet. Record one with "
            "`/incident action <text> [@owner] [due YYYY-MM-DD]`.")


def more_items(count: int) -> str:
    return f"…and {count} more (the retrospective lists them all)."


def actions_fallback(number: int) -> str:
    return f"{label(number)}'s action items"


# --- in the incident channel ---------------------------------------------------------------------

def item_done(text: str, *, by: str) -> str:
    return f":white_check_mark: {mention(by)} marked an action item done: {_said(text)}"


def item_handed_on(text: str, *, owner_id: str, previous_id: str | None, by: str) -> str:
    was = f" (was {mention(previous_id)})" if previous_id else ""
    return (f":arrows_counterclockwise: {mention(by)} handed an action item to "
            f"{mention(owner_id)}{was}: {_said(text)}")


def item_given(text: str, *, number: int, channel_id: str | None, by: str,
               due_on: date | None) -> str:
    """To an item's new owner who is not in the incident's channel."""
    where = f" in {channel_link(channel_id)}" if channel_id else ""
    due = f" · due {due_on.isoformat()}" if due_on else ""
    return (f":memo: {mention(by)} made you the owner of an action item of "
            f"*{label(number)}*{where}: {_said(text)}{due}\nPress *Done* when it is; until "
            "then it is in the list of your open items Sitrep sends you each week.")


def done_reply(text: str) -> str:
    return f"Marked done: {_said(text)}"


def handed_on_reply(text: str, owner_id: str) -> str:
    return f"{mention(owner_id)} now owns: {_said(text)}"


# --- the owners' weekly message ------------------------------------------------------------------

def owners_intro(items: list[OwnedItem]) -> str:
    overdue = sum(1 for item in items if item.overdue)
    late = f", {overdue} of them overdue" if overdue else ""
    plural = "s" if len(items) != 1 else ""
    return (f":clipboard: You own {len(items)} open action item{plural} from past "
            f"incidents{late}. Press *Done* on those that are.")


def owned_item(item: OwnedItem) -> str:
    where = channel_link(item.channel_id) if item.channel_id else label(item.incident_number)
    if item.overdue and item.due_on is not None:
        when = f" · :warning: *overdue*, was due {item.due_on.isoformat()}"
    elif item.due_on is not None:
        when = f" · due {item.due_on.isoformat()}"
    else:
        when = ""
    return f"{_said(item.text)}\n{label(item.incident_number)} {where}{when}"


def owners_fallback(items: list[OwnedItem]) -> str:
    plural = "s" if len(items) != 1 else ""
    return f"You own {len(items)} open action item{plural} from past incidents."


def nothing_left_open() -> str:
    return ":tada: Nothing left open. Thank you!"


# --- the retrospective review -------------------------------------------------------------

def review_prompt(*, number: int, severity: int, due_on: date | None) -> str:
    if due_on is None:
        return (f":calendar: A review meeting is optional for {severity_label(severity)}. "
                f"If you hold one, mark it held here or with `/incident reviewed`, and "
                f"{label(number)}'s retrospective becomes *reviewed*.")
    return (f":calendar: Please schedule {label(number)}'s retrospective review by "
            f"*{_day(due_on)}* ({severity_label(severity)}). When it has been held, mark it "
            "here or with `/incident reviewed`: the retrospective goes from *draft* to "
            "*reviewed*.")


def review_reminder(*, number: int, due_on: date) -> str:
    return (f":alarm_clock: {label(number)}'s retrospective review was due by "
            f"{_day(due_on)} and has not been marked held. Please schedule it, or mark it "
            "held with `/incident reviewed` if it took place.")


def review_held(*, number: int, by: str) -> str:
    return (f":white_check_mark: {mention(by)} marked {label(number)}'s retrospective review "
            "held: the retrospective is now *reviewed*.")
