"""`/incident`: parse, acknowledge at once, then do the work and answer the person.

Grammar mistakes are answered in the acknowledgement itself (nothing has changed yet);
everything else runs after the ack, so Slack's 3-second limit is never at risk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.core.settings import COMMANDER
from bot.deps import Deps
from bot.domain import incidents
from bot.domain.errors import IncidentError
from bot.domain.vocabulary import label
from bot.slack import blocks
from bot.slack.mrkdwn import channel_link, readable
from bot.usecases.lifecycle import Lifecycle, Where
from bot.usecases.timeline_listing import TimelineListing
from handlers import grammar as commands

Work = Callable[[], Awaitable[str | None]]


def register(app: AsyncApp, deps: Deps) -> None:
    lifecycle = Lifecycle(deps)
    listing = TimelineListing(deps)

    @app.command(commands.COMMAND)
    async def incident_command(ack: AsyncAck, command: dict[str, Any],
                               respond: AsyncRespond) -> None:
        where = Where(team_id=command["team_id"], channel_id=command["channel_id"],
                      user_id=command["user_id"])
        try:
            parsed = commands.parse(command.get("text", ""))
            work = _plan(lifecycle, listing, deps, parsed, where, command)
        except commands.UnknownSubcommand as unknown:
            await ack(text=commands.unknown_subcommand_reply(unknown.word))
            return
        except IncidentError as mistake:
            await ack(text=str(mistake))
            return
        if work is None:
            await ack(text=commands.usage())
            return
        acknowledgement = _acknowledgement(parsed)
        if acknowledgement is None:
            await ack()
        else:
            await ack(text=acknowledgement)
        try:
            reply = await work()
        except IncidentError as refused:
            await respond(text=str(refused), response_type="ephemeral",
                          replace_original=False)
            return
        if reply:
            await respond(text=reply, response_type="ephemeral", replace_original=False)


def _acknowledgement(parsed: commands.ParsedCommand) -> str | None:
    # Only a start takes long enough for the person to wonder whether it worked.
    if parsed.name == "start" and parsed.rest:
        return "Opening the incident…"
    return None


def _plan(lifecycle: Lifecycle, listing: TimelineListing, deps: Deps,
          parsed: commands.ParsedCommand, where: Where, command: dict[str, Any]) -> Work | None:
    """Check the grammar now and return the work to do after the ack (None means help)."""
    rest = parsed.rest
    match parsed.name:
        case "help":
            return None
        case "start":
            if not rest:
                return lambda: _open_start_modal(deps, command)
            severity, title = commands.parse_start(rest)
            title = incidents.check_title(title)
            return lambda: _start(lifecycle, where, title, severity)
        case "commander":
            user_id = commands.parse_person(rest, "commander")
            return _quietly(lambda: lifecycle.assign_role(where, role=COMMANDER,
                                                          user_id=user_id))
        case "handover":
            user_id = commands.parse_person(rest, "handover")
            return _quietly(lambda: lifecycle.hand_over(where, user_id))
        case "role":
            role, user_id = commands.parse_role(rest)
            return _quietly(lambda: lifecycle.assign_role(where, role=role, user_id=user_id))
        case "sev":
            severity = incidents.parse_severity(rest)
            return _quietly(lambda: lifecycle.change_severity(where, severity))
        case "status":
            status = incidents.parse_status(rest)
            return _quietly(lambda: lifecycle.change_status(where, status))
        case "update":
            text = incidents.check_text(_typed(rest), "An update", "/incident update <text>")
            return _quietly(lambda: lifecycle.post_update(where, text))
        case "note":
            text = incidents.check_text(_typed(rest), "A note", "/incident note <text>")
            return lambda: _note(lifecycle, where, text)
        case "action":
            text, owner = commands.parse_action(rest)
            text = incidents.check_text(text, "An action item", "/incident action <text>")
            return _quietly(lambda: lifecycle.add_action_item(where, text, owner))
        case "resolve":
            summary = _typed(rest) or None
            return _quietly(lambda: lifecycle.resolve(where, summary=summary))
        case "timeline":
            return lambda: listing.listing(where.team_id, where.channel_id)
        case "reopen":
            return _quietly(lambda: lifecycle.reopen(where))
    raise commands.UnknownSubcommand(parsed.name)


def _typed(rest: str) -> str:
    # People named in an update or note stay mentions; @here and markup become plain text.
    return readable(rest, keep_mentions=True)


def _quietly(change: Callable[[], Awaitable[object]]) -> Work:
    # The channel message and the card are the confirmation; nothing more to say privately.
    async def run() -> None:
        await change()

    return run


async def _start(lifecycle: Lifecycle, where: Where, title: str, severity: int | None) -> str:
    started = await lifecycle.start(team_id=where.team_id, reporter_id=where.user_id,
                                    title=title, severity=severity, description=None)
    reply = (f"*{label(started.number)}* is open: head to {channel_link(started.channel_id)}. "
             "You are the incident commander until you hand over with "
             "`/incident handover @name`.")
    if started.announce_problem:
        reply += f"\n{started.announce_problem}"
    return reply


async def _note(lifecycle: Lifecycle, where: Where, text: str) -> str:
    number = await lifecycle.add_note(where, text)
    return f"Added to {label(number)}'s timeline."


async def _open_start_modal(deps: Deps, command: dict[str, Any]) -> None:
    await deps.slack.open_view(command["trigger_id"], blocks.start_modal(
        default_severity=deps.settings.default_severity,
        origin_channel_id=command["channel_id"]))
