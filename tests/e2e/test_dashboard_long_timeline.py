"""An incident whose timeline an alert storm has filled: its page shows the timeline a
page at a time, oldest first, instead of megabytes at once; the API still gives all."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.devtools.slack_emulator import SlackEmulator
from tests.support.dashboard import Browser, browser, serve_dashboard
from tests.support.history import write_timeline
from tests.support.incident_steps import start_incident
from tests.support.served_bot import ServedBot, stop


@pytest.fixture
async def bot(database_url: str, slack: SlackEmulator) -> AsyncIterator[ServedBot]:
    running = await serve_dashboard(database_url, slack)
    try:
        yield running
    finally:
        await stop(running)


@pytest.fixture
async def visitor(bot: ServedBot) -> AsyncIterator[Browser]:
    async with browser(bot.url) as opened:
        await opened.sign_in(bot.slack)
        yield opened


def notes_on(page: str) -> list[int]:
    return [int(part.split("<", 1)[0]) for part in page.split('class="what">note ')[1:]]


async def test_a_long_timeline_is_read_a_page_at_a_time(
        bot: ServedBot, visitor: Browser) -> None:
    opened = await start_incident(bot, "sev1 Alert storm")
    await bot.slack.wait_until_quiet()
    await write_timeline(bot.engine, opened.number, 1200,
                         first_at=datetime(2030, 1, 1, tzinfo=UTC))

    first = await (await visitor.get(f"/incidents/{opened.number}")).text()
    assert notes_on(first) == list(range(1, 500))  # the incident's own start is entry 1
    assert "Entries 1 to 500 of 1201, oldest first." in first
    assert "Earlier entries" not in first
    later = first.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert later == f"/incidents/{opened.number}?entries=2#timeline-title"

    second = await (await visitor.get(later.split("#", 1)[0])).text()
    assert notes_on(second) == list(range(500, 1000))
    assert "Entries 501 to 1000 of 1201" in second and "Earlier entries" in second

    past_the_end = await (await visitor.get(f"/incidents/{opened.number}?entries=99")).text()
    assert notes_on(past_the_end) == list(range(1000, 1201))
    assert "Entries 1001 to 1201 of 1201" in past_the_end
    assert "Later entries" not in past_the_end

    whole = await (await visitor.get(f"/api/incidents/{opened.number}")).json()
    assert len(whole["timeline"]) == 1201


async def test_a_short_timeline_shows_whole_with_no_page_links(
        bot: ServedBot, visitor: Browser) -> None:
    opened = await start_incident(bot, "sev3 Slow search")
    await bot.slack.wait_until_quiet()
    await write_timeline(bot.engine, opened.number, 3, first_at=datetime(2030, 1, 1, tzinfo=UTC))
    page = await (await visitor.get(f"/incidents/{opened.number}")).text()
    assert notes_on(page) == [1, 2, 3]
    assert "Timeline pages" not in page
