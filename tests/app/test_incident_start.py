"""`/incident start`: from one command to a room with a commander, a pinned card and a topic."""

from __future__ import annotations

import asyncio
import re

import pytest

from bot.app import RATE_LIMIT_RETRIES
from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator
from tests.support import rows
from tests.support.app_under_test import AppUnderTest, app_under_test
from tests.support.incident_steps import refusal, start_incident
from tests.support.retry_waits import RetryWaits
from tests.support.settings import make_settings
from tests.support.slack_reading import (
    card,
    card_action_ids,
    card_mrkdwn,
    card_text,
    posted_texts,
)


async def test_start_opens_a_room_with_a_commander_a_pinned_card_and_a_topic(
        bot: AppUnderTest) -> None:
    response = await bot.client.slash_command("start sev2 Checkout returns 500s",
                                              user_id="U0ALICE", response_key="start")
    # The ack comes back at once, before any of the Slack work.
    assert response.status == 200
    assert "Opening" in response.message

    reply = (await bot.slack.wait_for_response("start")).body
    assert reply["response_type"] == "ephemeral"
    channel = bot.slack.channel_by_name("inc-1-checkout-returns-500s")
    assert channel is not None
    assert f"<#{channel.id}>" in reply["text"] and "*INC-1*" in reply["text"]
    assert "U0ALICE" in channel.members

    message = card(bot.slack, channel.id)
    shown = card_text(message)
    assert shown.startswith("Checkout returns 500s\n*Incident*\nINC-1")
    assert "SEV2" in shown and "Investigating" in shown and "<@U0ALICE>" in shown
    assert message["ts"] in channel.pins
    assert card_action_ids(message) == ["incident_severity", "incident_status",
                                        "incident_update", "incident_resolve"]
    assert channel.topic["value"] == (
        "SEV2 · investigating · IC alice · INC-1: Checkout returns 500s")

    stored = await rows.incident(bot.engine, 1)
    assert (stored.severity, stored.status, stored.channel_id, stored.card_ts) == (
        2, "investigating", channel.id, message["ts"])
    assert [(r.role, r.user_id, r.ended_at) for r in await rows.roles(bot.engine, 1)] == [
        ("commander", "U0ALICE", None)]
    assert [entry.kind for entry in await rows.timeline(bot.engine, 1)] == ["started"]


async def test_incidents_are_numbered_one_two_three(bot: AppUnderTest) -> None:
    first = await start_incident(bot, "Checkout down")
    second = await start_incident(bot, "sev1 Search down")
    assert (first.number, second.number) == (1, 2)
    assert bot.slack.channel(second.channel_id).name == "inc-2-search-down"


@pytest.mark.parametrize("bot_settings", [{"SITREP_DEFAULT_SEVERITY": "4"}])
async def test_the_default_severity_is_configurable(bot: AppUnderTest) -> None:
    await start_incident(bot, "Dashboards slow")
    assert (await rows.incident(bot.engine, 1)).severity == 4


@pytest.mark.parametrize("bot_settings", [{"SITREP_ANNOUNCE_CHANNEL": "C0GENERAL"}])
async def test_a_new_incident_is_announced_with_a_link_to_its_room(bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "sev1 Payments failing")
    announcements = posted_texts(bot.slack, "C0GENERAL")
    assert len(announcements) == 1
    assert "*INC-1*" in announcements[0] and "SEV1" in announcements[0]
    assert f"<#{opened.channel_id}>" in announcements[0]


async def test_a_title_in_any_script_keeps_its_text_and_gets_an_ascii_channel_name(
        bot: AppUnderTest) -> None:
    title = "Ünïcödé 🔥 東京 cluster down"
    opened = await start_incident(bot, title)
    name = bot.slack.channel(opened.channel_id).name
    assert re.fullmatch(r"[a-z0-9_-]{1,80}", name)
    assert name.startswith("inc-1-unicode")
    assert card(bot.slack, opened.channel_id)["blocks"][0] == {
        "type": "header", "text": {"type": "plain_text", "text": title, "emoji": True}}
    assert (await rows.incident(bot.engine, 1)).title == title


@pytest.mark.parametrize("title", ["Several users can't log in", "Severe latency on API"])
async def test_a_title_may_begin_like_a_severity(bot: AppUnderTest, title: str) -> None:
    await start_incident(bot, title)
    stored = await rows.incident(bot.engine, 1)
    assert (stored.title, stored.severity) == (title, 3)


