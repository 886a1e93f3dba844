"""What a person can type into the dashboard's address bar: whatever the query says, the
answer is a page or a JSON error that names the problem, never a 500."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.support.dashboard import Browser
from tests.support.incident_steps import start_incident
from tests.support.served_bot import ServedBot

ODD_LIST_QUERIES = [
    "page=%C2%B2",                      # a superscript two: a digit to str.isdigit, not to int
    "page=99999999999999999999999",     # past any database integer
    "page=-1", "page=0", "page=1.5",
    "per_page=%C2%B2", "per_page=0", "per_page=100000000000000000000",
    "from=9999-12-31", "to=9999-12-31", "from=0001-01-01", "to=0001-01-01",
    "q=%00", "q=50%25_off%5C", "q=" + "x" * 5000,
    "severity=%C2%B2", "status=%00",
]


@pytest.mark.parametrize("query", ODD_LIST_QUERIES)
async def test_an_odd_list_query_is_answered_never_a_500(
        dashboard: ServedBot, signed_in: Browser, query: str) -> None:
    await start_incident(dashboard, "sev2 Checkout returns 500s")
    page = await signed_in.get(f"/?{query}")
    assert page.status in {200, 400}, await page.text()
    assert "Something went wrong" not in await page.text()
    answer = await signed_in.get(f"/api/incidents?{query}")
    assert answer.status in {200, 400}, await answer.text()
    assert "error" not in (await answer.json()) or answer.status == 400


@pytest.mark.parametrize("path", [
    "/incidents/%C2%B2", "/incidents/1?version=%C2%B2", "/api/incidents/%C2%B2",
    "/api/incidents/1?version=%C2%B2", "/api/incidents/INC-%D9%A1",
])
async def test_an_odd_incident_address_is_not_found_or_refused_never_a_500(
        dashboard: ServedBot, signed_in: Browser, path: str) -> None:
    await start_incident(dashboard, "sev2 Checkout returns 500s")
    answer = await signed_in.get(path)
    assert answer.status in {200, 400, 404}, await answer.text()


@pytest.mark.parametrize("query", [
    "since=9999-12-31", "until=9999-12-31", "since=0001-01-01", "until=0001-01-01",
    "severity=%C2%B2",
])
async def test_an_odd_insights_query_is_answered_never_a_500(
        dashboard: ServedBot, signed_in: Browser, query: str) -> None:
    await start_incident(dashboard, "sev2 Checkout returns 500s")
    page = await signed_in.get(f"/insights?{query}")
    assert page.status in {200, 400}, await page.text()
    answer = await signed_in.get(f"/api/stats?{query}")
    assert answer.status in {200, 400}, await answer.text()


async def test_a_page_past_the_end_shows_the_last_page(
        dashboard: ServedBot, signed_in: Browser) -> None:
    for title in ("sev3 First", "sev3 Second", "sev3 Third"):
        await start_incident(dashboard, title)
    found = await (await signed_in.get("/api/incidents?per_page=2&page=9")).json()
    assert (found["page"], found["pages"], found["total"]) == (2, 2, 3)
    assert [i["title"] for i in found["incidents"]] == ["First"]
    by_number = await (await signed_in.get("/api/incidents?per_page=2&page=999999999")).json()
    assert by_number["page"] == 2


async def test_a_date_no_calendar_can_hold_is_named_and_ignored(
        dashboard: ServedBot, signed_in: Browser) -> None:
    await start_incident(dashboard, "sev2 Checkout returns 500s")
    page = await signed_in.get("/?to=9999-12-31")
    assert page.status == 400
    shown = await page.text()
    assert "“9999-12-31” is not a date" in shown and "Checkout returns 500s" in shown
    answer = await signed_in.get("/api/stats?until=9999-12-31")
    assert answer.status == 400
    assert "9999-12-31" in (await answer.json())["message"]


async def test_search_wildcards_match_only_themselves(
        dashboard: ServedBot, signed_in: Browser) -> None:
    await start_incident(dashboard, "sev3 Disk 100% full on db-1")
    await start_incident(dashboard, "sev3 Disk 90 full on db_2")
    for typed, titles in (("100%", ["Disk 100% full on db-1"]), ("%", ["Disk 100% full on db-1"]),
                          ("db_", ["Disk 90 full on db_2"]), ("_", ["Disk 90 full on db_2"])):
        found = await (await signed_in.get(f"/api/incidents?{urlencode({'q': typed})}")).json()
        assert [i["title"] for i in found["incidents"]] == titles, typed


async def test_dates_the_wrong_way_round_are_pointed_out(
        dashboard: ServedBot, signed_in: Browser) -> None:
    page = await signed_in.get("/?from=2026-11-30&to=2026-11-01")
    assert page.status == 400
    assert "The start date 2026-11-30 is after the end date 2026-11-01" in await page.text()
    answer = await signed_in.get("/api/incidents?from=2026-11-30&to=2026-11-01")
    assert (await answer.json())["error"] == "bad_query"
