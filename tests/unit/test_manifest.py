"""app.yaml and the code must agree, or a user creating the app from the manifest gets a bot
that misses commands, never hears its events, or is refused for a missing scope."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient

from bot import app as bot_app
from bot.deps import Deps
from tests.support.paths import REPO

BOT_CODE = [*sorted((REPO / "bot").rglob("*.py")), *sorted((REPO / "handlers").rglob("*.py"))]
# The emulator and its client are test tools; their calls are not the bot's.
BOT_CODE = [path for path in BOT_CODE if "devtools" not in path.parts]

# Which bot scope each Web API method needs (Slack's method reference, "Required scopes").
# Methods needing no scope (auth.test) are listed with none.
METHOD_SCOPES: dict[str, set[str]] = {
    "auth.test": set(),
    "chat.postMessage": {"chat:write"},
    "chat.postEphemeral": {"chat:write"},
    "chat.update": {"chat:write"},
    "chat.delete": {"chat:write"},
    "chat.getPermalink": set(),
    "conversations.create": {"channels:manage"},
    "conversations.info": {"channels:read"},
    "conversations.list": {"channels:read"},
    "conversations.archive": {"channels:manage"},
    "conversations.invite": {"channels:manage"},
    "conversations.join": {"channels:join"},
    "conversations.setTopic": {"channels:manage"},
    "conversations.setPurpose": {"channels:manage"},
    "conversations.history": {"channels:history"},
    "conversations.replies": {"channels:history"},
    "conversations.members": {"channels:read"},
    "conversations.canvases.create": {"canvases:write"},
    "canvases.create": {"canvases:write"},
    "canvases.edit": {"canvases:write"},
    "files.getUploadURLExternal": {"files:write"},
    "files.completeUploadExternal": {"files:write"},
    "pins.add": {"pins:write"},
    "reactions.add": {"reactions:write"},
    "reactions.remove": {"reactions:write"},
    "reactions.get": {"reactions:read"},
    "users.info": {"users:read"},
    "views.open": set(),
    "views.update": set(),
    "views.push": set(),
}
# Which bot scope each subscribed event needs (Slack's event reference).
EVENT_SCOPES: dict[str, set[str]] = {
    "reaction_added": {"reactions:read"},
    "reaction_removed": {"reactions:read"},
    "message.channels": {"channels:history"},
    "app_mention": {"app_mentions:read"},
}


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    loaded = yaml.safe_load((REPO / "app.yaml").read_text())
    assert isinstance(loaded, dict)
    return loaded


class RecordingApp:
    """Stands in for AsyncApp while handlers register, noting what each one listens to."""

    def __init__(self) -> None:
        self.registered: dict[str, list[Any]] = {}

    def __getattr__(self, kind: str) -> Callable[..., Any]:
        def register(*args: Any, **_kwargs: Any) -> Callable[[Any], Any]:
            self.registered.setdefault(kind, []).append(args[0] if args else None)
            return lambda listener: listener

        return register


@pytest.fixture(scope="module")
def listeners() -> dict[str, list[Any]]:
    recorder = RecordingApp()
    deps = Deps(settings=None, sessions=None, clock=None, slack=None,  # type: ignore[arg-type]
                retro=None)  # type: ignore[arg-type]
    for surface in bot_app.SURFACES:
        surface.register(recorder, deps)  # type: ignore[arg-type]
    return recorder.registered


def _event_name(listened: Any) -> str:
    if isinstance(listened, dict):
        kind = str(listened["type"])
        return f"{kind}.channels" if kind == "message" else kind
    return "message.channels" if listened == "message" else str(listened)


def _web_api_methods_called(paths: list[Path]) -> set[str]:
    method_names = {name: _dotted(name) for name, _ in
                    inspect.getmembers(AsyncWebClient, inspect.iscoroutinefunction)}
    called: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            if isinstance(func, ast.Attribute) and method_names.get(func.attr):
                called.add(method_names[func.attr])  # type: ignore[arg-type]
            if isinstance(func, ast.Attribute) and func.attr in COMPOSITE_METHODS:
                called |= COMPOSITE_METHODS[func.attr]
            if isinstance(func, ast.Attribute) and func.attr == "api_call" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    called.add(first.value)
            if isinstance(func, ast.Name) and func.id == "say":
                called.add("chat.postMessage")
    return called


# slack-sdk helpers that run several Web API methods.
COMPOSITE_METHODS = {
    "files_upload_v2": {"files.getUploadURLExternal", "files.completeUploadExternal"},
}


def _dotted(python_name: str) -> str | None:
    source = inspect.getsource(getattr(AsyncWebClient, python_name))
    found = re.search(r'api_call\(\s*"([a-zA-Z.]+)"', source)
    return found.group(1) if found else None


def test_every_manifest_slash_command_has_a_listener_and_back(
        manifest: dict[str, Any], listeners: dict[str, list[Any]]) -> None:
    declared = {entry["command"] for entry in manifest["features"]["slash_commands"]}
    assert declared == set(listeners.get("command", []))


def test_every_manifest_shortcut_has_a_listener_and_back(
        manifest: dict[str, Any], listeners: dict[str, list[Any]]) -> None:
    declared = {entry["callback_id"] for entry in manifest["features"].get("shortcuts", [])}
    assert declared == set(listeners.get("shortcut", []))


def test_slash_commands_escape_mentions_and_show_a_hint(manifest: dict[str, Any]) -> None:
    for entry in manifest["features"]["slash_commands"]:
        # The parser reads <@U123|name>; unescaped mentions would arrive as plain @name.
        assert entry["should_escape"] is True
        assert entry["usage_hint"]
        assert entry["url"].endswith("/slack/events")


def test_every_event_listened_to_is_subscribed_and_back(
        manifest: dict[str, Any], listeners: dict[str, list[Any]]) -> None:
    subscribed = set(manifest["settings"].get("event_subscriptions", {}).get("bot_events", []))
    listened = {_event_name(event) for event in listeners.get("event", [])}
    listened |= {"message.channels" for _ in listeners.get("message", [])}
    assert listened == subscribed


def test_interactivity_and_socket_mode_are_configured(manifest: dict[str, Any]) -> None:
    settings = manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert "socket_mode_enabled" in settings


def test_declared_scopes_are_exactly_those_the_code_needs(
        manifest: dict[str, Any], listeners: dict[str, list[Any]]) -> None:
    called = _web_api_methods_called(BOT_CODE)
    unknown = called - METHOD_SCOPES.keys()
    assert not unknown, f"add these methods to METHOD_SCOPES from Slack's docs: {unknown}"
    needed: set[str] = set().union(*(METHOD_SCOPES[method] for method in called))
    if listeners.get("command"):
        needed.add("commands")
    subscribed = manifest["settings"].get("event_subscriptions", {}).get("bot_events", [])
    for event in subscribed:
        needed |= EVENT_SCOPES[event]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed


def test_the_scan_finds_web_api_calls(tmp_path: Path) -> None:
    """Guards the scope test: if the scan silently found nothing it would prove nothing."""
    probe = tmp_path / "probe.py"
    probe.write_text("async def f(client, say):\n"
                     "    await client.conversations_create(name='inc-1')\n"
                     "    await client.api_call('canvases.create')\n"
                     "    await say('hi')\n")
    assert _web_api_methods_called([probe]) == {
        "conversations.create", "canvases.create", "chat.postMessage"}
