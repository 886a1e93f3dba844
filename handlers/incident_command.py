"""`/incident`: turns the slash command into a domain call and the result into a reply."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp

from bot import commands
from bot.deps import Deps


def register(app: AsyncApp, deps: Deps) -> None:
    @app.command(commands.COMMAND)
    async def incident_command(ack: AsyncAck, command: dict[str, Any]) -> None:
        try:
            parsed = commands.parse(command.get("text", ""))
        except commands.UnknownSubcommand as unknown:
            # The ack body is shown only to the person who typed the command.
            await ack(text=commands.unknown_subcommand_reply(unknown.word))
            return
        if parsed.name == "help":
            await ack(text=commands.usage())