@pytest.mark.parametrize("bot_settings", [{"SITREP_ANNOUNCE_CHANNEL": "C0GENERAL"}])
async def test_a_failed_announcement_keeps_the_incident_and_tells_the_reporter(
        bot: AppUnderTest) -> None:
    # Nobody invited Sitrep to the announce channel, so Slack answers not_in_channel.
    general = bot.slack.channel("C0GENERAL")
    general.members = [member for member in general.members if member != "U0BOT"]
    opened = await start_incident(bot, "Checkout down")
    assert "couldn't announce it in <#C0GENERAL>" in opened.reply
    assert "not_in_channel" in opened.reply
    assert (await rows.incident(bot.engine, 1)).channel_id == opened.channel_id


async def test_a_taken_channel_name_is_skipped(bot: AppUnderTest) -> None:
    bot.slack.create_channel("inc-1-checkout-down")
    opened = await start_incident(bot, "Checkout down")
    assert bot.slack.channel(opened.channel_id).name == "inc-1-checkout-down-2"
    assert [call.error for call in bot.slack.calls_to("conversations.create")] == [
        "name_taken", None]


@pytest.mark.parametrize("bot_settings", [{"SITREP_ANNOUNCE_CHANNEL": "C0GENERAL"}])
async def test_text_from_the_title_never_pings_or_breaks_markup(bot: AppUnderTest) -> None:
    # Slack delivers an escaped command: `<!here>` is a real @here, &lt; a typed <.
    opened = await start_incident(bot, "sev2 <!here> DB &lt;primary&gt; &amp; replica down")
    stored = await rows.incident(bot.engine, opened.number)
    assert stored.title == "@here DB <primary> & replica down"
    shown = card(bot.slack, opened.channel_id)
    parsed_by_slack = [*posted_texts(bot.slack, opened.channel_id),
                       *posted_texts(bot.slack, "C0GENERAL"),
                       *card_mrkdwn(shown), shown["text"]]
    for text in parsed_by_slack:
        assert "<!here>" not in text and "<primary>" not in text
        assert "@here" not in text  # a word joiner keeps a bare @here from being parsed
    assert any("&lt;primary&gt; &amp; replica" in text for text in parsed_by_slack)
    # Topics are plain text to Slack: the title as typed, with no markup to parse.
    assert bot.slack.channel(opened.channel_id).topic["value"].endswith(
        "INC-1: @here DB <primary> & replica down")


@pytest.mark.parametrize(("typed", "told"), [
    ("start " + "x" * 151, "151 characters"),
    ("start sev9 Checkout down", "`9` is not a severity"),
    ("start sev9", "`9` is not a severity"),
])
async def test_a_bad_start_is_explained_and_changes_nothing(bot: AppUnderTest, typed: str,
                                                            told: str) -> None:
    said = await refusal(bot, typed, channel="C0GENERAL")
    assert told in said
    assert bot.slack.calls_to("conversations.create") == []
    assert await rows.incidents(bot.engine) == []


async def test_slacks_refusal_is_one_plain_sentence_and_leaves_no_incident(
        bot: AppUnderTest) -> None:
    bot.slack.fail("conversations.create", "missing_scope")
    said = await refusal(bot, "start Checkout down", channel="C0GENERAL", after_ack=True)
    assert "missing a permission" in said and "\n" not in said
    assert await rows.incidents(bot.engine) == []
    # The number was handed back: the next incident is still INC-1.
    assert (await start_incident(bot, "Checkout down")).number == 1


async def test_a_failure_after_the_channel_exists_archives_it_and_forgets_the_incident(
        bot: AppUnderTest) -> None:
    bot.slack.fail("pins.add", "restricted_action")
    said = await refusal(bot, "start Checkout down", channel="C0GENERAL", after_ack=True)
    assert "restricted_action" in said
    created = bot.slack.channel_by_name("inc-1-checkout-down")
    assert created is not None and created.is_archived
    assert await rows.incidents(bot.engine) == []


