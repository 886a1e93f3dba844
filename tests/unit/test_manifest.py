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
from bot.devtools.emulator_scopes import IM, METHOD_SCOPES, PRIVATE, PUBLIC, scopes_needed
from bot.web import sign_in
from tests.support.paths import REPO

BOT_CODE = [*sorted((REPO / "bot").rglob("*.py")), *sorted((REPO / "handlers").rglob("*.py"))]
# The emulator and its client are test tools; their calls are not the bot's.
BOT_CODE = [path for path in BOT_CODE if "devtools" not in path.parts]

# Incident channels are public, or private when started so or converted later: the bot
# needs each method's scope for both.
INCIDENT_CHANNELS = {PUBLIC, PRIVATE}
# Methods the bot calls only on its direct conversations with people (the owners' weekly
# message opens one), whatever incident channels are.
DIRECT_MESSAGE_METHODS = {"conversations.open": {IM}}
# Which bot scope each subscribed event needs (Slack's event reference).
EVENT_SCOPES: dict[str, set[str]] = {
    "reaction_added": {"reactions:read"},
    "reaction_removed": {"reactions:read"},
    "message.channels": {"channels:history"},
    "message.groups": {"groups:history"},
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


# A message listener hears the messages of public and of private channels alike.
MESSAGE_EVENTS = {"message.channels", "message.groups"}


def _event_names(listened: Any) -> set[str]:
    kind = str(listened["type"]) if isinstance(listened, dict) else str(listened)
    return set(MESSAGE_EVENTS) if kind == "message" else {kind}


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
    listened = set().union(*(_event_names(event) for event in listeners.get("event", [])))
    if listeners.get("message"):
        listened |= MESSAGE_EVENTS
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
    assert not unknown, ("add these methods to bot/devtools/emulator_scopes.py METHOD_SCOPES "
                         f"from Slack's docs: {unknown}")
    needed: set[str] = set().union(*(
        scopes_needed(method, DIRECT_MESSAGE_METHODS.get(method, INCIDENT_CHANNELS))
        for method in called))
    if listeners.get("command"):
        needed.add("commands")
    subscribed = manifest["settings"].get("event_subscriptions", {}).get("bot_events", [])
    for event in subscribed:
        needed |= EVENT_SCOPES[event]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed


def test_the_app_may_ask_for_what_sign_in_with_slack_asks(manifest: dict[str, Any]) -> None:
    """Slack refuses an authorize request for user scopes the app was not given."""
    assert set(manifest["oauth_config"]["scopes"]["user"]) == set(sign_in.SCOPE.split())
    assert any(url.endswith("/login/callback")
               for url in manifest["oauth_config"]["redirect_urls"])


def test_the_scan_finds_web_api_calls(tmp_path: Path) -> None:
    """Guards the scope test: if the scan silently found nothing it would prove nothing."""
    probe = tmp_path / "probe.py"
    probe.write_text("async def f(client, say):\n"
                     "    await client.conversations_create(name='inc-1')\n"
                     "    await client.api_call('canvases.create')\n"
                     "    await say('hi')\n")
    assert _web_api_methods_called([probe]) == {
        "conversations.create", "canvases.create", "chat.postMessage"}
