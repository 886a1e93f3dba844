"""Private incidents: started private (`--private`, or the form's checkbox), or a channel
converted to private later, as security incidents are. Everything works there, with the
scopes app.yaml asks for (the emulator refuses what they don't cover); and nothing about a
private incident reaches the announce channel."""

from __future__ import annotations

import pytest

from bot.devtools import payloads
from tests.support import rows
from tests.support.app_under_test import AppUnderTest
from tests.support.incident_steps import command, start_incident
from tests.support.slack_reading import card, card_text, posted_texts
from tests.support.timeline_steps import react

ANNOUNCE = "C0GENERAL"
announcing = pytest.mark.parametrize("bot_settings", [{"SITREP_ANNOUNCE_CHANNEL": ANNOUNCE}])


@announcing
async def test_a_private_start_opens_a_private_room_and_announces_nothing(
        bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "--private sev1 Leaked deploy key", user="U0BOB")

    channel = bot.slack.channel(opened.channel_id)
    assert channel.is_private
    assert set(channel.members) == {bot.slack.bot_user_id, "U0BOB"}
    assert card(bot.slack, opened.channel_id)["ts"] in channel.pins
    assert channel.topic["value"].startswith("SEV1 · investigating · IC bob · INC-1")
    assert "private" in opened.reply
    assert posted_texts(bot.slack, ANNOUNCE) == []
    stored = await rows.incident(bot.engine, 1)
    assert (stored.title, stored.severity, stored.private) == ("Leaked deploy key", 1, True)

    # Nor any later news of it.
    await command(bot, "update Key rotated; auditing access logs", channel=opened.channel_id,
                  user="U0BOB")
    await command(bot, "resolve Key rotated, no use found", channel=opened.channel_id,
                  user="U0BOB")
    assert posted_texts(bot.slack, ANNOUNCE) == []


@announcing
async def test_a_public_start_is_still_announced(bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    assert not bot.slack.channel(opened.channel_id).is_private
    await command(bot, "update Rolled back", channel=opened.channel_id)
    assert len(posted_texts(bot.slack, ANNOUNCE)) == 2


async def test_pins_and_changes_keep_working_after_convert_to_private(
        bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "sev3 Odd logins from one ASN")
    before = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Seen from AS64500")
    bot.slack.convert_to_private(opened.channel_id)

    # The bot never heard of this message: it reads it from the now private channel.
    await react(bot, opened.channel_id, before["ts"], "U0ALICE")
    await command(bot, "sev 1", channel=opened.channel_id)

    (entry,) = await rows.marked(bot.engine)
    assert (entry.text, entry.author_name) == ("Seen from AS64500", "bob")
    assert "SEV1" in card_text(card(bot.slack, opened.channel_id))
    assert bot.slack.channel(opened.channel_id).topic["value"].startswith("SEV1")
    assert all(call.error != "missing_scope" for call in bot.slack.calls)


@announcing
async def test_a_channel_converted_to_private_is_no_longer_announced(
        bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "sev2 Suspicious admin logins")
    assert len(posted_texts(bot.slack, ANNOUNCE)) == 1
    bot.slack.convert_to_private(opened.channel_id)

    await command(bot, "update It is an account takeover", channel=opened.channel_id)
    await command(bot, "resolve Sessions revoked", channel=opened.channel_id)

    assert len(posted_texts(bot.slack, ANNOUNCE)) == 1
    assert (await rows.incident(bot.engine, opened.number)).private is True
    assert "It is an account takeover" in "\n".join(
        posted_texts(bot.slack, opened.channel_id))


@announcing
async def test_the_forms_checkbox_starts_a_private_incident(bot: AppUnderTest) -> None:
    await bot.client.slash_command("start --private", user_id="U0BOB")
    (opened,) = await bot.slack.wait_for_call("views.open")
    view = opened.args["view"]
    privacy = next(b for b in view["blocks"] if b["block_id"] == "private_block")
    # `start --private` without a title opens the form with the box already ticked.
    assert privacy["element"]["initial_options"][0]["value"] == "private"

    submitted = await bot.client.interaction(payloads.view_submission(
        user_id="U0BOB", view=view, values={
            "title_block": {"title": {"type": "plain_text_input", "value": "Phishing wave"}},
            "severity_block": {"severity": {"type": "static_select",
                                            "selected_option": {"value": "2"}}},
            "private_block": {"private": {"type": "checkboxes", "selected_options": [
                privacy["element"]["options"][0]]}}}))
    assert submitted.status == 200
    await bot.settle()

    channel = bot.slack.channel_by_name("inc-1-phishing-wave")
    assert channel is not None and channel.is_private
    assert posted_texts(bot.slack, ANNOUNCE) == []


async def test_the_form_left_unticked_starts_a_public_incident(bot: AppUnderTest) -> None:
    await bot.client.slash_command("start", user_id="U0BOB")
    (opened,) = await bot.slack.wait_for_call("views.open")
    view = opened.args["view"]
    privacy = next(b for b in view["blocks"] if b["block_id"] == "private_block")
    assert "initial_options" not in privacy["element"]
    await bot.client.interaction(payloads.view_submission(user_id="U0BOB", view=view, values={
        "title_block": {"title": {"type": "plain_text_input", "value": "Slow search"}},
        "severity_block": {"severity": {"type": "static_select",
                                        "selected_option": {"value": "3"}}},
        "private_block": {"private": {"type": "checkboxes", "selected_options": []}}}))
    await bot.settle()
    channel = bot.slack.channel_by_name("inc-1-slow-search")
    assert channel is not None and not channel.is_private
