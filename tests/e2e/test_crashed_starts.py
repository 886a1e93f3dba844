"""`/incident start` cut short: the process killed (SIGKILL) or stopped (SIGTERM) between two
steps, while Slack is working on its call. The next start-up finishes the incident when its
channel was made, abandons it when not, and tells the reporter either way; a stopped process
still exits promptly.

The first process is a real `sitrep serve`; the second is the same start-up in this process
(`bot.server.start_bot`) with a clock two minutes on, past the dead start's lease."""

from __future__ import annotations

import uuid
from pathlib import Path

from bot.core.settings import Settings
from bot.devtools.slack_emulator import SlackEmulator
from tests.support import rows
from tests.support.clock import MovableClock
from tests.support.incident_steps import start_incident
from tests.support.serve_process import ServeProcess, start_serve_process
from tests.support.served_bot import ServedBot, serve, stop
from tests.support.settings import make_settings
from tests.support.slack_reading import cards, direct_messages, posted_texts

ANNOUNCE = "C0GENERAL"
TITLE = "Checkout returns 500s"
CHANNEL_NAME = "inc-1-checkout-returns-500s"


def _settings(database_url: str, slack: SlackEmulator) -> Settings:
    return make_settings(database_url, slack, SITREP_ANNOUNCE_CHANNEL=ANNOUNCE)


async def _start_held_at(process: ServeProcess, slack: SlackEmulator, method: str) -> None:
    """`/incident start` until Slack has done `method`, its answer kept back."""
    slack.hold(method)
    response = await process.client.slash_command(f"start sev2 {TITLE}", user_id="U0ALICE",
                                                  channel_id=ANNOUNCE,
                                                  response_key=uuid.uuid4().hex)
    assert response.status == 200, response.text
    await slack.wait_for_call(method, timeout=30)


async def _restart_a_few_minutes_later(settings: Settings, slack: SlackEmulator) -> ServedBot:
    slack.release()
    later = MovableClock()
    later.advance(minutes=2)
    return await serve(settings, slack, clock=later)


async def _told(slack: SlackEmulator, user_id: str) -> str:
    """The one direct message the reporter gets once the cut-short start is dealt with."""
    while not direct_messages(slack, user_id):
        posts = len(slack.calls_to("chat.postMessage"))
        await slack.wait_for_call("chat.postMessage", count=posts + 1, timeout=10)
    await slack.wait_until_quiet()
    (only,) = direct_messages(slack, user_id)
    return only


async def test_a_start_killed_after_its_channel_was_made_is_finished_after_a_restart(
        database_url: str, slack: SlackEmulator, tmp_path: Path) -> None:
    settings = _settings(database_url, slack)
    first = await start_serve_process(settings, slack, tmp_path)
    try:
        await _start_held_at(first, slack, "conversations.invite")
    finally:
        await first.kill()
    channel = slack.channel_by_name(CHANNEL_NAME)
    assert channel is not None and not cards(slack, channel.id)

    second = await _restart_a_few_minutes_later(settings, slack)
    try:
        told = await _told(slack, "U0ALICE")
        assert "*INC-1* is open" in told and f"<#{channel.id}>" in told
        (card,) = cards(slack, channel.id)
        assert card["ts"] in channel.pins
        assert channel.topic["value"].startswith("SEV2 · investigating · IC alice · INC-1")
        assert "U0ALICE" in channel.members
        (announced,) = [text for text in posted_texts(slack, ANNOUNCE) if "INC-1" in text]
        assert f"<#{channel.id}>" in announced
        assert (await rows.incident(second.engine, 1)).card_ts == card["ts"]
        # The incident works like any other from here on.
        opened = await start_incident(second, "sev3 Search is slow")
        assert opened.number == 2
    finally:
        await stop(second)


async def test_a_start_killed_before_its_channel_was_recorded_is_abandoned_after_a_restart(
        database_url: str, slack: SlackEmulator, tmp_path: Path) -> None:
    settings = _settings(database_url, slack)
    first = await start_serve_process(settings, slack, tmp_path)
    try:
        # Slack makes the channel; the bot dies before it hears so.
        await _start_held_at(first, slack, "conversations.create")
    finally:
        await first.kill()

    second = await _restart_a_few_minutes_later(settings, slack)
    try:
        told = await _told(slack, "U0ALICE")
        assert TITLE in told and "was not opened" in told and "/incident start" in told
        orphan = slack.channel_by_name(CHANNEL_NAME)
        assert orphan is not None and orphan.is_archived
        assert await rows.incidents(second.engine) == []
        assert not [text for text in posted_texts(slack, ANNOUNCE) if "INC-1" in text]
        # The archived channel carries INC-1, so the next incident is INC-2.
        opened = await start_incident(second, "sev2 Checkout still failing")
        assert opened.number == 2
        assert slack.channel(opened.channel_id).name == "inc-2-checkout-still-failing"
    finally:
        await stop(second)


async def test_sigterm_during_a_start_stops_the_process_and_the_start_is_finished_later(
        database_url: str, slack: SlackEmulator, tmp_path: Path) -> None:
    settings = _settings(database_url, slack)
    first = await start_serve_process(settings, slack, tmp_path)
    try:
        # Slack stops answering: it does what it is asked, but no answer comes back.
        for method in ("conversations.archive", "chat.postMessage"):
            slack.hold(method)
        await _start_held_at(first, slack, "conversations.invite")
        status, log = await first.terminate()
    finally:
        await first.ensure_gone()
    assert status == 0
    assert "Traceback" not in log and "Stopped" in log
    channel = slack.channel_by_name(CHANNEL_NAME)
    assert channel is not None

    second = await _restart_a_few_minutes_later(settings, slack)
    try:
        told = await _told(slack, "U0ALICE")
        assert "*INC-1* is open" in told
        (card,) = cards(slack, channel.id)
        assert card["ts"] in channel.pins
    finally:
        await stop(second)
