"""The emulator's own JSON surface under ``/_emulator/``, for a driver in another process.

In a test the emulator is an object to call; run as a process (a benchmark pointing a real
``sitrep serve`` at it) the driver needs the same few things over HTTP: play the humans,
and read what the bot called and replied. Off unless the emulator is built with
``control_api=True``; Slack has no such paths."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.devtools.emulator_state import SlackError

if TYPE_CHECKING:
    from bot.devtools.slack_emulator import SlackEmulator

PREFIX = "/_emulator"
SAID_CHARS = 200


def control_routes(slack: SlackEmulator) -> list[web.RouteDef]:
    async def post_messages(request: web.Request) -> web.Response:
        """``{"channel", "user", "texts": [...]}``: messages people wrote, oldest first."""
        try:
            body = json.loads(await request.read() or b"{}")
            channel, user, texts = body["channel"], body["user"], body["texts"]
            if not isinstance(texts, list):
                raise TypeError("texts must be a list")
            messages = [slack.post_human_message(channel, user, str(text)) for text in texts]
        except (ValueError, KeyError, TypeError) as error:
            return _refused(str(error))
        return web.json_response({"ok": True, "messages": messages})

    async def post_reactions(request: web.Request) -> web.Response:
        """``{"channel", "name", "reactions": [{"ts", "user"}, ...]}``: reactions people
        added (Slack has them before it sends the ``reaction_added`` events)."""
        try:
            body = json.loads(await request.read() or b"{}")
            channel, name = body["channel"], body["name"]
            for reaction in body["reactions"]:
                slack.add_human_reaction(channel, reaction["ts"], reaction["user"], name)
        except (ValueError, KeyError, TypeError, SlackError) as error:
            return _refused(str(error))
        return web.json_response({"ok": True})

    async def get_channels(request: web.Request) -> web.Response:
        channels = [{"id": c.id, "name": c.name} for c in slack.workspace.channels.values()]
        return web.json_response({"ok": True, "channels": channels})

    async def get_calls(request: web.Request) -> web.Response:
        """Every Web API call from position ``since`` on, and how many there are in all."""
        try:
            since = max(0, int(request.query.get("since", "0")))
        except ValueError:
            return _refused("since must be a whole number")
        calls = [
            {"method": call.method, "status": call.http_status, "error": call.error,
             "said": _said(call.args)}
            for call in slack.calls[since:]
        ]
        return web.json_response({"ok": True, "total": len(slack.calls), "calls": calls})

    async def get_responses(request: web.Request) -> web.Response:
        responses: list[dict[str, Any]] = [
            {"key": response.key, "body": response.body} for response in slack.responses
        ]
        return web.json_response({"ok": True, "responses": responses})

    return [
        web.post(f"{PREFIX}/messages", post_messages),
        web.post(f"{PREFIX}/reactions", post_reactions),
        web.get(f"{PREFIX}/channels", get_channels),
        web.get(f"{PREFIX}/calls", get_calls),
        web.get(f"{PREFIX}/responses", get_responses),
    ]


def _said(args: dict[str, Any]) -> str:
    """The start of what a call says (its text, or a file's comment): enough for a
    benchmark to tell which message it is, without shipping whole documents back."""
    said = args.get("text") or args.get("initial_comment") or ""
    return said[:SAID_CHARS] if isinstance(said, str) else ""


def _refused(reason: str) -> web.Response:
    return web.json_response({"ok": False, "error": reason}, status=400)
