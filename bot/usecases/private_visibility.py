"""Which private incidents a person may see: those whose channel they are in.

Slack says which private channels a person shares with the bot, all at once
(`gateway.private_channels_shared_with`, kept a minute), and who is in one channel
(`gateway.is_member`, for a single incident's page). When Slack will not say, the incident
stays hidden: a dashboard or a count that failed open would show a security incident to
the person it is about."""

from __future__ import annotations

import logging

from bot.deps import Deps
from bot.domain import incident_listing
from bot.slack.failures import MembershipUnknown, SlackFailure

log = logging.getLogger(__name__)

async def private_channels_seen(deps: Deps, team_id: str | None,
                                user_id: str) -> frozenset[str]:
    """The channels of the workspace's private incidents that `user_id` is in."""
    async with deps.sessions() as session:
        channels = await incident_listing.private_channels(session, team_id)
    if not channels:
        return frozenset()
    try:
        shared = await deps.slack.private_channels_shared_with(user_id)
    except SlackFailure as failure:
        log.warning("Slack would not say which private channels %s is in (%s); their "
                    "private incidents stay hidden from them", user_id, failure.error)
        return frozenset()
    return frozenset(channels) & shared


async def sees(deps: Deps, channel_id: str, user_id: str) -> bool:
    """Whether `user_id` is in the private incident channel `channel_id` (no when Slack
    will not say)."""
    try:
        return await deps.slack.is_member(channel_id, user_id, recheck_no=False)
    except MembershipUnknown as unknown:
        log.warning("Slack would not say who is in %s (%s); its private incident stays "
                    "hidden from %s", channel_id, unknown.error, user_id)
        return False
