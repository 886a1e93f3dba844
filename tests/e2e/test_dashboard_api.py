"""The JSON API: the same record as the pages, under the same rules, every answer as the
OpenAPI document at /api/openapi.json describes it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.devtools.slack_emulator import SlackEmulator
from tests.support.clock import MovableClock
from tests.support.dashboard import Browser, browser, serve_dashboard
from tests.support.incident_steps import command, start_incident
from tests.support.openapi_check import ApiContract
from tests.support.served_bot import ServedBot, stop
from tests.support.sitrep_cli import clean_environment, run_sitrep


@pytest.fixture(scope="module")
def contract() -> ApiContract:
    return ApiContract()


async def test_the_served_document_is_the_one_answers_are_checked_against(
        dashboard: ServedBot, signed_in: Browser, contract: ApiContract) -> None:
    served = await signed_in.get("/api/openapi.json")
    assert served.status == 200
    document = await served.json()
    assert {"/api/incidents", "/api/incidents/{number}", "/api/stats"} <= set(document["paths"])
    await contract.check(served)


async def test_an_incident_from_start_to_retrospective(
        dashboard: ServedBot, signed_in: Browser, contract: ApiContract) -> None:
    opened = await start_incident(dashboard, "sev2 Checkout returns 500s")
    await command(dashboard, "role scribe <@U0CAROL|carol>", channel=opened.channel_id)
    await command(dashboard, "note Rolled back deploy 4512", channel=opened.channel_id)
    await command(dashboard, "action Add a canary stage <@U0BOB|bob>", channel=opened.channel_id)
    await command(dashboard, "resolve Deploy 4512 broke card payments", channel=opened.channel_id)
    await dashboard.slack.wait_until_quiet()

    answer = await signed_in.get(f"/api/incidents/INC-{opened.number}")
    await contract.check(answer)
    record = await answer.json()
    assert record["label"] == f"INC-{opened.number}"
    assert record["status"] == "resolved"
    assert record["summary"] == "Deploy 4512 broke card payments"
    assert record["roles_now"]["scribe"] == {"id": "U0CAROL", "name": "carol"}
    assert "Rolled back deploy 4512" in [line["text"] for line in record["timeline"]]
    assert record["action_items"] == [{"text": "Add a canary stage", "owner": {
        "id": "U0BOB", "name": "bob"}, "due_on": None, "done": False, "done_at": None}]
    assert [v["version"] for v in record["retrospectives"]] == [1]
    assert "Checkout returns 500s" in record["retrospective"]["markdown"]

    listing = await signed_in.get("/api/incidents?status=resolved&severity=2&q=checkout")
    await contract.check(listing)
    assert [i["number"] for i in (await listing.json())["incidents"]] == [opened.number]


async def test_the_list_is_newest_first_and_paginated(
        dashboard: ServedBot, signed_in: Browser, contract: ApiContract) -> None:
    numbers = [(await start_incident(dashboard, f"sev3 Problem {n}")).number for n in range(3)]
    first = await signed_in.get("/api/incidents?per_page=2")
    await contract.check(first)
    page = await first.json()
    assert (page["total"], page["pages"]) == (3, 2)
    assert [i["number"] for i in page["incidents"]] == numbers[::-1][:2]
    second = await (await signed_in.get("/api/incidents?per_page=2&page=2")).json()
    assert [i["number"] for i in second["incidents"]] == [numbers[0]]


async def test_refusals_are_described_too(
        dashboard: ServedBot, signed_in: Browser, contract: ApiContract) -> None:
    for path, status in (("/api/incidents/999", 404), ("/api/incidents?from=yesterday", 400),
                         ("/api/stats?severity=9", 400)):
        answer = await signed_in.get(path)
        assert answer.status == status
        await contract.check(answer)
    async with browser(dashboard.url) as stranger:
        refused = await stranger.get("/api/incidents")
        assert refused.status == 401
        await contract.check(refused)


async def test_stats_are_the_insights_use_cases_object(
        dashboard: ServedBot, signed_in: Browser, contract: ApiContract) -> None:
    opened = await start_incident(dashboard, "sev1 Database down")
    await command(dashboard, "resolve Failed over", channel=opened.channel_id)
    answer = await signed_in.get("/api/stats")
    await contract.check(answer)
    stats = await answer.json()
    assert stats["incidents"] == 1
    assert stats["by_severity"]["1"] == 1
    assert stats["time_to_resolve"]["1"]["n"] == 1
    assert sum(stats["by_weekday"].values()) == 1


async def test_dates_are_days_in_the_teams_time_zone_and_sessions_end(
        database_url: str, slack: SlackEmulator, contract: ApiContract) -> None:
    clock = MovableClock(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))  # 31 Oct in UTC
    served = await serve_dashboard(database_url, slack, clock=clock,
                                   SITREP_TIMEZONE="Europe/Berlin")  # 1 Nov 00:30 there
    try:
        early = await start_incident(served, "sev3 Halloween night outage")
        clock.advance(days=20)
        late = await start_incident(served, "sev3 November outage")
        async with browser(served.url) as visitor:
            await visitor.sign_in(slack)
            for query, expected in (("from=2026-11-01", [late.number, early.number]),
                                    ("to=2026-10-31", []),
                                    ("from=2026-11-02&to=2026-11-30", [late.number]),
                                    ("to=2026-11-01", [early.number])):
                answer = await visitor.get(f"/api/incidents?{query}")
                await contract.check(answer)
                assert [i["number"] for i in (await answer.json())["incidents"]] == expected, \
                    query
            clock.advance(hours=11)
            assert (await visitor.get("/api/incidents")).status == 401
            assert (await visitor.get("/", follow=False)).status == 302
    finally:
        await stop(served)


async def test_an_imported_incident_reads_like_the_others(
        dashboard: ServedBot, signed_in: Browser, contract: ApiContract, tmp_path: Path) -> None:
    """Brought in with `sitrep import`: no channel, no reporter Sitrep knows, a commander
    known only by an email, and still a page and an answer like any incident's."""
    opened = await start_incident(dashboard, "sev2 Checkout returns 500s")
    history = tmp_path / "history.csv"
    history.write_text(
        "id,title,severity,started_at,mitigated_at,resolved_at,commander,summary\n"
        "PD-7,Search down,1,2026-03-06T09:00+00:00,2026-03-06T09:40+00:00,"
        "2026-03-06T11:00+00:00,dana@example.com,Index rebuilt\n", encoding="utf-8")
    imported = await run_sitrep("import", str(history), cwd=tmp_path, env=clean_environment(
        DATABASE_URL=dashboard.settings.database_url))
    assert imported.returncode == 0, imported.stderr
    number = opened.number + 1

    answer = await signed_in.get(f"/api/incidents/INC-{number}")
    await contract.check(answer)
    record = await answer.json()
    assert (record["title"], record["reporter"], record["channel_url"]) == (
        "Search down", None, None)
    assert record["roles"][0]["person"] == {"id": "dana@example.com",
                                            "name": "dana@example.com"}
    assert record["roles_now"] == {}
    page = await signed_in.get(f"/incidents/{number}")
    assert page.status == 200
    shown = await page.text()
    assert "dana@example.com" in shown and "where it is PD-7" in shown
    assert "Reported by" not in shown
    # Nobody Sitrep does not know was looked up in Slack.
    assert not [call for call in dashboard.slack.calls_to("users.info")
                if not call.args.get("user")]


