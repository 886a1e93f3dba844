"""`/incident stats`: the headline of the last 90 days for the person who asked, and, when
they ask for it, the weekday-by-hour heat map sent to them alone."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from typing import Any, Final

from bot.deps import Deps
from bot.slack import insights_wording as words
from bot.slack.insights_blocks import stats_headline
from bot.usecases.insights import Insights, StatsQuery, insights_for
from bot.usecases.insights_chart import weekday_hour_heatmap
from bot.usecases.private_visibility import private_channels_seen

HEADLINE_DAYS: Final = 90


@dataclass(frozen=True)
class Headline:
    insights: Insights
    blocks: list[dict[str, Any]]
    # What a notification or a screen reader shows instead of the blocks.
    text: str


class InsightsInSlack:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def headline(self, team_id: str, user_id: str) -> Headline:
        """The workspace's last 90 days, counted in its time zone: the public incidents
        and the private ones whose channel `user_id` is in (a private incident's severity,
        hour or commander would tell anyone else it exists)."""
        zone = self.deps.settings.timezone
        query = StatsQuery.last_days(HEADLINE_DAYS, self.deps.clock.now(), zone,
                                     team_id=team_id or None)
        seen = await private_channels_seen(self.deps, query.team_id, user_id)
        found = await insights_for(self.deps, replace(query, private_channels_seen=seen))
        blocks = stats_headline(
            days=HEADLINE_DAYS, incidents=found.incidents, open_now=found.open,
            by_severity=found.by_severity, test=found.weekday_test, by_hour=found.by_hour,
            mitigate=found.time_to_mitigate, resolve=found.time_to_resolve,
            items=found.action_items, commanders=found.people, zone=zone.key)
        return Headline(found, blocks, words.headline_fallback(
            HEADLINE_DAYS, found.incidents, found.weekday_test))

    async def send_chart(self, user_id: str, headline: Headline) -> str:
        """Draw the heat map and send it to the person by direct message, where only they
        see it; returns what to tell them."""
        found = headline.insights
        if found.incidents == 0:
            return words.NO_CHART
        zone = self.deps.settings.timezone.key
        # Drawing takes a CPU-bound moment: in a thread, so acks are not held up meanwhile.
        png = await asyncio.to_thread(weekday_hour_heatmap, found.grid,
                                      title=words.chart_title(HEADLINE_DAYS, zone))
        channel = await self.deps.slack.open_direct_message(user_id)
        await self.deps.slack.upload_image(
            channel, filename="incident-starts-by-weekday-and-hour.png",
            title=words.chart_title(HEADLINE_DAYS, zone), content=png,
            comment=words.chart_comment(HEADLINE_DAYS, found.incidents))
        return words.CHART_SENT
