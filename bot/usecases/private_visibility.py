"""Which private incidents a person may see: those whose channel they are in.

Slack says who is in a channel (`gateway.is_member`, each channel's members kept for a
minute). When Slack will not say, the incident stays hidden: a dashboard or a count that
failed open would show a security incident to the person it is about."""

from __future__ import annotations

import asyncio
import logging

from bot.deps import Deps
from bot.domain import incident_listing
from bot.slack.failures import MembershipUnknown

log = logging.getLogger(__name__)

# conversations.members calls at a time when a person's private incidents are checked
# (each is cached for a minute; Slack allows about 100 a minute).
MEMBERSHIP_CHECKS_AT_ONCE = 8


async def private_channels_seen(deps: Deps, team_id: str | None,
                                user_id: str) -> frozenset[str]:
    """The channels of the workspace's private incidents that `user_id` is in."""
    async with deps.sessions() as session:
        channels = await incident_listing.private_channels(session, team_id)
    if not channels:
        return frozenset()
    turns = asyncio.Semaphore(MEMBERSHIP_CHECKS_AT_ONCE)

    async def member(channel_id: str) -> bool:
        async with turns:
            return await sees(deps, channel_id, user_id)

    answers = await asyncio.gather(*(member(channel) for channel in channels))
    return frozenset(c for c, yes in zip(channels, answers, strict=True) if yes)


async def sees(deps: Deps, channel_id: str, user_id: str) -> bool:
    """Whether `user_id` is in the private incident channel `channel_id` (no when Slack
    will not say)."""
    try:
        return await deps.slack.is_member(channel_id, user_id, recheck_no=False)
    except MembershipUnknown as unknown:
        log.warning("Slack would not say who is in %s (%s); its private incident stays "
                    "hidden from %s", channel_id, unknown.error, user_id)
        return False
