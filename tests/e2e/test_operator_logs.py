"""What an operator reads in `sitrep serve`'s log, run as a real process: with
SITREP_LOG_FORMAT=json every line is one JSON object; each change to an incident is a line
naming it, with its number, team and the Slack request's id; what happens while an event
is handled carries the event's id; health probes and metrics scrapes leave no access line;
and no warning at start-up."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bot.devtools import payloads
from bot.devtools.signed_client import SignedSlackClient
from bot.devtools.slack_emulator import SlackEmulator
from bot.server import HEALTH_PATH
from tests.support.incident_steps import start_incident
from tests.support.serve_process import ServeProcess, start_serve_process
from tests.support.settings import make_settings
from tests.support.timeline_steps import new_event_id


@dataclass
class _Process:
    """The steps' view of a `sitrep serve` process (`tests/support/bot_under_test.Bot`)."""

    served: ServeProcess
    slack: SlackEmulator

    @property
    def client(self) -> SignedSlackClient:
        return self.served.client

    async def settle(self) -> None:
        await self.slack.wait_until_quiet()


async def _command(bot: _Process, text: str, channel: str) -> None:
    response = await bot.client.slash_command(text, channel_id=channel)
    assert response.status == 200, response.text
    await bot.settle()


def _lines(log: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert all(isinstance(line, dict) for line in lines)
    return lines


def _about(lines: list[dict[str, Any]], what: str) -> dict[str, Any]:
    (line,) = [line for line in lines if line.get("incident_event") == what]
    return line


async def test_a_json_log_names_incidents_requests_and_events(
        database_url: str, slack: SlackEmulator, tmp_path: Path) -> None:
    served = await start_serve_process(make_settings(database_url, slack), slack, tmp_path,
                                       more_environment={"SITREP_LOG_FORMAT": "json"})
    bot = _Process(served, slack)
    try:
        opened = await start_incident(bot, "sev2 Checkout returns 500s")
        await _command(bot, "sev 1", opened.channel_id)
        await _command(bot, "commander <@U0BOB|bob>", opened.channel_id)
        await _command(bot, "status identified", opened.channel_id)
        await _command(bot, "resolve Rolled back", opened.channel_id)
        await _command(bot, "reopen", opened.channel_id)
        # A reaction on a message the bot never heard of, while Slack cannot read it back.
        message = slack.post_human_message(opened.channel_id, "U0BOB", "Rolled back")
        slack.add_human_reaction(opened.channel_id, message["ts"], "U0ALICE", "pushpin")
        slack.fail("conversations.history", "internal_error")
        event_id = new_event_id()
        response = await bot.client.event(payloads.reaction_event(
            "reaction_added", user="U0ALICE", reaction="pushpin", channel=opened.channel_id,
            ts=message["ts"]), event_id=event_id)
        assert response.status == 200
        await slack.wait_for_call("conversations.history")
        async with aiohttp.ClientSession() as http:
            for path in (HEALTH_PATH, "/metrics"):
                async with http.get(served.url + path) as answered:
                    assert answered.status == 200
        status, log = await served.terminate()
    finally:
        await served.ensure_gone()
    assert status == 0

    lines = _lines(log)
    for line in lines:
        assert {"time", "level", "logger", "message"} <= line.keys(), line
    team = payloads.TEAM_ID
    started = _about(lines, "opened")
    assert started["message"] == f"INC-{opened.number} opened: SEV2, public, by U0ALICE in " \
                                 f"{opened.channel_id}"
    assert (started["level"], started["logger"]) == ("INFO", "sitrep.incidents")
    severity = _about(lines, "severity_changed")
    role = _about(lines, "role_assigned")
    status = _about(lines, "status_changed")
    resolved = _about(lines, "resolved")
    posted = _about(lines, "retrospective_posted")
    reopened = _about(lines, "reopened")
    number = f"INC-{opened.number}"
    assert severity["message"] == f"{number} severity SEV1 (was SEV2), by U0ALICE"
    assert role["message"] == f"{number} commander is now U0BOB (was U0ALICE), by U0ALICE"
    assert status["message"] == f"{number} status identified (was investigating), by U0ALICE"
    assert resolved["message"].startswith(f"{number} resolved after ")
    assert posted["message"] == f"{number} retrospective v1 posted as a canvas"
    assert reopened["message"] == f"{number} reopened, by U0ALICE"
    changes = (started, severity, role, status, resolved, reopened)
    for line in (*changes, posted):
        assert (line["incident"], line["team"]) == (opened.number, team), line
        assert line["request_id"], line
    # Each command is its own request; the retrospective is the resolve's work after its ack.
    assert len({line["request_id"] for line in changes}) == len(changes)
    assert posted["request_id"] == resolved["request_id"]

    handling = [line for line in lines if line.get("event_id") == event_id]
    assert any("conversations.history failed: internal_error" in line["message"]
               for line in handling), handling
    assert all(line["team"] == team for line in handling)

    access = [line for line in lines if line["logger"] == "aiohttp.access"]
    assert any(line["message"].startswith("POST /slack/events 200") for line in access)
    assert not [line for line in access if "/healthz" in line["message"]
                or "/metrics" in line["message"]]
    assert not [line for line in lines if line["level"] in {"WARNING", "ERROR"}
                and line.get("event_id") != event_id], "a warning nobody asked for"


async def test_a_text_log_at_start_up_is_free_of_warnings(
        database_url: str, slack: SlackEmulator, tmp_path: Path) -> None:
    served = await start_serve_process(make_settings(database_url, slack), slack, tmp_path)
    try:
        status, log = await served.terminate()
    finally:
        await served.ensure_gone()
    assert status == 0
    assert " INFO bot.server: Sitrep is serving on " in log
    # slack-bolt's "As you gave `client` as well, `token` will be unused." among others.
    assert not [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line]
    assert "GET /healthz" not in log