async def test_an_incident_still_open_has_no_retrospective_yet_and_says_so(
        dashboard: ServedBot, signed_in: Browser, contract: ApiContract) -> None:
    opened = await start_incident(dashboard, "sev2 Checkout returns 500s")
    page = await (await signed_in.get(f"/incidents/{opened.number}")).text()
    assert "No retrospective yet" in page and "Resolved" not in page
    listing = await (await signed_in.get("/")).text()
    assert "<td>open</td>" in listing
    answer = await signed_in.get(f"/api/incidents/{opened.number}")
    await contract.check(answer)
    record = await answer.json()
    assert (record["resolved_at"], record["retrospective"], record["retrospectives"]) == \
        (None, None, [])

    await command(dashboard, "resolve Deploy 4512 broke card payments", channel=opened.channel_id)
    await dashboard.slack.wait_until_quiet()
    asked_for_a_missing_version = await signed_in.get(f"/incidents/{opened.number}?version=99")
    shown = await asked_for_a_missing_version.text()
    assert asked_for_a_missing_version.status == 200
    assert "No retrospective yet" not in shown and 'aria-current="page">Version 1' in shown


async def test_every_time_shown_is_the_teams_local_time(
        database_url: str, slack: SlackEmulator) -> None:
    """03:15 UTC on Monday is still Sunday evening in New York, where the team works."""
    clock = MovableClock(datetime(2026, 11, 30, 3, 15, tzinfo=UTC))
    served = await serve_dashboard(database_url, slack, clock=clock,
                                   SITREP_TIMEZONE="America/New_York")
    try:
        opened = await start_incident(served, "sev2 Checkout returns 500s")
        async with browser(served.url) as visitor:
            await visitor.sign_in(slack)
            listing = await (await visitor.get("/")).text()
            assert ">2026-11-29 22:15</time>" in listing
            page = await (await visitor.get(f"/incidents/{opened.number}")).text()
            timeline = page[page.index('id="timeline-title"'):page.index('id="reminders-title"')]
            assert ">2026-11-29 22:15</time>" in page.split('id="roles-title"')[0]
            assert ">2026-11-29 22:15</time>" in timeline
            assert "Times are in America/New_York." in page
            sunday = await (await visitor.get("/api/incidents?to=2026-11-29")).json()
            monday = await (await visitor.get("/api/incidents?from=2026-11-30")).json()
            assert (sunday["total"], monday["total"]) == (1, 0)
            stats = await (await visitor.get("/api/stats")).json()
            assert (stats["by_weekday"]["Sun"], stats["by_hour"]["22"]) == (1, 1)
    finally:
        await stop(served)
