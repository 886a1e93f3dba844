"""`/incident stats` in Slack, end to end: a signed slash command in any channel, the last
90 days of the workspace's history in a compact Block Kit message only the person sees,
and the heat map drawn server-side and sent to them alone when they ask for it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.db.engine import session_factory
from bot.devtools.emulator_state import TEAM_ID
from bot.devtools.slack_emulator import SlackEmulator
from tests.support.app_under_test import AppUnderTest, app_under_test
from tests.support.clock import MovableClock
from tests.support.history import Past, write_history
from tests.support.incident_steps import start_incident
from tests.support.settings import make_settings

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
SKEWED = (10, 12, 9, 11, 25, 3, 2)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
async def bot(database_url: str, slack: SlackEmulator) -> AsyncIterator[AppUnderTest]:
    settings = make_settings(database_url, slack, SITREP_TIMEZONE="Europe/Berlin")
    async with app_under_test(settings, slack, clock=MovableClock(NOW)) as running:
        yield running


async def _history(bot: AppUnderTest) -> None:
    within = [Past(started=MONDAY + timedelta(days=day, hours=n % 8) - timedelta(weeks=n % 4),
                   severity=1 + n % 4, mitigated_after=timedelta(minutes=10 + n),
                   resolved_after=timedelta(hours=1 + n),
                   commanders=[("U0ANN", MONDAY + timedelta(days=day, hours=n % 8)
                                - timedelta(weeks=n % 4))], team_id=TEAM_ID)
              for day, count in enumerate(SKEWED) for n in range(count)]
    await write_history(session_factory(bot.engine), [
        *within,
        # Before the last 90 days, another workspace's, and a private one (even a count
        # would tell that it exists): none counts.
        Past(started=NOW - timedelta(days=120), team_id=TEAM_ID),
        Past(started=NOW - timedelta(days=3), team_id="T0OTHER"),
        Past(started=NOW - timedelta(days=2), severity=1, team_id=TEAM_ID, private=True),
    ])


def _texts(blocks: list[dict[str, Any]]) -> str:
    found: list[str] = []
    for block in blocks:
        for part in [block.get("text"), *block.get("fields", []),
                     *block.get("elements", [])]:
            if isinstance(part, dict) and "text" in part:
                found.append(str(part["text"]))
    return "\n".join(found)


async def test_the_headline_is_shown_only_to_the_person_in_any_channel(
        bot: AppUnderTest) -> None:
    await _history(bot)

    response = await bot.client.slash_command("stats", user_id="U0BOB",
                                              channel_id="C0GENERAL", response_key="stats")
    reply = (await bot.slack.wait_for_response("stats")).body
    await bot.settle()

    assert response.status == 200
    assert reply["response_type"] == "ephemeral"
    shown = _texts(reply["blocks"])
    assert "Incidents in the last 90 days" in shown
    assert "*72 incidents*" in shown
    assert "sev1 21 · sev2 19 · sev3 17 · sev4 15" in shown
    assert "Fridays stand out: 25 of 72, p = 8.8e-06." in shown
    assert "Time to mitigate" in shown and "Time to resolve" in shown
    assert "<@U0ANN>" in shown
    assert reply["text"].startswith("Incidents in the last 90 days: 72 incidents.")
    # Nothing said in the channel, no chart unasked.
    assert bot.slack.calls_to("chat.postMessage") == []
    assert bot.slack.calls_to("files.completeUploadExternal") == []


async def test_the_chart_is_drawn_and_sent_to_the_person_alone(bot: AppUnderTest) -> None:
    await _history(bot)

    await bot.client.slash_command("stats chart", user_id="U0BOB", channel_id="C0GENERAL",
                                   response_key="chart")
    headline = (await bot.slack.wait_for_response("chart")).body
    told = (await bot.slack.wait_for_response("chart")).body
    await bot.settle()

    assert "Fridays stand out" in _texts(headline["blocks"])
    assert told["text"] == "I've sent you the heat map in a direct message."
    (uploaded,) = bot.slack.files.values()
    assert uploaded.content is not None and uploaded.content.startswith(PNG_MAGIC)
    (share,) = uploaded.shares
    dm = bot.slack.workspace.dm_channel("U0BOB")
    assert (share.channel_id, share.kind) == (dm.id, "im")
    assert "last 90 days" in uploaded.title


async def test_no_chart_for_an_empty_history(bot: AppUnderTest) -> None:
    await bot.client.slash_command("stats chart", response_key="empty")
    headline = (await bot.slack.wait_for_response("empty")).body
    told = (await bot.slack.wait_for_response("empty")).body
    await bot.settle()

    assert "*0 incidents*" in _texts(headline["blocks"])
    assert "no heat map" in told["text"]
    assert bot.slack.files == {}


async def test_a_mistyped_argument_is_explained_and_nothing_is_done(
        bot: AppUnderTest) -> None:
    response = await bot.client.slash_command("stats friday")
    await bot.settle()

    assert "`/incident stats chart`" in response.message
    assert bot.slack.responses == []


async def test_help_lists_stats(bot: AppUnderTest) -> None:
    response = await bot.client.slash_command("help")
    assert "`/incident stats [chart]`" in response.message


async def test_a_private_incident_counts_only_for_its_channels_members(
        bot: AppUnderTest) -> None:
    """Its severity and commander in anyone's headline would tell whoever is being
    investigated that a security incident is open."""
    await start_incident(bot, "sev3 Slow search")
    await start_incident(bot, "--private sev1 Suspicious logins", user="U0BOB")
    clock = bot.deps.clock
    assert isinstance(clock, MovableClock)
    clock.advance(hours=1)  # an hour of commanding each

    await bot.client.slash_command("stats", user_id="U0ALICE", channel_id="C0GENERAL",
                                   response_key="outsider")
    shown = _texts((await bot.slack.wait_for_response("outsider")).body["blocks"])
    assert "*1 incident*" in shown
    assert "sev1 0" in shown and "<@U0BOB>" not in shown

    await bot.client.slash_command("stats", user_id="U0BOB", channel_id="C0GENERAL",
                                   response_key="member")
    shown = _texts((await bot.slack.wait_for_response("member")).body["blocks"])
    assert "*2 incidents*" in shown
    assert "sev1 1" in shown and "<@U0BOB>" in shown
    await bot.settle()
