"""The first end-to-end path: `/incident help` through signed HTTP, the real app, and Slack."""

from __future__ import annotations

import pytest

from bot.devtools.slack_emulator import SlackEmulator
from bot.server import start_bot

from .conftest import APP_TOKEN, Bot, make_settings

pytestmark = pytest.mark.asyncio


async def test_help_shows_usage_only_to_the_person_who_asked(bot: Bot) -> None:
    response = await bot.client.slash_command("help", user_id="U0ALICE")
    assert response.status == 200
    # A plain-text ack is shown only to the person who typed the command.
    assert response.json is None
    assert "`/incident help`" in response.message
    # Nothing is said in the channel for everyone to see.
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_an_empty_command_is_help(bot: Bot) -> None:
    response = await bot.client.slash_command("")
    assert "`/incident help`" in response.message


@pytest.mark.parametrize("typed", ["strat sev2 Checkout down", "resolv", "🔥"])
async def test_an_unknown_subcommand_is_answered_with_usage(bot: Bot, typed: str) -> None:
    response = await bot.client.slash_command(typed, user_id="U0BOB")
    assert response.status == 200
    text = response.message
    assert text.startswith(f"I don't know `/incident {typed.split()[0]}`.")
    assert "`/incident help`" in text
    assert bot.slack.calls_to("chat.postMessage") == []
    assert bot.slack.calls_to("conversations.create") == []


async def test_a_request_with_a_bad_signature_is_refused(bot: Bot) -> None:
    response = await bot.client.slash_command("help", bad_signature=True)
    assert response.status == 401


async def test_slack_can_verify_the_request_url(bot: Bot) -> None:
    response = await bot.client.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWM")
    assert response.status == 200
    assert response.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWM"}


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