async def test_rate_limits_that_outlast_the_retries_are_explained(
        bot: AppUnderTest, retry_waits: RetryWaits) -> None:
    bot.slack.rate_limit("conversations.create", times=10, retry_after=1)
    said = await refusal(bot, "start Checkout down", channel="C0GENERAL", after_ack=True)
    assert "rate-limiting" in said
    assert await rows.incidents(bot.engine) == []
    # The client waited out Retry-After a few times before giving up.
    assert len(retry_waits.seconds) == RATE_LIMIT_RETRIES
    assert min(retry_waits.seconds) >= 1


async def test_twenty_simultaneous_starts_get_twenty_numbers_and_rooms(bot: AppUnderTest) -> None:
    replies = await asyncio.gather(*(start_incident(bot, f"Outage number {i}", user=user)
                                     for i, user in zip(range(20), ["U0ALICE", "U0BOB"] * 10,
                                                        strict=True)))
    assert sorted(opened.number for opened in replies) == list(range(1, 21))
    assert len({opened.channel_id for opened in replies}) == 20
    stored = await rows.incidents(bot.engine)
    assert [i.number for i in stored] == list(range(1, 21))
    assert len({i.channel_id for i in stored}) == 20


async def test_start_without_a_title_opens_a_form_that_does_the_same(bot: AppUnderTest) -> None:
    response = await bot.client.slash_command("start", user_id="U0BOB")
    assert response.status == 200
    (opened,) = await bot.slack.wait_for_call("views.open")
    view = opened.args["view"]
    assert view["callback_id"] == "incident_start"

    submitted = await bot.client.interaction(payloads.view_submission(
        user_id="U0BOB", view=view, values={
            "title_block": {"title": {"type": "plain_text_input", "value": "Login broken"}},
            "severity_block": {"severity": {"type": "static_select",
                                            "selected_option": {"value": "1"}}},
            "description_block": {"description": {"type": "plain_text_input",
                                                  "value": "SSO returns 502"}}}))
    assert submitted.status == 200
    dms = await bot.slack.wait_for_call("chat.postMessage", count=2)
    told = [call.args["text"] for call in dms if call.args["channel"] == "U0BOB"]
    assert told and "*INC-1* is open" in told[0]
    stored = await rows.incident(bot.engine, 1)
    assert (stored.title, stored.severity, stored.description, stored.reporter_id) == (
        "Login broken", 1, "SSO returns 502", "U0BOB")
    # The same room as the command makes: channel, member, pinned card, topic.
    channel = bot.slack.channel_by_name("inc-1-login-broken")
    assert channel is not None and "U0BOB" in channel.members
    shown = card(bot.slack, channel.id)
    assert shown["ts"] in channel.pins
    assert "SSO returns 502" in card_text(shown)
    assert channel.topic["value"] == "SEV1 · investigating · IC bob · INC-1: Login broken"


async def test_start_with_a_severity_and_no_title_opens_the_form_with_it_chosen(
        bot: AppUnderTest) -> None:
    response = await bot.client.slash_command("start sev1", user_id="U0BOB")
    assert response.status == 200
    (opened,) = await bot.slack.wait_for_call("views.open")
    severity = next(block for block in opened.args["view"]["blocks"]
                    if block["block_id"] == "severity_block")
    assert severity["element"]["initial_option"]["value"] == "1"
    assert await rows.incidents(bot.engine) == []


async def test_channels_take_the_team_s_prefix(database_url: str,
                                               slack: SlackEmulator) -> None:
    settings = make_settings(database_url, slack, SITREP_CHANNEL_PREFIX="incident")
    async with app_under_test(settings, slack) as bot:
        opened = await start_incident(bot, "sev2 Checkout returns 500s")
    assert slack.channel(opened.channel_id).name == "incident-1-checkout-returns-500s"


async def test_the_form_answers_a_blank_title_next_to_the_field(bot: AppUnderTest) -> None:
    view = {"id": "V1", "callback_id": "incident_start"}
    submitted = await bot.client.interaction(payloads.view_submission(
        user_id="U0BOB", view=view, values={
            "title_block": {"title": {"type": "plain_text_input", "value": "   "}},
            "severity_block": {"severity": {"type": "static_select",
                                            "selected_option": {"value": "2"}}}}))
    assert submitted.json is not None
    assert submitted.json["response_action"] == "errors"
    assert "needs a title" in submitted.json["errors"]["title_block"]
    assert await rows.incidents(bot.engine) == []
