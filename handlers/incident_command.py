"""`/incident`: parse, acknowledge at once, then do the work and answer the person.

Grammar mistakes are answered in the acknowledgement itself (nothing has changed yet);
everything else runs after the ack, so Slack's 3-second limit is never at risk."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from bot.deps import Deps
from bot.domain import incidents
from bot.domain.errors import IncidentError
from bot.domain.vocabulary import Role
from bot.slack import blocks, wording
from bot.slack.mrkdwn import readable
from bot.usecases.follow_ups import FollowUps
from bot.usecases.insights_in_slack import InsightsInSlack
from bot.usecases.lifecycle import Lifecycle, Where
from bot.usecases.reminders import Snoozing
from bot.usecases.reviews import Reviews
from bot.usecases.timeline_listing import TimelineListing
from handlers import grammar as commands
from handlers import replies
from handlers.installation import installation_id
from handlers.reminder_replies import snoozed

T = TypeVar("T")

# The work to do after the ack; it comes back with the private reply, if there is one.
Work = Callable[[], Awaitable[str | None]]


def register(app: AsyncApp, deps: Deps) -> None:
    lifecycle = Lifecycle(deps)
    listing = TimelineListing(deps)
    insights = InsightsInSlack(deps)

    @app.command(wording.COMMAND)
    async def incident_command(ack: AsyncAck, command: dict[str, Any],
                               respond: AsyncRespond) -> None:
        where = Where(team_id=installation_id(command) or "", channel_id=command["channel_id"],
                      user_id=command["user_id"])
        try:
            parsed = commands.parse(command.get("text", ""))
            work = (_plan_stats(insights, parsed, where, respond) if parsed.name == "stats"
                    else _plan(lifecycle, listing, deps, parsed, where, command, respond))
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
        await replies.answer(replies.via_response_url(respond), work(), replies.as_is)


def _acknowledgement(parsed: commands.ParsedCommand) -> str | None:
    # Only a start takes long enough for the person to wonder whether it worked (a start
    # with no title opens the form instead).
    if parsed.name == "start" and commands.parse_start(parsed.rest).title:
        return wording.OPENING
    return None


def _plan(lifecycle: Lifecycle, listing: TimelineListing, deps: Deps,
          parsed: commands.ParsedCommand, where: Where, command: dict[str, Any],
          respond: AsyncRespond) -> Work | None:
    """Check the grammar now and return the work to do after the ack (None means help)."""
    rest = parsed.rest
    follow_ups, reviews = FollowUps(deps), Reviews(deps)
    match parsed.name:
        case "help":
            return None
        case "start":
            if not rest:
                return lambda: _open_start_modal(deps, command)
            request = commands.parse_start(rest)
            if not request.title:
                # `start sev1` or `start --private`: the form, with what was typed chosen.
                return lambda: _open_start_modal(deps, command, severity=request.severity,
                                                 private=request.private)
            title = incidents.check_title(request.title)
            return lambda: _then(lifecycle.start(
                team_id=where.team_id, reporter_id=where.user_id, title=title,
                severity=request.severity, description=None, private=request.private),
                replies.started)
        case "commander":
            user_id = commands.parse_person(rest, "commander")
            return lambda: _then(lifecycle.assign_role(where, role=Role.COMMANDER, user_id=user_id),
                                 replies.role_assigned)
        case "handover":
            user_id = commands.parse_person(rest, "handover")
            return lambda: _then(lifecycle.hand_over(where, user_id), replies.role_assigned)
        case "role":
            role, user_id = commands.parse_role(rest)
            return lambda: _then(lifecycle.assign_role(where, role=role, user_id=user_id),
                                 replies.role_assigned)
        case "sev":
            severity = incidents.parse_severity(rest)
            return lambda: _then(lifecycle.change_severity(where, severity), replies.nothing)
        case "status":
            status = incidents.parse_status(rest)
            return lambda: _then(lifecycle.change_status(where, status),
                                 replies.status_changed)
        case "update":
            text = incidents.check_text(_typed(rest), "An update", "/incident update <text>")
            return lambda: _then(lifecycle.post_update(where, text), replies.nothing)
        case "snooze":
            duration = commands.parse_snooze(rest)
            return lambda: _then(Snoozing(deps).snooze(where, duration), snoozed)
        case "note":
            text = incidents.check_text(_typed(rest), "A note", "/incident note <text>")
            return lambda: _then(lifecycle.add_note(where, text), replies.note_added)
        case "action":
            item = commands.parse_action(rest)
            text = incidents.check_text(item.text, "An action item",
                                        "/incident action <text> [@owner] [due YYYY-MM-DD]")
            return lambda: _then(lifecycle.add_action_item(where, text, item.owner_id,
                                                           item.due_on),
                                 replies.nothing)
        case "actions":
            return lambda: _list_action_items(follow_ups, where.channel_id, respond)
        case "reviewed":
            return lambda: _then(reviews.mark_held(channel_id=where.channel_id,
                                                   user_id=where.user_id), replies.nothing)
        case "resolve":
            summary = _typed(rest) or None
            return lambda: _then(lifecycle.resolve(where, summary=summary), replies.resolved)
        case "timeline":
            return lambda: listing.listing(where.channel_id)
        case "reopen":
            return lambda: _then(lifecycle.reopen(where), replies.nothing)
    # `stats` is planned by `_plan_stats`, which needs the response URL for its blocks.
    raise commands.UnknownSubcommand(parsed.name)


async def _list_action_items(follow_ups: FollowUps, channel_id: str,
                             respond: AsyncRespond) -> None:
    """Only to the person who asked: the list carries buttons, so it goes with its blocks."""
    listed = await follow_ups.listed(channel_id)
    await respond(text=listed.text, blocks=listed.blocks, response_type="ephemeral",
                  replace_original=False)
def _plan_stats(insights: InsightsInSlack, parsed: commands.ParsedCommand, where: Where,
                respond: AsyncRespond) -> Work:
    """`stats [chart]`, in any channel: the headline only to the person who asked (at the
    response URL, with its blocks), then the chart if they want it."""
    chart = commands.parse_stats(parsed.rest)

    async def work() -> str | None:
        headline = await insights.headline(where.team_id, where.user_id)
        await respond(text=headline.text, blocks=headline.blocks, response_type="ephemeral",
                      replace_original=False)
        return await insights.send_chart(where.user_id, headline) if chart else None

    return work


def _typed(rest: str) -> str:
    # People named in an update or note stay mentions; @here and markup become plain text.
    return readable(rest, keep_mentions=True)


async def _then(work: Awaitable[T], reply: Callable[[T], str | None]) -> str | None:
    return reply(await work)


async def _open_start_modal(deps: Deps, command: dict[str, Any], *,
                            severity: int | None = None, private: bool = False) -> None:
    await deps.slack.open_view(command["trigger_id"], blocks.start_modal(
        default_severity=severity or deps.settings.default_severity,
        origin_channel_id=command["channel_id"], private=private))
