"""Slack Connect and Enterprise Grid: people of other teams act in an incident channel, and
an org-wide install sends payloads with no team at all. The incident is the channel's,
whoever acts; the installation is the one that received the request.

The HTTP fast path for the same events: tests/e2e/test_http_endpoint.py."""

from __future__ import annotations

import pytest

from bot.devtools import payloads
from tests.support import rows
from tests.support.app_under_test import AppUnderTest
from tests.support.incident_steps import Opened, start_incident
from tests.support.slack_reading import card, card_text
from tests.support.timeline_steps import deliver, react

VENDOR, VENDOR_TEAM = "U0VENDOR", "T0VENDOR"


@pytest.fixture
async def shared(bot: AppUnderTest) -> Opened:
    """An incident whose channel is shared with a vendor's workspace, the vendor in it."""
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    bot.slack.add_user(VENDOR, "vic", "Vic Vendor", team_id=VENDOR_TEAM)
    bot.slack.channel(opened.channel_id).members.append(VENDOR)
    return opened


async def test_a_pin_by_someone_of_another_team_lands_on_the_timeline(
        bot: AppUnderTest, shared: Opened) -> None:
    message = bot.slack.post_human_message(shared.channel_id, VENDOR,
                                           "CDN purge finished at 14:10")
    await deliver(bot, payloads.message_event(channel=shared.channel_id, message=message),
                  actor_team_id=VENDOR_TEAM)
    event_id = await react(bot, shared.channel_id, message["ts"], VENDOR,
                           actor_team_id=VENDOR_TEAM)

    (entry,) = await rows.marked(bot.engine)
    assert (entry.text, entry.author_id, entry.author_name, entry.created_by) == (
        "CDN purge finished at 14:10", VENDOR, "vic", VENDOR)
    # Kept in the installation's inbox, not under the vendor's team.
    stored = await rows.inbox_event(bot.engine, event_id)
    assert stored is not None and stored.team_id == payloads.TEAM_ID
    (confirmation,) = bot.slack.calls_to("reactions.add")
    assert confirmation.args["timestamp"] == message["ts"]


async def test_a_colleagues_pin_of_a_colleagues_message_is_kept_too(
        bot: AppUnderTest, shared: Opened) -> None:
    """Someone of this team marks what the vendor wrote, and the other way round."""
    ours = bot.slack.post_human_message(shared.channel_id, "U0BOB", "Rolled back 4512")
    theirs = bot.slack.post_human_message(shared.channel_id, VENDOR, "Edge errors gone")
    await react(bot, shared.channel_id, ours["ts"], VENDOR, actor_team_id=VENDOR_TEAM)
    await react(bot, shared.channel_id, theirs["ts"], "U0ALICE")

    marked = {entry.text: entry.created_by for entry in await rows.marked(bot.engine)}
    assert marked == {"Rolled back 4512": VENDOR, "Edge errors gone": "U0ALICE"}


async def test_a_button_pressed_by_someone_of_another_team_works(
        bot: AppUnderTest, shared: Opened) -> None:
    response = await bot.client.interaction(payloads.block_actions(
        user_id=VENDOR, channel_id=shared.channel_id,
        message=card(bot.slack, shared.channel_id), action_id="incident_severity", value="1",
        response_url=bot.slack.response_url("vendor"), selected_value="1",
        actor_team_id=VENDOR_TEAM))
    assert response.status == 200
    await bot.settle()

    assert (await rows.incident(bot.engine, shared.number)).severity == 1
    assert "SEV1" in card_text(card(bot.slack, shared.channel_id))
    # Nobody was told "This isn't an incident channel".
    assert [r for r in bot.slack.responses if r.key == "vendor"] == []


async def test_an_org_wide_install_with_no_team_runs_an_incident(bot: AppUnderTest) -> None:
    response = await bot.client.slash_command("start sev3 Search is slow", user_id="U0ALICE",
                                              response_key="org", org_install=True)
    assert response.status == 200
    told = (await bot.slack.wait_for_response("org")).body["text"]
    assert "*INC-1*" in told
    await bot.settle()
    channel = bot.slack.channel_by_name("inc-1-search-is-slow")
    assert channel is not None
    # Numbered for the organisation, the installation that received the command.
    assert (await rows.incident(bot.engine, 1)).team_id == payloads.ENTERPRISE_ID

    # A card control: `team` is null in the payload. Bob joins first: only the channel's
    # members may change its incident.
    bot.slack.join_channel(channel.id, "U0BOB")
    pressed = await bot.client.interaction(payloads.block_actions(
        user_id="U0BOB", channel_id=channel.id, message=card(bot.slack, channel.id),
        action_id="incident_severity", value="1", response_url=bot.slack.response_url("card"),
        selected_value="1", org_install=True))
    assert pressed.status == 200
    await bot.settle()
    assert (await rows.incident(bot.engine, 1)).severity == 1

    # A 📌: `authorizations[0].team_id` is null.
    message = bot.slack.post_human_message(channel.id, "U0BOB", "Index rebuilt")
    await react(bot, channel.id, message["ts"], "U0CAROL", org_install=True)
    (entry,) = await rows.marked(bot.engine)
    assert entry.text == "Index rebuilt"
    assert [r for r in bot.slack.responses if r.key == "card"] == []


async def test_the_start_form_submitted_with_no_team_opens_the_incident(
        bot: AppUnderTest) -> None:
    await bot.client.slash_command("start", user_id="U0BOB", org_install=True)
    (opened,) = await bot.slack.wait_for_call("views.open")
    submitted = await bot.client.interaction(payloads.view_submission(
        user_id="U0BOB", view=opened.args["view"], org_install=True, values={
            "title_block": {"title": {"type": "plain_text_input", "value": "Login broken"}},
            "severity_block": {"severity": {"type": "static_select",
                                            "selected_option": {"value": "2"}}}}))
    assert submitted.status == 200
    await bot.settle()
    stored = await rows.incident(bot.engine, 1)
    assert (stored.title, stored.team_id) == ("Login broken", payloads.ENTERPRISE_ID)
    assert bot.slack.channel_by_name("inc-1-login-broken") is not None
