"""`sitrep demo` runs a whole incident with no workspace, no network and no set-up."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from tests.support.dashboard import browser
from tests.support.serve_process import free_port
from tests.support.sitrep_cli import CLI_TIMEOUT_S, clean_environment, run_sitrep


async def test_the_demo_runs_a_whole_incident_and_shows_what_slack_would(tmp_path: Path) -> None:
    # No tokens, no .env, no database: the demo brings its own Slack and throwaway SQLite.
    finished = await run_sitrep("demo", env=clean_environment(), cwd=tmp_path)
    assert finished.returncode == 0, finished.stderr
    shown = finished.stdout
    # It starts from an Alertmanager page: the incident opens by itself, and Alice, on call,
    # takes command from the card.
    assert "Alertmanager sends the group {'alertname': 'CheckoutErrorRate'} (firing, 1 alert)" \
        in shown
    assert (":rotating_light: *INC-1* (SEV2) paged by Alertmanager: Checkout returns 500s for "
            "card payments · join #inc-1-checkout-returns-500s-for-card-payments") in shown
    assert "Sitrep: :busts_in_silhouette: @Alice took command." in shown
    assert "Sitrep: :bell: New alert:" in shown
    assert "Alertmanager says 2 alerts are resolved (the incident stays open until someone " \
           "resolves it)" in shown
    assert "• <http://prometheus.example.org:9090/graph?g0.expr=CheckoutErrorRate&g0.tab=1|" \
           "CheckoutErrorRate resolved: Checkout returns 500s for card payments>" in shown
    # The card, pinned and edited in place to its final state.
    assert "Sitrep [pinned]: Checkout returns 500s for card payments" in shown
    assert ("*Incident*: INC-1 | *Severity*: :red_circle: SEV1 | *Status*: :white_check_mark: "
            "Resolved | *Commander*: @Bob | *Scribe*: @Carol") in shown
    assert "@Bob is now *commander* (was @Alice)" in shown
    assert "@Bob, you have the incident. *Handover brief for INC-1*" in shown
    assert "@Bob resolved *INC-1* after 1 h 31 min." in shown
    # An hour and more without an update: the commander is reminded, and snoozes.
    assert ("Sitrep: :alarm_clock: @Bob *INC-1* has had no update for 1 h 23 min: one every "
            "1 h while monitoring") in shown
    assert "[Post update] [Snooze 30m] [Snooze 1h] [Snooze 2h]" in shown
    assert "Bob presses [Snooze 1h]" in shown
    assert "Sitrep: :zzz: Update reminders snoozed by @Bob until" in shown
    # Pinned messages carry the bot's quiet confirmation, thread replies included.
    assert "Bob: Seeing 500s on /pay since 14:02, only card payments   [:pushpin: 1 " \
           ":spiral_note_pad: 1]" in shown
    assert "↳ Bob: Confirmed: 4512 changed the card tokeniser   [:pushpin: 1" in shown
    # Where the retrospective is, and what it says.
    # On the card, each alert on a line of its own with its labels under it.
    assert (":rotating_light: Paged by <http://alertmanager.example.org:9093|Alertmanager>\n"
            "      • <http://prometheus.example.org:9090/graph?g0.expr=CheckoutErrorRate&g0.tab=1"
            "|CheckoutErrorRate firing: Checkout returns 500s for card payments>\n"
            "         _Labels: instance=checkout-7d9f:8080") in shown
    assert re.search(r"\| commander \| @alice \| \d{4}-\d\d-\d\d 14:03 UTC", shown)
    assert "The retrospective draft is the canvas F" in shown
    assert "| Resolved | " in shown and "time to resolve: **1 h 31 min**" in shown
    assert "- [ ] Add a canary stage for payment deploys — owner @alice" in shown
    assert "Traceback" not in finished.stderr
    assert await asyncio.to_thread(os.listdir, tmp_path) == []  # nothing left behind


async def test_the_demo_leaves_its_incident_browsable_on_the_dashboard(tmp_path: Path) -> None:
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "demo", "--dashboard", "--port", str(port),
        env=clean_environment(), cwd=tmp_path, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    try:
        assert process.stdout is not None
        async with asyncio.timeout(CLI_TIMEOUT_S):
            while b"The dashboard is at" not in (line := await process.stdout.readline()):
                assert line, "the demo ended without serving the dashboard"
        url = f"http://127.0.0.1:{port}"
        assert f"The dashboard is at {url}/" in line.decode()
        async with browser(url) as visitor:
            listing = await visitor.get("/")  # signed in through the built-in Slack
            assert "Checkout returns 500s for card payments" in await listing.text()
            incident = await (await visitor.get("/incidents/1")).text()
            assert "Add a canary stage for payment deploys" in incident
            assert "Seeing 500s on /pay since 14:02" in incident
        process.send_signal(signal.SIGINT)
        async with asyncio.timeout(CLI_TIMEOUT_S):
            rest, errors = await process.communicate()
        assert process.returncode == 0, errors.decode()
        assert b"demo database is gone" in rest
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
