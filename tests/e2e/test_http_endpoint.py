"""The request URL Slack posts to: `/incident help` and a card control through signed HTTP,
aiohttp and the real app; the signature check; Slack's URL verification."""

from __future__ import annotations

import logging

import pytest

from bot.devtools import payloads
from tests.support import rows
from tests.support.incident_steps import start_incident
from tests.support.served_bot import ServedBot
from tests.support.slack_reading import card, card_text
from tests.support.timeline_steps import processed


async def test_help_shows_usage_only_to_the_person_who_asked(bot: ServedBot) -> None:
    response = await bot.client.slash_command("help", user_id="U0ALICE")
    assert response.status == 200
    # A plain-text ack is shown only to the person who typed the command.
    assert response.json is None
    assert "`/incident help`" in response.message
    # Nothing is said in the channel for everyone to see.
    await bot.settle()
    assert bot.slack.calls_to("chat.postMessage") == []


async def test_a_request_with_a_bad_signature_is_refused(bot: ServedBot) -> None:
    response = await bot.client.slash_command("help", bad_signature=True)
    assert response.status == 401


async def test_slack_can_verify_the_request_url(bot: ServedBot) -> None:
    response = await bot.client.url_verification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWM")
    assert response.status == 200
    assert response.json == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWM"}


async def test_a_card_control_pressed_over_http_changes_the_incident(bot: ServedBot) -> None:
    opened = await start_incident(bot, "sev3 Checkout returns 500s")
    bot.slack.join_channel(opened.channel_id, "U0BOB")  # only members change an incident
    response = await bot.client.interaction(payloads.block_actions(
        user_id="U0BOB", channel_id=opened.channel_id, message=card(bot.slack, opened.channel_id),
        action_id="incident_severity", value="1", response_url=bot.slack.response_url("card"),
        selected_value="1"))
    assert response.status == 200
    await bot.settle()
    assert (await rows.incident(bot.engine, opened.number)).severity == 1
    assert "SEV1" in card_text(card(bot.slack, opened.channel_id))


async def test_timeline_events_over_http_are_kept_stored_once_and_must_be_signed(
        bot: ServedBot) -> None:
    opened = await start_incident(bot, "sev1 Payments down")
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "p99 at 4s on /pay")
    seen = await bot.client.event(payloads.message_event(channel=opened.channel_id,
                                                         message=message),
                                  event_id="EvHTTPMSG001")
    assert (seen.status, seen.text) == (200, "")
    # People react to a message they have read: its event is in hand by then. (One that
    # arrives after the reaction costs a read from Slack: tests/app/test_kept_messages.py.)
    await processed(bot, "EvHTTPMSG001")
    bot.slack.add_human_reaction(opened.channel_id, message["ts"], "U0ALICE", "pushpin")
    pin = payloads.reaction_event("reaction_added", user="U0ALICE", reaction="pushpin",
                                  channel=opened.channel_id, ts=message["ts"])
    for retry in (None, 1, 2):  # Slack's redeliveries of the same event
        response = await bot.client.event(pin, event_id="EvHTTPPIN001", retry_num=retry)
        assert response.status == 200
    await processed(bot, "EvHTTPPIN001")
    await bot.settle()
    (entry,) = await rows.marked(bot.engine)
    assert (entry.text, entry.author_name) == ("p99 at 4s on /pay", "bob")
    # Kept from its message event: marking it read nothing from Slack.
    assert bot.slack.calls_to("conversations.history") == []

    forged = await bot.client.event(payloads.reaction_event(
        "reaction_added", user="U0MALLORY", reaction="pushpin", channel=opened.channel_id,
        ts=message["ts"]), event_id="EvFORGED0001", bad_signature=True)
    assert forged.status == 401
    assert await rows.inbox_event(bot.engine, "EvFORGED0001") is None


async def test_a_pin_by_someone_of_another_team_takes_the_fast_path_to_the_timeline(
        bot: ServedBot) -> None:
    """In a Slack Connect channel the envelope's `team_id` is the vendor's; the fast path
    files the event under the installation and finds the incident by its channel."""
    opened = await start_incident(bot, "sev2 Edge errors")
    bot.slack.add_user("U0VENDOR", "vic", "Vic Vendor", team_id="T0VENDOR")
    bot.slack.channel(opened.channel_id).members.append("U0VENDOR")
    message = bot.slack.post_human_message(opened.channel_id, "U0VENDOR", "Purged the CDN")
    bot.slack.add_human_reaction(opened.channel_id, message["ts"], "U0VENDOR", "pushpin")
    response = await bot.client.event(
        payloads.reaction_event("reaction_added", user="U0VENDOR", reaction="pushpin",
                                channel=opened.channel_id, ts=message["ts"]),
        event_id="EvSHARED0001", actor_team_id="T0VENDOR")
    assert (response.status, response.text) == (200, "")
    await processed(bot, "EvSHARED0001")
    await bot.settle()
    (entry,) = await rows.marked(bot.engine)
    assert (entry.text, entry.author_name, entry.created_by) == (
        "Purged the CDN", "vic", "U0VENDOR")
async def test_slacks_app_rate_limited_notice_is_acknowledged_and_logged(
        bot: ServedBot, caplog: pytest.LogCaptureFixture) -> None:
    """Answered 404, it would add failed deliveries in the very minutes Slack is already
    dropping the app's events."""
    with caplog.at_level(logging.WARNING):
        response = await bot.client.app_rate_limited()
    assert response.status == 200
    (warning,) = [record for record in caplog.records if "app_rate_limited" in record.message]
    assert warning.levelno == logging.WARNING and "T0001" in warning.message
    assert bot.running.deps.tallies["app_rate_limited"] == 1
