"""The shapes of what Slack sends, checked before any of Sitrep (or Bolt) reads a request.

Handlers and use cases read Slack's payloads as dictionaries (`body["team"]["id"]`). A
signed payload with a field missing or of another type would otherwise fail deep inside
with a traceback, or after the ack. Each shape names only the fields something reads, of the
types Slack sends; every other field may be anything. `problem_with` answers in one short
line that repeats nothing of the request but the names of its fields, so a hostile payload
can neither forge a log line nor flood the log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, NotRequired

from pydantic import ConfigDict, Field, TypeAdapter, ValidationError, with_config

# pydantic reads TypedDicts only from typing_extensions before Python 3.12.
from typing_extensions import TypedDict

from bot.db.models import SLACK_ID, SLACK_TS

# Slack adds fields over time; only the ones read are checked, and checked without coercion.
_SHAPE = ConfigDict(extra="allow", strict=True)
# Ids, timestamps and names as long as the database keeps them (`bot.db.models`): a longer
# one would fail its write after the ack, and again at every replay.
Id = Annotated[str, Field(max_length=SLACK_ID)]
Ts = Annotated[str, Field(max_length=SLACK_TS)]
EventId = Annotated[str, Field(max_length=64)]
Emoji = Annotated[str, Field(max_length=100)]
Name = Annotated[str, Field(max_length=255)]
_MAX_PROBLEM_PARTS = 5
_MAX_PART_LENGTH = 30


@with_config(_SHAPE)
class _Ref(TypedDict):
    id: Id


# --- messages (events, shortcuts) ---------------------------------------------------------

@with_config(_SHAPE)
class _Element(TypedDict, total=False):
    type: str | None
    elements: list[_Element]


@with_config(_SHAPE)
class _Block(TypedDict, total=False):
    type: str | None
    elements: list[_Element]


@with_config(_SHAPE)
class _Reaction(TypedDict, total=False):
    name: Emoji | None
    users: list[Id]


@with_config(_SHAPE)
class _BotProfile(TypedDict, total=False):
    name: Name | None


@with_config(_SHAPE)
class _Message(TypedDict):
    ts: Ts
    subtype: NotRequired[str | None]
    text: NotRequired[str | None]
    user: NotRequired[Id | None]
    bot_id: NotRequired[Id | None]
    username: NotRequired[Name | None]
    thread_ts: NotRequired[Ts | None]
    bot_profile: NotRequired[_BotProfile | None]
    reactions: NotRequired[list[_Reaction]]
    blocks: NotRequired[list[_Block]]
    attachments: NotRequired[list[dict[str, Any]]]
    files: NotRequired[list[dict[str, Any]]]


# --- events ---------------------------------------------------------------------------------

@with_config(_SHAPE)
class _Event(TypedDict):
    type: str
    subtype: NotRequired[str | None]


@with_config(_SHAPE)
class _Authorization(TypedDict):
    # The installation an event is for (handlers/installation.py): it becomes the team
    # every stored row carries.
    team_id: NotRequired[Id | None]
    enterprise_id: NotRequired[Id | None]


@with_config(_SHAPE)
class _EventCallback(TypedDict):
    type: Literal["event_callback"]
    team_id: Id
    enterprise_id: NotRequired[Id | None]
    authorizations: NotRequired[list[_Authorization]]
    event_id: EventId
    event: _Event


@with_config(_SHAPE)
class _ReactedItem(TypedDict):
    type: str
    channel: NotRequired[Id]
    ts: NotRequired[Ts]


@with_config(_SHAPE)
class _ReactionEvent(TypedDict):
    type: Literal["reaction_added", "reaction_removed"]
    reaction: Emoji
    user: NotRequired[Id | None]
    item: _ReactedItem
    event_ts: NotRequired[Ts]


@with_config(_SHAPE)
class _MessageEvent(TypedDict):
    type: Literal["message"]
    channel: NotRequired[Id]
    subtype: NotRequired[str | None]
    ts: NotRequired[Ts]
    event_ts: NotRequired[Ts]


@with_config(_SHAPE)
class _EditedMessageEvent(TypedDict):
    message: _Message


@with_config(_SHAPE)
class _DeletedMessageEvent(TypedDict):
    deleted_ts: Ts


# --- slash commands and interactions --------------------------------------------------------

@with_config(_SHAPE)
class _SlashCommand(TypedDict):
    command: str
    text: NotRequired[str]
    team_id: Id
    enterprise_id: NotRequired[Id | None]
    channel_id: Id
    user_id: Id
    trigger_id: str
    response_url: str


@with_config(_SHAPE)
class _Option(TypedDict):
    value: str


@with_config(_SHAPE)
class _Action(TypedDict):
    action_id: str
    block_id: NotRequired[str]
    selected_option: NotRequired[_Option | None]


@with_config(_SHAPE)
class _BlockActions(TypedDict):
    type: Literal["block_actions"]
    # null in an org-wide install's payloads (bolt-python's test_events_org_apps.py)
    team: _Ref | None
    user: _Ref
    trigger_id: str
    actions: Annotated[list[_Action], Field(min_length=1)]
    channel: NotRequired[_Ref]
    response_url: NotRequired[str]


@with_config(_SHAPE)
class _Input(TypedDict, total=False):
    value: str | None
    selected_option: _Option | None
    selected_options: list[_Option] | None  # checkboxes (the start form's "private")
    selected_user: str | None  # a users_select (the handover form's next commander)


@with_config(_SHAPE)
class _State(TypedDict):
    values: dict[str, dict[str, _Input]]


@with_config(_SHAPE)
class _View(TypedDict):
    # Bolt reads `type` of every submitted view as it hands a listener its arguments.
    type: str
    callback_id: str
    private_metadata: NotRequired[str]
    state: _State


@with_config(_SHAPE)
class _ViewSubmission(TypedDict):
    type: Literal["view_submission"]
    # null in an org-wide install's payloads (bolt-python's test_events_org_apps.py)
    team: _Ref | None
    user: _Ref
    view: _View


@with_config(_SHAPE)
class _ClosedView(TypedDict):
    type: str
    callback_id: str


@with_config(_SHAPE)
class _ViewClosed(TypedDict):
    type: Literal["view_closed"]
    view: _ClosedView


@with_config(_SHAPE)
class _MessageShortcut(TypedDict):
    type: Literal["message_action"]
    callback_id: str
    # null in an org-wide install's payloads (bolt-python's test_events_org_apps.py)
    team: _Ref | None
    user: _Ref
    channel: _Ref
    message: _Message
    trigger_id: str
    response_url: str


@with_config(_SHAPE)
class _Shortcut(TypedDict):
    type: Literal["shortcut"]
    callback_id: str


@with_config(_SHAPE)
class _AttachmentActions(TypedDict):
    type: Literal["interactive_message"]
    callback_id: str
    actions: Annotated[list[dict[str, Any]], Field(min_length=1)]


@with_config(_SHAPE)
class _BlockSuggestion(TypedDict):
    type: Literal["block_suggestion"]
    action_id: str


@with_config(_SHAPE)
class _WorkflowStepEdit(TypedDict):
    type: Literal["workflow_step_edit"]
    callback_id: str
    workflow_step: dict[str, Any]


# What Bolt's listener matching itself reads differs by `type`: each is checked before it.
_BY_TYPE: dict[str, TypeAdapter[Any]] = {
    "event_callback": TypeAdapter(_EventCallback),
    "block_actions": TypeAdapter(_BlockActions),
    "view_submission": TypeAdapter(_ViewSubmission),
    "view_closed": TypeAdapter(_ViewClosed),
    "message_action": TypeAdapter(_MessageShortcut),
    "shortcut": TypeAdapter(_Shortcut),
    "interactive_message": TypeAdapter(_AttachmentActions),
    "block_suggestion": TypeAdapter(_BlockSuggestion),
    "workflow_step_edit": TypeAdapter(_WorkflowStepEdit),
}
_SLASH_COMMAND = TypeAdapter(_SlashCommand)
_REACTION_EVENT = TypeAdapter(_ReactionEvent)
_MESSAGE_EVENT = TypeAdapter(_MessageEvent)
_POSTED_MESSAGE = TypeAdapter(_Message)
_EDITED_MESSAGE = TypeAdapter(_EditedMessageEvent)
_DELETED_MESSAGE = TypeAdapter(_DeletedMessageEvent)
# Subtypes whose `message` is the news (as bot.usecases.timeline_sync reads them).
_EDITED_SUBTYPES = frozenset({"message_changed", "message_replied"})


class MalformedRequest(Exception):
    """A request from Slack (signed, so not forged) that lacks what its handler reads.
    The message is safe to log: field names only, never values."""


def problem_with(body: Mapping[str, Any]) -> str | None:
    """What is wrong with a parsed request, in one short line; None when its shape is fine."""
    try:
        check(body)
    except MalformedRequest as problem:
        return str(problem)
    return None


def check(body: Mapping[str, Any]) -> None:
    """Raise `MalformedRequest` unless the request has the shape its handler reads."""
    kind = body.get("type")
    if "command" in body:
        _validate(_SLASH_COMMAND, body, "slash command")
    if "event" in body and not isinstance(body["event"], dict):
        # Bolt's own middleware reads `event` of any request that has one.
        raise MalformedRequest("a request whose event is not an object")
    if not isinstance(kind, str):
        if kind is not None:
            raise MalformedRequest("a request whose type is not a string")
        return
    adapter = _BY_TYPE.get(kind)
    if adapter is not None:
        _validate(adapter, body, kind)
    if kind == "event_callback":
        check_event(body["event"])


def check_event(event: Mapping[str, Any]) -> None:
    """The events the timeline reads, field by field (`timeline_sync.message_of` and on)."""
    kind = event.get("type")
    if kind in {"reaction_added", "reaction_removed"}:
        _validate(_REACTION_EVENT, event, f"{kind} event")
        item = event["item"]
        if item["type"] == "message" and not ("channel" in item and "ts" in item):
            raise MalformedRequest(f"{kind} event: a message item without channel and ts")
    elif kind == "message":
        _validate(_MESSAGE_EVENT, event, "message event")
        subtype = event.get("subtype")
        if subtype in _EDITED_SUBTYPES:
            _validate(_EDITED_MESSAGE, event, f"{subtype} event")
        elif subtype == "message_deleted":
            _validate(_DELETED_MESSAGE, event, "message_deleted event")
        else:
            _validate(_POSTED_MESSAGE, event, "message event")


def _validate(adapter: TypeAdapter[Any], value: object, what: str) -> None:
    try:
        adapter.validate_python(value)
    except ValidationError as invalid:
        first = invalid.errors(include_url=False, include_input=False, include_context=False)[0]
        where = ".".join(_safe(part) for part in first["loc"][:_MAX_PROBLEM_PARTS])
        raise MalformedRequest(f"{what}: {where or 'the payload'}: {first['type']}") from None


def _safe(part: int | str) -> str:
    # Field names in `loc` come from the request (the keys of a view's state, say).
    text = str(part)
    if text.isidentifier() or text.isdigit():
        return text[:_MAX_PART_LENGTH]
    return ascii(text[:_MAX_PART_LENGTH])
