"""Socket Mode: with an app-level token the bot connects out to Slack and answers there."""

from __future__ import annotations

from bot.devtools.slack_emulator import SlackEmulator
from bot.server import start_bot
from tests.support.settings import APP_TOKEN, make_settings


async def test_help_works_over_socket_mode(database_url: str, slack: SlackEmulator) -> None:
    settings = make_settings(database_url, slack, SLACK_APP_TOKEN=APP_TOKEN,
                             SLACK_SIGNING_SECRET=None)
    running = await start_bot(settings, port=0)
    try:
        await slack.wait_for_socket_connection(timeout=10)
        envelope_id = await slack.socket_mode_send(
            "slash_commands",
            {"command": "/incident", "text": "help", "user_id": "U0ALICE",
             "channel_id": "C0GENERAL", "team_id": "T0001", "trigger_id": "1.2.abc",
             "response_url": f"{slack.base_url}/response/socket-1"},
            accepts_response_payload=True,
        )
        ack = await slack.wait_for_socket_ack(envelope_id, timeout=10)
    finally:
        await running.stop()
    assert ack is not None
    assert "`/incident help`" in ack["text"]
    assert slack.calls_to("apps.connections.open")
