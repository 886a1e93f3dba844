"""The kind of a request from Slack, as the metrics name it: a short fixed list, so a
stranger's payload cannot make up new series."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

COMMAND = "command"
EVENT = "event"
# Bodies the bot did not read: unsigned, too large, or not a payload at all.
UNREAD = "unread"
OTHER = "other"
_BY_TYPE = {"event_callback": EVENT, "block_actions": "block_actions",
            "view_submission": "view_submission", "view_closed": "view_closed",
            "shortcut": "shortcut", "message_action": "message_action",
            "block_suggestion": "block_suggestion", "url_verification": "url_verification",
            "app_rate_limited": "app_rate_limited"}
# Socket Mode's envelope types, for the payloads that carry no type of their own.
_BY_ENVELOPE = {"slash_commands": COMMAND, "events_api": EVENT}


def kind_of(body: Mapping[str, Any], envelope_type: str | None = None) -> str:
    if "command" in body:
        return COMMAND
    kind = body.get("type")
    if isinstance(kind, str) and kind in _BY_TYPE:
        return _BY_TYPE[kind]
    return _BY_ENVELOPE.get(envelope_type or "", OTHER)


def outcome_of(status: int) -> str:
    """ok; refused (unsigned, too large, malformed, no listener); error (the bot failed)."""
    if status < 400:
        return "ok"
    return "refused" if status < 500 else "error"
