"""An incident whose timeline an alert storm has filled: its page shows the timeline a
page at a time, oldest first, instead of megabytes at once; the API still gives all."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.support.dashboard import Browser
from tests.support.history import write_timeline
from tests.support.incident_steps import start_incident
from tests.support.served_bot import ServedBot


def notes_on(page: str) -> list[int]:
    return [int(part.split("<", 1)[0]) for part in page.split('class="what">note ')[1:]]


async def test_a_long_timeline_is_read_a_page_at_a_time(
        dashboard: ServedBot, signed_in: Browser) -> None:
    opened = await start_incident(dashboard, "sev1 Alert storm")
    await dashboard.slack.wait_until_quiet()
    await write_timeline(dashboard.engine, opened.number, 1200,
                         first_at=datetime(2030, 1, 1, tzinfo=UTC))

    first = await (await signed_in.get(f"/incidents/{opened.number}")).text()
    assert notes_on(first) == list(range(1, 500))  # the incident's own start is entry 1
    assert "Entries 1 to 500 of 1201, oldest first." in first
    assert "Earlier entries" not in first
    later = first.split('rel="next"', 1)[0].rsplit('href="', 1)[1].split('"', 1)[0]
    assert later == f"/incidents/{opened.number}?entries=2#timeline-title"

    second = await (await signed_in.get(later.split("#", 1)[0])).text()
    assert notes_on(second) == list(range(500, 1000))
    assert "Entries 501 to 1000 of 1201" in second and "Earlier entries" in second

    past_the_end = await (await signed_in.get(f"/incidents/{opened.number}?entries=99")).text()
    assert notes_on(past_the_end) == list(range(1000, 1201))
    assert "Entries 1001 to 1201 of 1201" in past_the_end
    assert "Later entries" not in past_the_end

    whole = await (await signed_in.get(f"/api/incidents/{opened.number}")).json()
    assert len(whole["timeline"]) == 1201


async def test_a_short_timeline_shows_whole_with_no_page_links(
        dashboard: ServedBot, signed_in: Browser) -> None:
    opened = await start_incident(dashboard, "sev3 Slow search")
    await dashboard.slack.wait_until_quiet()
    await write_timeline(dashboard.engine, opened.number, 3,
                         first_at=datetime(2030, 1, 1, tzinfo=UTC))
    page = await (await signed_in.get(f"/incidents/{opened.number}")).text()
    assert notes_on(page) == [1, 2, 3]
    assert "Timeline pages" not in page
