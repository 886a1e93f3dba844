"""Which bot scopes each Web API method needs, and the app's own scopes from `app.yaml`.

Slack checks a token's scopes before anything else and refuses with `missing_scope`, naming
the scope it `needed` and those the token has (`provided`). For a method on a conversation
the scope depends on the conversation's type: `conversations.history` needs
`channels:history` in a public channel and `groups:history` in a private one, so a bot
whose manifest forgot the private-channel scopes works until someone converts the
incident channel to private. When Slack cannot tell which type is meant, it names every
scope the method accepts. (Slack's method reference, "Required scopes", bot tokens.)"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.devtools.emulator_args import Args
from bot.devtools.emulator_state import Workspace

PUBLIC, PRIVATE, IM, MPIM = "public", "private", "im", "mpim"
# A method whose scope is the same whatever conversation it acts on.
ANY = "any"

MANIFEST = Path(__file__).resolve().parents[2] / "app.yaml"


def _per_type(action: str) -> dict[str, str]:
    return {PUBLIC: f"channels:{action}", PRIVATE: f"groups:{action}", IM: f"im:{action}",
            MPIM: f"mpim:{action}"}


_MANAGE = {PUBLIC: "channels:manage", PRIVATE: "groups:write", IM: "im:write",
           MPIM: "mpim:write"}

# Method → conversation type (or ANY) → the scope it needs. Empty: no scope needed.
METHOD_SCOPES: dict[str, Mapping[str, str]] = {
    "api.test": {},
    # Called with the app-level token (connections:write), never the bot's: no bot scope.
    "apps.connections.open": {},
    "auth.test": {},
    "conversations.create": _MANAGE,
    "conversations.info": _per_type("read"),
    "conversations.invite": _MANAGE,
    "conversations.join": {PUBLIC: "channels:join"},
    "conversations.members": _per_type("read"),
    "conversations.setTopic": _MANAGE,
    "conversations.setPurpose": _MANAGE,
    "conversations.archive": _MANAGE,
    "conversations.unarchive": _MANAGE,
    "conversations.rename": _MANAGE,
    "conversations.list": _per_type("read"),
    "users.conversations": _per_type("read"),
    "conversations.open": {IM: "im:write", MPIM: "mpim:write"},
    "conversations.history": _per_type("history"),
    "conversations.replies": _per_type("history"),
    "conversations.canvases.create": {ANY: "canvases:write"},
    "chat.postMessage": {ANY: "chat:write"},
    "chat.postEphemeral": {ANY: "chat:write"},
    "chat.update": {ANY: "chat:write"},
    "chat.delete": {ANY: "chat:write"},
    "chat.getPermalink": {},
    "pins.add": {ANY: "pins:write"},
    "pins.remove": {ANY: "pins:write"},
    "pins.list": {ANY: "pins:read"},
    "reactions.add": {ANY: "reactions:write"},
    "reactions.remove": {ANY: "reactions:write"},
    "reactions.get": {ANY: "reactions:read"},
    "users.info": {ANY: "users:read"},
    "users.list": {ANY: "users:read"},
    "users.lookupByEmail": {ANY: "users:read.email"},
    "views.open": {},
    "views.push": {},
    "views.update": {},
    "views.publish": {},
    "files.upload": {ANY: "files:write"},
    "files.getUploadURLExternal": {ANY: "files:write"},
    "files.completeUploadExternal": {ANY: "files:write"},
    "files.info": {ANY: "files:read"},
    "canvases.create": {ANY: "canvases:write"},
    "canvases.edit": {ANY: "canvases:write"},
    "canvases.delete": {ANY: "canvases:write"},
    "canvases.access.set": {ANY: "canvases:write"},
    # Sign in with Slack (the dashboard): the app's client id and secret, then the person's
    # own token with the openid scope; never the bot's token, so no bot scope.
    "openid.connect.token": {},
    "openid.connect.userInfo": {},
}

_LIST_TYPES = {"public_channel": PUBLIC, "private_channel": PRIVATE, "im": IM, "mpim": MPIM}


def manifest_scopes(path: Path = MANIFEST) -> frozenset[str] | None:
    """The bot scopes `app.yaml` asks for; None when the manifest is not beside the code
    (an installed package), and then nothing is refused for a scope."""
    if not path.is_file():
        return None
    import yaml  # only the emulator reads the manifest, and only from a source tree

    manifest = yaml.safe_load(path.read_text())
    return frozenset(manifest["oauth_config"]["scopes"]["bot"])


def scopes_needed(method: str, kinds: set[str]) -> set[str]:
    """The scopes `method` needs to act on conversations of these types."""
    rule = METHOD_SCOPES[method]
    return {scope for kind, scope in rule.items() if kind == ANY or kind in kinds}


def missing_scope(method: str, args: Mapping[str, Any], workspace: Workspace,
                  provided: frozenset[str]) -> str | None:
    """The `needed` field of Slack's refusal, or None when the token may call `method`."""
    rule = METHOD_SCOPES.get(method)
    if not rule:
        return None
    if ANY in rule:
        return None if rule[ANY] in provided else rule[ANY]
    kinds = _conversation_types(method, Args(args), workspace)
    if kinds:
        needed = [rule[kind] for kind in kinds if kind in rule]
        lacking = [scope for scope in needed if scope not in provided]
        return ",".join(lacking) or None
    # Which conversation is meant is unknown (a wrong id, say): any accepted scope will do,
    # and the method itself refuses the id.
    accepted = list(dict.fromkeys(rule.values()))
    return None if provided.intersection(accepted) else ",".join(accepted)


def _conversation_types(method: str, args: Args, workspace: Workspace) -> list[str]:
    if method == "conversations.create":
        return [PRIVATE if args.flag("is_private") else PUBLIC]
    if method in {"conversations.list", "users.conversations"}:
        return [_LIST_TYPES[name] for name in (args.text("types") or "public_channel").split(",")
                if name in _LIST_TYPES]
    if method == "conversations.open":
        return [IM if len(args.user_list("users")) <= 1 else MPIM]
    channel = workspace.channels.get(args.text("channel") or args.text("channel_id") or "")
    if channel is None:
        return []
    if channel.is_im:
        return [IM]
    return [PRIVATE if channel.is_private else PUBLIC]


# Every scope some method here needs: a token for testing the emulator's methods themselves.
EVERY_SCOPE = frozenset(scope for rule in METHOD_SCOPES.values() for scope in rule.values())
