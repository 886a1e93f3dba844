"""Block Kit for `/incident stats`: the headline of the last days, compact, for the person
who asked. Shapes here; the sentences are `insights_wording`'s."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.stats import ActionItemCounts, CommanderLoad, Spread, WeekdayTest
from bot.slack import insights_wording as words
from bot.slack.blocks import Block, section


def stats_headline(*, days: int, incidents: int, open_now: int,
                   by_severity: dict[int, int], test: WeekdayTest,
                   by_hour: list[int], mitigate: Mapping[int, Spread],
                   resolve: Mapping[int, Spread], items: ActionItemCounts,
                   commanders: list[CommanderLoad], zone: str) -> list[Block]:
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": words.headline_title(days)}},
        section(words.headline_counts(incidents, open_now, by_severity)),
    ]
    if incidents == 0:
        blocks.append({"type": "context", "elements": [
            {"type": "mrkdwn", "text": words.headline_footer(zone, chart_offered=False)}]})
        return blocks
    peak = max(range(24), key=lambda hour: by_hour[hour])
    blocks += [
        section(f"{words.weekday_sentence(test)}\n{words.busiest_hour(peak, by_hour[peak])}"),
        {"type": "section", "fields": [
            {"type": "mrkdwn", "text": words.spreads_text("Time to mitigate", dict(mitigate))},
            {"type": "mrkdwn", "text": words.spreads_text("Time to resolve", dict(resolve))},
        ]},
        section(f"{words.action_items_line(items)}\n{words.commanders_text(commanders)}"),
        {"type": "context", "elements": [
            {"type": "mrkdwn", "text": words.headline_footer(zone, chart_offered=True)}]},
    ]
    return blocks
