"""Who may change an incident: the people in its channel, checked with Slack, whichever way
they ask (command, card, form); resolving and reopening as the team configures it."""

from __future__ import annotations

import pytest

from bot.devtools import payloads
from tests.support import rows
from tests.support.app_under_test import AppUnderTest
from tests.support.incident_steps import Opened, command, refusal, start_incident
from tests.support.slack_reading import card, posted_texts

CAROL = "U0CAROL"  # in the workspace, not in the incident's channel
BOB = "U0BOB"
CHANGES = ("chat.update", "conversations.setTopic", "chat.postMessage", "conversations.invite",
           "views.open")


@pytest.fixture
async def opened(bot: AppUnderTest) -> Opened:
    return await start_incident(bot, "sev3 Checkout returns 500s")


def _outsider(opened: Opened, deed: str = "change") -> str:
    return (f"Only people in <#{opened.channel_id}> can {deed} INC-{opened.number}; join the "
            "channel first.")


async def _unchanged(bot: AppUnderTest, opened: Opened, calls_before: int) -> None:
    """Nothing a person could see moved: no message, card, topic, invite or form."""
    assert [c.method for c in bot.slack.calls[calls_before:] if c.ok and c.method in CHANGES
            and c.args.get("channel") != CAROL] == []
    assert [e.kind for e in await rows.timeline(bot.engine, opened.number)] == ["started"]
    stored = await rows.incident(bot.engine, opened.number)
    assert (stored.severity, stored.status) == (3, "investigating")
    assert [(r.role, r.user_id) for r in await rows.roles(bot.engine, opened.number)] == [
        ("commander", "U0ALICE")]
    assert await rows.action_items(bot.engine) == []


@pytest.mark.parametrize(("typed", "deed"), [
    ("sev 1", "change"),
    ("commander <@U0CAROL|carol>", "change"),
    ("handover <@U0CAROL|carol>", "change"),
    ("role comms <@U0CAROL|carol>", "change"),
    ("status identified", "change"),
    ("update All good now", "change"),
    ("note Looks like DNS", "change"),
    ("action Write a runbook", "change"),
    ("resolve Fixed it", "resolve"),
    ("status resolved", "resolve"),
])
async def test_someone_outside_the_channel_cannot_change_the_incident(
        bot: AppUnderTest, opened: Opened, typed: str, deed: str) -> None:
    before = len(bot.slack.calls)
    said = await refusal(bot, typed, channel=opened.channel_id, user=CAROL)
    assert said == _outsider(opened, deed)
    await bot.settle()
    await _unchanged(bot, opened, before)
    assert CAROL not in bot.slack.channel(opened.channel_id).members


async def test_the_cards_controls_refuse_someone_outside_the_channel(
        bot: AppUnderTest, opened: Opened) -> None:
    before = len(bot.slack.calls)
    message = card(bot.slack, opened.channel_id)
    for action_id, selected in [("incident_severity", "1"), ("incident_status", "identified"),
                                ("incident_update", None), ("incident_resolve", None)]:
        response = await bot.client.interaction(payloads.block_actions(
            user_id=CAROL, channel_id=opened.channel_id, message=message, action_id=action_id,
            value="1", response_url=bot.slack.response_url(action_id),
            selected_value=selected))
        assert response.status == 200
        told = (await bot.slack.wait_for_response(action_id)).body
        deed = "resolve" if action_id == "incident_resolve" else "change"
        assert (told["text"], told["response_type"]) == (_outsider(opened, deed), "ephemeral")
    await bot.settle()
    await _unchanged(bot, opened, before)


async def test_a_form_is_checked_against_the_person_who_submits_it(
        bot: AppUnderTest, opened: Opened) -> None:
    """A form names its incident's channel in private_metadata; whoever submits it must be
    in that channel, as for a command."""
    message = bot.slack.post_human_message(opened.channel_id, "U0ALICE", "DNS is flapping")
    before = len(bot.slack.calls)
    forms = [
        ({"callback_id": "incident_update", "private_metadata": opened.channel_id},
         {"update_block": {"update": {"value": "Carol was here"}}}, "change"),
        ({"callback_id": "incident_resolve", "private_metadata": opened.channel_id},
         {"summary_block": {"summary": {"value": "Carol was here"}}}, "resolve"),
        ({"callback_id": "timeline_add",
          "private_metadata": f"{opened.channel_id} {message['ts']}"},
         {"kind_block": {"kind": {"selected_option": {"value": "key_event"}}}}, "change"),
    ]
    for view, values, deed in forms:
        response = await bot.client.interaction(payloads.view_submission(
            user_id=CAROL, view=view, values=values))
        assert response.status == 200
        await bot.settle()
        # Carol is not in the channel, so she is told by direct message.
        (told, *_) = reversed([call.args["text"] for call in bot.slack.calls_to(
            "chat.postMessage") if call.args["channel"] == CAROL])
        assert told == _outsider(opened, deed)
    await _unchanged(bot, opened, before)
    assert await rows.marked(bot.engine) == []
    assert not any("Carol was here" in text
                   for text in posted_texts(bot.slack, opened.channel_id))


