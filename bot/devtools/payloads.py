"""What Slack sends to an app, built with the same keys and nesting as real Slack.

The shapes follow ../shared/slack/ (copied from Slack's documentation and slack-bolt's own
tests); `tests/test_payload_shapes.py` holds them together."""

from __future__ import annotations

import itertools
import time
import uuid
from typing import Any

TEAM_ID = "T0001"
TEAM_DOMAIN = "sitrep-test"
APP_ID = "A0SITREP"
BOT_USER_ID = "U0BOT"
VERIFICATION_TOKEN = "sitrep-legacy-verification-token"

_trigger_counter = itertools.count(1)


def trigger_id() -> str:
    # Real trigger ids are three dot-separated parts; views.open only needs it to be unique.
    return f"{next(_trigger_counter)}.{int(time.time())}.{uuid.uuid4().hex}"


def slash_command(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    response_url: str,
    channel_name: str = "",
    user_name: str = "",
    command: str = "/incident",
) -> dict[str, str]:
    """The form fields of a slash command (sent form-encoded, never retried by Slack)."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name or channel_id.lower(),
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id(),
    }


def event_envelope(event: dict[str, Any], *, event_id: str | None = None,
                   event_time: int | None = None) -> dict[str, Any]:
    """An Events API `event_callback` around one event."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": TEAM_ID,
        # Where the event happened; in a Slack Connect channel `team_id` may be another's.
        "context_team_id": TEAM_ID,
        "context_enterprise_id": None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": event_time or int(time.time()),
        "authorizations": [{"enterprise_id": None, "team_id": TEAM_ID, "user_id": BOT_USER_ID,
                            "is_bot": True, "is_enterprise_install": False}],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }


_last_event_ts = 0.0


def event_ts() -> str:
    """Now, in Slack's `ts` form, and later than any event built before: two actions a
    microsecond apart still have an order."""
    global _last_event_ts
    _last_event_ts = max(time.time(), _last_event_ts + 0.000001)
    return f"{_last_event_ts:.6f}"


def reaction_event(kind: str, *, user: str, reaction: str, channel: str, ts: str,
                   item_user: str | None = None) -> dict[str, Any]:
    """`reaction_added` or `reaction_removed` on a message."""
    event: dict[str, Any] = {
        "type": kind,
        "user": user,
        "reaction": reaction,
        "item": {"type": "message", "channel": channel, "ts": ts},
        "event_ts": event_ts(),
    }
    if item_user is not None:
        event["item_user"] = item_user
    return event


def message_event(*, channel: str, message: dict[str, Any]) -> dict[str, Any]:
    """A new message (a person's, a bot's, a file share, a thread reply), as the Events API
    delivers it to apps in the channel: the message's own fields, without its reactions."""
    event = {key: value for key, value in message.items() if key != "reactions"}
    event.update({"type": "message", "channel": channel, "event_ts": message["ts"],
                  "channel_type": "channel"})
    return event


def message_changed_event(*, channel: str, message: dict[str, Any],
                          previous_message: dict[str, Any]) -> dict[str, Any]:
    now = event_ts()
    return {
        "type": "message",
        "subtype": "message_changed",
        "hidden": True,
        "channel": channel,
        "channel_type": "channel",
        "message": message,
        "previous_message": previous_message,
        "event_ts": now,
        "ts": now,
    }


def message_deleted_event(*, channel: str, deleted_ts: str,
                          previous_message: dict[str, Any]) -> dict[str, Any]:
    now = event_ts()
    return {
        "type": "message",
        "subtype": "message_deleted",
        "hidden": True,
        "channel": channel,
        "channel_type": "channel",
        "deleted_ts": deleted_ts,
        "previous_message": previous_message,
        "event_ts": now,
        "ts": now,
    }


def _user(user_id: str) -> dict[str, str]:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": TEAM_ID}


def _team() -> dict[str, str]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def block_actions(
    *,
    user_id: str,
    channel_id: str,
    message: dict[str, Any],
    action_id: str,
    value: str,
    response_url: str,
    block_id: str = "incident_actions",
    selected_value: str | None = None,
) -> dict[str, Any]:
    """A button press (or a select when `selected_value` is given) on a message."""
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if selected_value is None:
        action |= {"type": "button", "value": value,
                   "text": {"type": "plain_text", "text": action_id, "emoji": True}}
    else:
        action |= {"type": "static_select",
                   "selected_option": {"text": {"type": "plain_text", "text": selected_value},
                                       "value": selected_value}}
    return {
        "type": "block_actions",
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": message.get("ts"),
                      "channel_id": channel_id, "is_ephemeral": False},
        "trigger_id": trigger_id(),
        "team": _team(),
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message": message,
        "response_url": response_url,
        "actions": [action],
        "state": {"values": {}},
    }


def view_submission(*, user_id: str, view: dict[str, Any],
                    values: dict[str, dict[str, dict[str, Any]]]) -> dict[str, Any]:
    """A modal submitted with the given `state.values` (block id → action id → value)."""
    submitted = {
        "id": view.get("id", f"V{uuid.uuid4().hex[:8].upper()}"),
        "team_id": TEAM_ID,
        "type": "modal",
        "callback_id": view.get("callback_id", ""),
        "private_metadata": view.get("private_metadata", ""),
        "hash": view.get("hash", "156663117.cd33ad1f"),
        "previous_view_id": None,
        "root_view_id": view.get("id"),
        "app_id": APP_ID,
        "title": view.get("title", {"type": "plain_text", "text": "Sitrep"}),
        "blocks": view.get("blocks", []),
        "state": {"values": values},
    }
    return {
        "type": "view_submission",
        "team": _team(),
        "user": _user(user_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id(),
        "is_enterprise_install": False,
        "enterprise": None,
        "view": submitted,
        "response_urls": [],
    }


def message_action(*, user_id: str, channel_id: str, message: dict[str, Any],
                   callback_id: str, response_url: str) -> dict[str, Any]:
    """A message shortcut chosen from a message's "More actions" menu."""
    return {
        "type": "message_action",
        "token": VERIFICATION_TOKEN,
        "action_ts": f"{time.time():.6f}",
        "team": _team(),
        "user": {"id": user_id, "name": user_id.lower()},
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "callback_id": callback_id,
        "trigger_id": trigger_id(),
        "message_ts": message["ts"],
        "message": message,
        "response_url": response_url,
    }


def url_verification(challenge: str) -> dict[str, str]:
    return {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}


def app_rate_limited(*, minute_rate_limited: int | None = None) -> dict[str, Any]:
    """Slack's notice that it drops the app's events for the rest of a minute (Events API
    docs, "Rate limiting"): sent without a subscription, and not an `event_callback`."""
    minute = minute_rate_limited if minute_rate_limited is not None else \
        int(time.time()) // 60 * 60
    return {"token": VERIFICATION_TOKEN, "type": "app_rate_limited", "team_id": TEAM_ID,
            "minute_rate_limited": minute, "api_app_id": APP_ID}
