"""The dashboard in a real browser: Debian's chromium, headless, driven by Playwright.

Signs in through the emulator's Sign in with Slack, opens the list, filters it (typing in
the search box, with the page's script, and with the form), opens an incident and reads its
timeline, the reminders said in its channel and its retrospective, opens insights. Every
page is photographed in light and dark mode under `artifacts/dashboard/` (or
$SITREP_TEST_ARTIFACTS), and checked by axe-core (bundled in axe-playwright-python): no
serious or critical violation."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Browser, Page, async_playwright, expect

from bot.devtools.slack_emulator import SlackEmulator
from tests.support.clock import MovableClock
from tests.support.dashboard import run_scheduled_until, serve_dashboard
from tests.support.incident_steps import command, start_incident
from tests.support.paths import REPO
from tests.support.retro_steps import resolve
from tests.support.rows import reminders_said
from tests.support.served_bot import ServedBot, stop
from tests.support.timeline_steps import react

CHROMIUM = os.environ.get("SITREP_TEST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("SITREP_TEST_ARTIFACTS", REPO / "artifacts")) / "dashboard"
SERIOUS = {"serious", "critical"}


@pytest.fixture
async def chromium() -> AsyncIterator[Browser]:
    if shutil.which(CHROMIUM) is None:
        if os.environ.get("SITREP_TEST_BROWSER_REQUIRED"):
            pytest.fail(f"no browser at {CHROMIUM}: apt-get install -y chromium")
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install -y chromium)")
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield browser
        finally:
            await browser.close()


@pytest.fixture
async def bot(database_url: str, slack: SlackEmulator) -> AsyncIterator[ServedBot]:
    running = await serve_dashboard(database_url, slack, clock=MovableClock())
    try:
        yield running
    finally:
        await stop(running)


async def an_afternoons_incidents(bot: ServedBot) -> tuple[int, int]:
    checkout = await start_incident(bot, "sev2 Checkout returns 500s")
    message = bot.slack.post_human_message(checkout.channel_id, "U0BOB",
                                           "Deploy 4512 is bad <script>alert(1)</script>")
    await react(bot, checkout.channel_id, message["ts"], "U0ALICE")
    await command(bot, "action Add a canary stage for payment deploys <@U0BOB|bob>",
                  channel=checkout.channel_id)
    await command(bot, "handover <@U0BOB|bob>", channel=checkout.channel_id)
    clock = bot.running.deps.clock
    assert isinstance(clock, MovableClock)
    clock.advance(hours=1)  # a SEV2's update reminder

    async def reminded() -> bool:
        return len(await reminders_said(bot.engine, checkout.number)) == 1

    await run_scheduled_until(bot, reminded)
    await resolve(bot, "resolve Rolled back 4512", channel=checkout.channel_id, user="U0BOB")
    search = await start_incident(bot, "sev3 Search is slow")
    return checkout.number, search.number


class Visit:
    """One page seen by the test: photographed in both colour schemes and checked by axe."""

    def __init__(self, page: Page, folder: Path) -> None:
        self.page = page
        self.folder = folder
        self.axe = Axe()

    async def check(self, name: str) -> None:
        for scheme in ("light", "dark"):
            await self.page.emulate_media(color_scheme=scheme)
            await self.page.screenshot(path=self.folder / f"{name}-{scheme}.png", full_page=True)
            results = await self.axe.run(self.page)
            serious = [f"{v['id']} ({v['impact']}): {v['help']} — "
                       f"{[n['target'] for n in v['nodes']][:3]}"
                       for v in results.response["violations"] if v["impact"] in SERIOUS]
            assert not serious, f"{name} ({scheme}): {serious}"


async def test_a_lead_browses_last_months_incident(
        bot: ServedBot, chromium: Browser, request: pytest.FixtureRequest) -> None:
    checkout, search = await an_afternoons_incidents(bot)
    folder = ARTIFACTS / request.node.callspec.id
    folder.mkdir(parents=True, exist_ok=True)
    context = await chromium.new_context()
    page = await context.new_page()
    scripts_refused: list[str] = []
    page.on("console", lambda message: scripts_refused.append(message.text)
            if "Content Security Policy" in message.text else None)
    visit = Visit(page, folder)

    # Signing in: the list, through Slack's (the emulator's) authorize page.
    await page.goto(bot.url + "/")
    await expect(page.get_by_role("heading", name="Incidents")).to_be_visible()
    rows = page.get_by_role("row")
    await expect(rows).to_have_count(3)
    await expect(page.get_by_role("link", name=f"INC-{checkout}")).to_be_visible()
    await visit.check("1-list")

    # The list filters as you type (the page's script), and by the form without it.
    async with page.expect_navigation():
        await page.get_by_label("Search").fill("checkout")
    await expect(rows).to_have_count(2)
    await expect(page.get_by_role("link", name=f"INC-{search}")).to_have_count(0)
    await page.get_by_label("Status").select_option("investigating")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_text("0 incidents match")).to_be_visible()
    await page.get_by_label("Status").select_option("resolved")
    await page.get_by_role("button", name="Filter").click()
    await expect(page.get_by_role("link", name=f"INC-{checkout}")).to_be_visible()
    await visit.check("2-list-filtered")

    # One incident: facts, the timeline with its links into Slack, the retrospective.
    await page.get_by_role("link", name=f"INC-{checkout}").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        f"INC-{checkout}: Checkout returns 500s")
    timeline = page.locator("ol.timeline")
    marked = timeline.get_by_role("listitem").filter(has_text="Deploy 4512 is bad")
    await expect(marked).to_contain_text("<script>alert(1)</script>")
    link = marked.get_by_role("link")
    assert (await link.get_attribute("href") or "").startswith("https://sitrep-test.slack.com/")
    await expect(page.get_by_role("cell", name="Add a canary stage for payment deploys")
                 ).to_be_visible()
    reminders = page.get_by_role("table", name="Reminders and nudges Sitrep said")
    await expect(reminders.get_by_role("row")).to_have_count(3)  # the header, and:
    await expect(reminders.get_by_role("row").nth(1)).to_contain_text(
        "Post a status update: none for 1 h")
    await expect(reminders.get_by_role("row").nth(1)).to_contain_text("Answered: resolved at")
    await expect(reminders.get_by_role("row").nth(2)).to_contain_text(
        "Schedule the retrospective review by")
    await expect(reminders.get_by_role("row").nth(2)).to_contain_text("Not marked held yet")
    retro = page.get_by_role("article", name="Retrospective, version 1")
    await expect(retro.get_by_role("heading", name="Timeline")).to_be_visible()
    await expect(retro).to_contain_text("Rolled back 4512")
    await visit.check("3-incident")

    # Insights: charts with their text alternatives, and the weekday test's sentence.
    await page.get_by_role("link", name="Insights").click()
    await expect(page.get_by_role("img", name="Incidents by weekday and hour")).to_be_visible()
    await expect(page.get_by_role("img", name="Incidents by severity")).to_be_visible()
    await expect(page.locator("#weekday-test")).not_to_be_empty()
    await visit.check("4-insights")

    # Keyboard first: the first Tab lands on the skip link.
    await page.keyboard.press("Tab")
    await expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    assert scripts_refused == []
    await context.close()
