"""What Slack sends to an app, built with the same keys and nesting as real Slack.

The shapes follow ../shared/slack/ (copied from Slack's documentation and slack-bolt's own
tests); `tests/test_payload_shapes.py` holds them together.

Two variations matter to a bot that finds things by team: `actor_team_id`, someone of
another team acting in a Slack Connect channel (the envelope's `team_id`, an interaction's
`team` and `user.team_id` are theirs; `authorizations[0]` stays the installing team, as in
bolt-python's tests/scenario_tests_async/test_events_shared_channels.py); and `org_install`,
Sitrep installed org-wide on Enterprise Grid (`authorizations[0].team_id` and an
interaction's `team` are null, the enterprise is set, as in bolt-python's
tests/scenario_tests_async/test_events_org_apps.py and tests/slack_bolt/request/
test_request.py)."""

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
ENTERPRISE_ID = "E0001"
ENTERPRISE_NAME = "Sitrep Test Org"

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
    org_install: bool = False,
) -> dict[str, str]:
    """The form fields of a slash command (sent form-encoded, never retried by Slack)."""
    fields = {
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
        "is_enterprise_install": "true" if org_install else "false",
        "response_url": response_url,
        "trigger_id": trigger_id(),
    }
    if org_install:
        fields |= {"enterprise_id": ENTERPRISE_ID, "enterprise_name": ENTERPRISE_NAME}
    return fields


def event_envelope(event: dict[str, Any], *, event_id: str | None = None,
                   event_time: int | None = None, actor_team_id: str | None = None,
                   org_install: bool = False) -> dict[str, Any]:
    """An Events API `event_callback` around one event; `actor_team_id` when someone of
    another team caused it in a Slack Connect channel."""
    acting_team = actor_team_id or TEAM_ID
    envelope: dict[str, Any] = {
        "token": VERIFICATION_TOKEN,
        # The acting person's team: in a Slack Connect channel, another company's.
        "team_id": acting_team,
        "context_team_id": TEAM_ID,
        "context_enterprise_id": ENTERPRISE_ID if org_install else None,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
        "event_time": event_time or int(time.time()),
        # The installation that receives the event.
        "authorizations": [{"enterprise_id": ENTERPRISE_ID if org_install else None,
                            "team_id": None if org_install else TEAM_ID,
                            "user_id": BOT_USER_ID, "is_bot": True,
                            "is_enterprise_install": org_install}],
        "is_ext_shared_channel": acting_team != TEAM_ID,
        "event_context": f"4-{uuid.uuid4().hex}",
    }
    if org_install:
        envelope["enterprise_id"] = ENTERPRISE_ID
    return envelope


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


def _user(user_id: str, team_id: str | None = None) -> dict[str, str]:
    name = user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id or TEAM_ID}


def _installation(actor_team_id: str | None, org_install: bool) -> dict[str, Any]:
    """An interaction's `team`, `enterprise` and `is_enterprise_install`: the actor's team,
    or with an org-wide install no team at all."""
    if org_install:
        return {"team": None, "enterprise": {"id": ENTERPRISE_ID, "name": ENTERPRISE_NAME},
                "is_enterprise_install": True}
    team_id = actor_team_id or TEAM_ID
    domain = TEAM_DOMAIN if team_id == TEAM_ID else team_id.lower()
    return {"team": {"id": team_id, "domain": domain}, "enterprise": None,
            "is_enterprise_install": False}


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
    selected_user: str | None = None,
    actor_team_id: str | None = None,
    org_install: bool = False,
    is_ephemeral: bool = False,
) -> dict[str, Any]:
    """A button press (or a select when `selected_value` is given, a person chosen in a
    users_select when `selected_user` is) on a message, or on an ephemeral one."""
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if selected_user is not None:
        action |= {"type": "users_select", "selected_user": selected_user}
    elif selected_value is None:
        action |= {"type": "button", "value": value,
                   "text": {"type": "plain_text", "text": action_id, "emoji": True}}
    else:
        action |= {"type": "static_select",
                   "selected_option": {"text": {"type": "plain_text", "text": selected_value},
                                       "value": selected_value}}
    return {
        "type": "block_actions",
        "user": _user(user_id, actor_team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "message", "message_ts": message.get("ts"),
                      "channel_id": channel_id, "is_ephemeral": is_ephemeral},
        "trigger_id": trigger_id(),
        **_installation(actor_team_id, org_install),
        "channel": {"id": channel_id, "name": channel_id.lower()},
        "message": message,
        "response_url": response_url,
        "actions": [action],
        "state": {"values": {}},
    }


def view_submission(*, user_id: str, view: dict[str, Any],
                    values: dict[str, dict[str, dict[str, Any]]],
                    actor_team_id: str | None = None,
                    org_install: bool = False) -> dict[str, Any]:
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
    if org_install:
        # The workspace the modal was opened in (bolt-python's org-wide example).
        submitted["app_installed_team_id"] = TEAM_ID
    return {
        "type": "view_submission",
        **_installation(actor_team_id, org_install),
        "user": _user(user_id, actor_team_id),
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id(),
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
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
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
