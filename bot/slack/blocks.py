"""Block Kit for everything Sitrep shows: the incident card and the modals.

Small pure functions from plain values to Slack's JSON shapes; all user text is escaped
here, so nothing a person typed can ping a channel or break the markup. The sentences on
the card are `wording`'s; labels and button texts stay here, beside the shapes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from bot.core.settings import COMMANDER
from bot.domain.vocabulary import (
    MAX_TEXT_LENGTH,
    MAX_TITLE_LENGTH,
    SEVERITIES,
    STATUSES,
    Status,
    label,
    severity_label,
)

# `clip` and the section limit lived here before they moved beside the other mrkdwn helpers;
# the redundant aliases keep `from bot.slack.blocks import clip` working for older callers.
from bot.slack.mrkdwn import SECTION_TEXT_LIMIT as SECTION_TEXT_LIMIT
from bot.slack.mrkdwn import clip as clip
from bot.slack.mrkdwn import escape, mention, slack_time, to_mrkdwn
from bot.slack.wording import (
    CARD_HINT,
    NO_COMMANDER_YET,
    SEVERITY_EMOJI,
    STATUS_EMOJI,
    alert_line,
    page_source_line,
)

Block = dict[str, Any]

# Slack's limit on a section's fields.
FIELDS_PER_SECTION: Final = 10

# action_id / callback_id values the handlers listen for.
SEVERITY_SELECT: Final = "incident_severity"
STATUS_SELECT: Final = "incident_status"
UPDATE_BUTTON: Final = "incident_update"
RESOLVE_BUTTON: Final = "incident_resolve"
REOPEN_BUTTON: Final = "incident_reopen"
TAKE_COMMAND_BUTTON: Final = "incident_take_command"
CARD_ACTIONS_BLOCK: Final = "incident_actions"

START_MODAL: Final = "incident_start"
UPDATE_MODAL: Final = "incident_update"
RESOLVE_MODAL: Final = "incident_resolve"


# Alerts listed on the card; the rest are counted (all of them are on the timeline).
CARD_ALERTS: Final = 5


@dataclass(frozen=True)
class AlertLine:
    text: str  # as the timeline keeps it: the alert's name and summary first, then labels
    url: str | None  # the alert's source (Prometheus's graph)


@dataclass(frozen=True)
class PageFacts:
    """The page that opened the incident (`source` None: alerts that joined it later)."""

    source: str | None
    url: str | None
    alerts: tuple[AlertLine, ...] = ()
    more_alerts: int = 0


@dataclass(frozen=True)
class CardFacts:
    """What the card shows, read from the database just before it is drawn."""

    number: int
    title: str
    description: str | None
    severity: int
    status: str
    started_at: datetime
    roles: Mapping[str, str]  # role → user id, commander first
    summary: str | None = None
    page: PageFacts | None = None


def _text(text: str, *, kind: str = "mrkdwn") -> dict[str, Any]:
    return {"type": kind, "text": text}


def _plain(text: str, limit: int = 75) -> dict[str, Any]:
    # plain_text objects in options and buttons have short limits (75 for options).
    return {"type": "plain_text", "text": text if len(text) <= limit else text[:limit - 1] + "…",
            "emoji": True}


def incident_card(facts: CardFacts) -> list[Block]:
    fields = [
        _text(f"*Incident*\n{label(facts.number)}"),
        _text(f"*Severity*\n{SEVERITY_EMOJI[facts.severity]} {severity_label(facts.severity)}"),
        _text(f"*Status*\n{STATUS_EMOJI.get(facts.status, '')} {facts.status.capitalize()}"),
    ]
    if COMMANDER not in facts.roles:
        fields.append(_text(f"*Commander*\n{NO_COMMANDER_YET}"))
    for role, user_id in facts.roles.items():
        fields.append(_text(f"*{role.capitalize()}*\n{mention(user_id)}"))
    fields.append(_text(f"*Started*\n{slack_time(facts.started_at)}"))
    # The header is the title alone, so a title of the longest allowed length shows whole.
    blocks: list[Block] = [{"type": "header", "text": _plain(facts.title, limit=MAX_TITLE_LENGTH)}]
    # A team with many roles gets more than one section: Slack allows ten fields in each.
    blocks += [{"type": "section", "fields": fields[start:start + FIELDS_PER_SECTION]}
               for start in range(0, len(fields), FIELDS_PER_SECTION)]
    if facts.description:
        blocks.append({"type": "section", "text": _text(clip(escape(facts.description)))})
    if facts.page is not None:
        blocks.append({"type": "section", "text": _text(clip(_page_text(facts.page)))})
    if facts.status == Status.RESOLVED and facts.summary:
        blocks.append({"type": "section",
                       "text": _text(clip(f"*Summary*\n{to_mrkdwn(facts.summary)}"))})
    blocks.append({"type": "actions", "block_id": CARD_ACTIONS_BLOCK,
                   "elements": _card_actions(facts)})
    blocks.append({"type": "context", "elements": [_text(CARD_HINT)]})
    return blocks


def _page_text(page: PageFacts) -> str:
    lines = [page_source_line(page.source, page.url)] if page.source else []
    lines += [alert_line(alert.text, alert.url) for alert in page.alerts]
    if page.more_alerts:
        lines.append(f"…and {page.more_alerts} more on the timeline")
    return "\n".join(lines)


def _card_actions(facts: CardFacts) -> list[Block]:
    value = str(facts.number)
    if facts.status == Status.RESOLVED:
        return [button(REOPEN_BUTTON, "Reopen", value)]
    # A page that found nobody to command it asks someone to take it, first thing.
    take = [] if COMMANDER in facts.roles else [
        button(TAKE_COMMAND_BUTTON, "Take command", value, style="primary")]
    return [*take,
        _select(SEVERITY_SELECT, "Severity", [(severity_label(s), str(s)) for s in SEVERITIES],
                initial=str(facts.severity)),
        _select(STATUS_SELECT, "Status",
                [(s.capitalize(), s) for s in STATUSES if s != Status.RESOLVED],
                initial=facts.status),
        button(UPDATE_BUTTON, "Post update", value),
        button(RESOLVE_BUTTON, "Resolve", value, style="danger"),
    ]


def section(text: str, block_id: str | None = None) -> Block:
    """A mrkdwn section: the text of every message the bot composes in blocks."""
    block: Block = {"type": "section", "text": _text(text)}
    if block_id is not None:
        block["block_id"] = block_id
    return block


def button(action_id: str, text: str, value: str, *, style: str | None = None) -> Block:
    block: Block = {"type": "button", "action_id": action_id, "value": value,
                    "text": _plain(text)}
    if style is not None:
        block["style"] = style
    return block


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


def _select(action_id: str, placeholder: str, options: Sequence[tuple[str, str]],
            initial: str | None) -> Block:
    select: Block = {"type": "static_select", "action_id": action_id,
                     "placeholder": _plain(placeholder),
                     "options": [_option(text, value) for text, value in options]}
    chosen = [_option(text, value) for text, value in options if value == initial]
    if chosen:
        select["initial_option"] = chosen[0]
    return select


# --- modals -------------------------------------------------------------------------------

def input_block(block_id: str, label_text: str, element: Block, *, optional: bool = False,
           hint: str | None = None) -> Block:
    block: Block = {"type": "input", "block_id": block_id, "label": _plain(label_text),
                    "element": element, "optional": optional}
    if hint:
        block["hint"] = _plain(hint, limit=2000)
    return block


def _text_input(action_id: str, *, multiline: bool = False, max_length: int = MAX_TEXT_LENGTH,
                placeholder: str | None = None) -> Block:
    element: Block = {"type": "plain_text_input", "action_id": action_id,
                      "multiline": multiline, "max_length": max_length}
    if placeholder:
        element["placeholder"] = _plain(placeholder, limit=150)
    return element


def modal(callback_id: str, title: str, submit: str, blocks: list[Block],
           private_metadata: str = "") -> Block:
    return {"type": "modal", "callback_id": callback_id, "title": _plain(title, limit=24),
            "submit": _plain(submit, limit=24), "close": _plain("Cancel", limit=24),
            "private_metadata": private_metadata, "blocks": blocks}


PRIVATE_CHOICE: Final = "private"


def start_modal(*, default_severity: int, origin_channel_id: str,
                private: bool = False) -> Block:
    severity = _select("severity", "Severity",
                       [(f"{severity_label(s)}", str(s)) for s in SEVERITIES],
                       initial=str(default_severity))
    private_option = {**_option("Private channel", PRIVATE_CHOICE),
                      "description": _plain("Only the people invited can see it, and it "
                                            "isn't announced", limit=75)}
    privacy: Block = {"type": "checkboxes", "action_id": "private",
                      "options": [private_option]}
    if private:
        privacy["initial_options"] = [private_option]
    return modal(START_MODAL, "Declare incident", "Declare", [
        input_block("title_block", "Title", _text_input("title", max_length=MAX_TITLE_LENGTH,
                                                   placeholder="Checkout returns 500s")),
        input_block("severity_block", "Severity", severity, hint="SEV1 is the most severe."),
        input_block("description_block", "What do we know?", _text_input("description",
                                                                   multiline=True),
               optional=True),
        input_block("private_block", "Who can see it", privacy, optional=True,
               hint="For a security incident: keep it to the people who need to know."),
    ], private_metadata=origin_channel_id)


def update_modal(*, channel_id: str, number: int) -> Block:
    return modal(UPDATE_MODAL, f"Update {label(number)}", "Post", [
        input_block("update_block", "What changed?", _text_input("update", multiline=True)),
    ], private_metadata=channel_id)


def resolve_modal(*, channel_id: str, number: int) -> Block:
    return modal(RESOLVE_MODAL, f"Resolve {label(number)}", "Resolve", [
        input_block("summary_block", "Summary", _text_input("summary", multiline=True),
               optional=True, hint="What happened and what fixed it, in a sentence or two."),
        input_block("impact_block", "Impact", _text_input("impact", multiline=True),
               optional=True, hint="Who was affected, how, and for how long."),
    ], private_metadata=channel_id)


TIMELINE_SHORTCUT: Final = "add_to_timeline"
TIMELINE_MODAL: Final = "timeline_add"


def timeline_modal(*, kinds: Sequence[str], preview: str, channel_id: str, ts: str) -> Block:
    """"Add to timeline": which kind, and an optional one-line comment."""
    kind_select = _select("kind", "Kind", [(kind.replace("_", " ").capitalize(), kind)
                                           for kind in kinds], initial=kinds[0])
    quoted = "\n".join("> " + line for line in escape(preview).splitlines()) or "> (no text)"
    return modal(TIMELINE_MODAL, "Add to timeline", "Add", [
        {"type": "section", "text": _text(clip(quoted))},
        input_block("kind_block", "Kind", kind_select),
        input_block("comment_block", "Comment", _text_input("comment", max_length=300),
               optional=True, hint="One line the retrospective shows beside the message."),
    ], private_metadata=f"{channel_id} {ts}")
