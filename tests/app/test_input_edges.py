"""Input at the edges: out-of-range choices are refused before the ack, next to the field
in a form; a resolved incident takes no updates; text with NUL characters is stored
without them (PostgreSQL refuses NUL in text), from every path."""

from __future__ import annotations

import pytest

from bot.devtools import payloads
from tests.support import rows
from tests.support.app_under_test import AppUnderTest
from tests.support.incident_steps import Opened, command, refusal, start_incident
from tests.support.slack_reading import card, posted_texts
from tests.support.timeline_steps import deliver, react


@pytest.fixture
async def opened(bot: AppUnderTest) -> Opened:
    return await start_incident(bot, "sev3 Checkout returns 500s")


def _start_form(severity: str | None) -> dict[str, object]:
    chosen = {"selected_option": {"value": severity}} if severity is not None else {}
    return payloads.view_submission(user_id="U0BOB", view={"callback_id": "incident_start"},
                                    values={
        "title_block": {"title": {"type": "plain_text_input", "value": "Login broken"}},
        "severity_block": {"severity": {"type": "static_select", **chosen}}})


@pytest.mark.parametrize("severity", ["0", "9", "-1", "two", None])
async def test_the_start_form_refuses_a_severity_out_of_range_next_to_the_field(
        bot: AppUnderTest, severity: str | None) -> None:
    submitted = await bot.client.interaction(_start_form(severity))
    assert submitted.status == 200
    assert submitted.json is not None and submitted.json["response_action"] == "errors"
    assert "is not a severity. Use one of `1`, `2`, `3`, `4`" in (
        submitted.json["errors"]["severity_block"])
    await bot.settle()
    assert await rows.incidents(bot.engine) == []
    assert bot.slack.calls_to("conversations.create") == []


async def test_the_card_refuses_a_severity_out_of_range(bot: AppUnderTest,
                                                         opened: Opened) -> None:
    response = await bot.client.interaction(payloads.block_actions(
        user_id="U0ALICE", channel_id=opened.channel_id,
        message=card(bot.slack, opened.channel_id), action_id="incident_severity", value="1",
        response_url=bot.slack.response_url("sev"), selected_value="9"))
    assert response.status == 200
    told = (await bot.slack.wait_for_response("sev")).body
    assert told["response_type"] == "ephemeral"
    assert told["text"].startswith("`9` is not a severity.")
    assert (await rows.incident(bot.engine, opened.number)).severity == 3


async def test_a_resolved_incident_takes_no_updates(bot: AppUnderTest, opened: Opened) -> None:
    await command(bot, "resolve", channel=opened.channel_id)
    posts = len(posted_texts(bot.slack, opened.channel_id))
    said = await refusal(bot, "update Still broken?", channel=opened.channel_id)
    assert said == "INC-1 is resolved. Run `/incident reopen` first to post an update."

    # A stale Update button (or a form opened before the resolve) says the same.
    await bot.client.interaction(payloads.block_actions(
        user_id="U0ALICE", channel_id=opened.channel_id,
        message=card(bot.slack, opened.channel_id), action_id="incident_update", value="1",
        response_url=bot.slack.response_url("update")))
    assert (await bot.slack.wait_for_response("update")).body["text"] == said
    assert bot.slack.calls_to("views.open") == []
    await bot.client.interaction(payloads.view_submission(
        user_id="U0ALICE", view={"callback_id": "incident_update",
                                 "private_metadata": opened.channel_id},
        values={"update_block": {"update": {"value": "Still broken?"}}}))
    await bot.settle()
    assert bot.slack.ephemerals[-1]["text"] == said

    assert len(posted_texts(bot.slack, opened.channel_id)) == posts
    assert [e.kind for e in await rows.timeline(bot.engine, opened.number)][-1] == "resolved"


async def test_text_with_nul_characters_is_stored_without_them(bot: AppUnderTest,
                                                               opened: Opened) -> None:
    await command(bot, "note DNS\x00 flapping", channel=opened.channel_id)
    await command(bot, "update Rolled\x00 back", channel=opened.channel_id)
    await command(bot, "action Add\x00 an alert", channel=opened.channel_id)
    texts = [e.text for e in await rows.timeline(bot.engine, opened.number)][1:]
    assert texts == ["DNS flapping", "Rolled back", "Action item: Add an alert"]
    assert [item.text for item in await rows.action_items(bot.engine)] == ["Add an alert"]
    assert "Rolled back" in posted_texts(bot.slack, opened.channel_id)[-2]


async def test_only_nul_characters_are_no_text(bot: AppUnderTest, opened: Opened) -> None:
    said = await refusal(bot, "note \x00\x00", channel=opened.channel_id)
    assert said == "A note needs some text: `/incident note <text>`."


async def test_a_pinned_message_with_nul_characters_goes_on_the_timeline(
        bot: AppUnderTest, opened: Opened) -> None:
    # One the bot heard of as it was posted (kept), and one it reads from Slack at the pin.
    heard = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Deploy\x00 4512 is bad")
    await deliver(bot, payloads.message_event(channel=opened.channel_id, message=heard))
    unheard = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Rolling\x00 back")
    await react(bot, opened.channel_id, heard["ts"], "U0ALICE")
    await react(bot, opened.channel_id, unheard["ts"], "U0ALICE")

    assert sorted(entry.text for entry in await rows.marked(bot.engine)) == [
        "Deploy 4512 is bad", "Rolling back"]
    kept = {message.ts: message.text for message in await rows.kept_messages(bot.engine)}
    assert kept[heard["ts"]] == "Deploy 4512 is bad"


async def test_the_timeline_form_refuses_a_kind_that_is_not_configured(
        bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0ALICE", "DNS is flapping")
    submitted = await bot.client.interaction(payloads.view_submission(
        user_id="U0ALICE", view={"callback_id": "timeline_add",
                                 "private_metadata": f"{opened.channel_id} {message['ts']}"},
        values={"kind_block": {"kind": {"selected_option": {"value": "gossip"}}}}))
    assert submitted.json is not None and submitted.json["response_action"] == "errors"
    assert submitted.json["errors"] == {"kind_block": "`gossip` is not a timeline kind here."}
    await bot.settle()
    assert await rows.marked(bot.engine) == []