async def test_someone_who_joins_the_channel_may_act_at_once(bot: AppUnderTest,
                                                              opened: Opened) -> None:
    assert await refusal(bot, "sev 2", channel=opened.channel_id, user=CAROL) == (
        _outsider(opened))
    bot.slack.join_channel(opened.channel_id, CAROL)
    await command(bot, "sev 2", channel=opened.channel_id, user=CAROL)
    assert (await rows.incident(bot.engine, opened.number)).severity == 2


async def test_someone_made_commander_may_act_at_once(bot: AppUnderTest, opened: Opened) -> None:
    await command(bot, "sev 2", channel=opened.channel_id)  # the member list is now known
    await command(bot, f"commander <@{BOB}|bob>", channel=opened.channel_id)
    await command(bot, "sev 1", channel=opened.channel_id, user=BOB)
    assert (await rows.incident(bot.engine, opened.number)).severity == 1


async def test_when_slack_cannot_say_who_is_in_the_channel_nothing_changes(
        bot: AppUnderTest, opened: Opened) -> None:
    bot.slack.fail("conversations.members", "fetch_members_failed")
    before = len(bot.slack.calls)
    said = await refusal(bot, "sev 1", channel=opened.channel_id, after_ack=True)
    assert said == (f"Nothing changed: I couldn't check with Slack that you're in "
                    f"<#{opened.channel_id}> (conversations.members: fetch_members_failed), "
                    "so please try again in a minute.")
    await _unchanged(bot, opened, before)
    # Once Slack answers again, so does the bot.
    await command(bot, "sev 1", channel=opened.channel_id)
    assert (await rows.incident(bot.engine, opened.number)).severity == 1


async def test_by_default_any_member_resolves_and_the_commander_or_reporter_reopens(
        bot: AppUnderTest, opened: Opened) -> None:
    bot.slack.join_channel(opened.channel_id, BOB)
    bot.slack.join_channel(opened.channel_id, CAROL)
    await command(bot, "resolve", channel=opened.channel_id, user=BOB)
    assert (await rows.incident(bot.engine, opened.number)).status == "resolved"

    assert await refusal(bot, "reopen", channel=opened.channel_id, user=BOB) == (
        "Only the commander or the person who declared the incident can reopen INC-1.")
    assert (await rows.incident(bot.engine, opened.number)).status == "resolved"
    await command(bot, "reopen", channel=opened.channel_id)  # Alice declared it
    assert (await rows.incident(bot.engine, opened.number)).status == "investigating"

    await command(bot, f"commander <@{CAROL}|carol>", channel=opened.channel_id)
    await command(bot, "resolve", channel=opened.channel_id, user=BOB)
    await command(bot, "reopen", channel=opened.channel_id, user=CAROL)  # the commander
    assert (await rows.incident(bot.engine, opened.number)).status == "investigating"


@pytest.mark.parametrize("bot_settings", [{"SITREP_RESOLVE_BY": "commander",
                                           "SITREP_REOPEN_BY": "member"}])
async def test_a_team_chooses_who_resolves_and_who_reopens(bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "Checkout down")
    bot.slack.join_channel(opened.channel_id, BOB)
    only_commander = "Only the commander can resolve INC-1."
    assert await refusal(bot, "resolve", channel=opened.channel_id, user=BOB) == only_commander
    assert await refusal(bot, "status resolved", channel=opened.channel_id,
                         user=BOB) == only_commander
    # The Resolve button does not open a form that would be refused.
    views = len(bot.slack.calls_to("views.open"))
    await bot.client.interaction(payloads.block_actions(
        user_id=BOB, channel_id=opened.channel_id, message=card(bot.slack, opened.channel_id),
        action_id="incident_resolve", value="1", response_url=bot.slack.response_url("resolve")))
    assert (await bot.slack.wait_for_response("resolve")).body["text"] == only_commander
    assert len(bot.slack.calls_to("views.open")) == views
    assert (await rows.incident(bot.engine, opened.number)).status == "investigating"

    await command(bot, "resolve", channel=opened.channel_id)  # Alice is the commander
    await command(bot, "reopen", channel=opened.channel_id, user=BOB)
    assert (await rows.incident(bot.engine, opened.number)).status == "investigating"


async def test_the_add_to_timeline_shortcut_refuses_someone_outside_the_channel(
        bot: AppUnderTest, opened: Opened) -> None:
    message = bot.slack.post_human_message(opened.channel_id, "U0ALICE", "DNS is flapping")
    await bot.client.interaction(payloads.message_action(
        user_id=CAROL, channel_id=opened.channel_id, message=message,
        callback_id="add_to_timeline", response_url=bot.slack.response_url("shortcut")))
    told = (await bot.slack.wait_for_response("shortcut")).body
    assert (told["text"], told["response_type"]) == (_outsider(opened), "ephemeral")
    assert bot.slack.calls_to("views.open") == []
