"""Roles, severity, status, updates, notes, action items, resolve and reopen — by command and
by the card's buttons — each recorded on the timeline and shown on the card in place."""

from __future__ import annotations

import pytest

from bot.devtools import payloads
from tests.support import rows
from tests.support.app_under_test import AppUnderTest
from tests.support.incident_steps import Opened, command, refusal, start_incident
from tests.support.slack_reading import card, card_action_ids, card_text, posted_texts

BOB = "<@U0BOB|bob>"


@pytest.fixture
async def opened(bot: AppUnderTest) -> Opened:
    return await start_incident(bot, "sev3 Checkout returns 500s")


async def test_a_handover_keeps_history_invites_and_edits_the_card_in_place(
        bot: AppUnderTest, opened: Opened) -> None:
    card_before = card(bot.slack, opened.channel_id)
    await command(bot, f"commander {BOB}", channel=opened.channel_id)

    history = await rows.roles(bot.engine, opened.number)
    assert [(r.role, r.user_id) for r in history] == [("commander", "U0ALICE"),
                                                      ("commander", "U0BOB")]
    assert history[0].ended_at is not None and history[0].ended_at == history[1].started_at
    assert history[1].ended_at is None
    assert "U0BOB" in bot.slack.channel(opened.channel_id).members

    after = card(bot.slack, opened.channel_id)
    assert after["ts"] == card_before["ts"]  # updated, not re-posted
    assert "*Commander*\n<@U0BOB>" in card_text(after)
    # Slack shows topics as plain text, so the commander is named rather than mentioned.
    assert "IC bob" in bot.slack.channel(opened.channel_id).topic["value"]
    assert any("<@U0BOB> is now *commander* (was <@U0ALICE>)" in text
               for text in posted_texts(bot.slack, opened.channel_id))
    entry = (await rows.timeline(bot.engine, opened.number))[-1]
    assert (entry.kind, entry.author_id) == ("role", "U0ALICE")
    # People are stored as ids, not in one chat tool's mention syntax.
    assert (entry.text, entry.subject_id, entry.previous_id) == ("commander", "U0BOB", "U0ALICE")


async def test_other_roles_come_from_the_configured_list(bot: AppUnderTest, opened: Opened) -> None:
    await command(bot, f"role Comms {BOB}", channel=opened.channel_id)
    assert "*Comms*\n<@U0BOB>" in card_text(card(bot.slack, opened.channel_id))
    said = await refusal(bot, f"role lawyer {BOB}", channel=opened.channel_id)
    assert "`lawyer` is not a role" in said and "`scribe`" in said


@pytest.mark.parametrize("bot_settings", [{"SITREP_ROLES": "commander,liaison"}])
async def test_a_team_can_name_its_own_roles(bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "Checkout down")
    await command(bot, f"role liaison {BOB}", channel=opened.channel_id)
    assert "*Liaison*\n<@U0BOB>" in card_text(card(bot.slack, opened.channel_id))
    said = await refusal(bot, f"role comms {BOB}", channel=opened.channel_id)
    assert said == "`comms` is not a role here. The roles are `commander`, `liaison`."


async def test_severity_and_status_changes_land_on_the_timeline_by_themselves(
        bot: AppUnderTest, opened: Opened) -> None:
    bot.slack.join_channel(opened.channel_id, "U0BOB")
    await command(bot, "sev 1", channel=opened.channel_id, user="U0BOB")
    await command(bot, "status identified", channel=opened.channel_id)
    await command(bot, "status monitoring", channel=opened.channel_id)

    stored = await rows.incident(bot.engine, opened.number)
    assert (stored.severity, stored.status) == (1, "monitoring")
    assert stored.mitigated_at is not None
    entries = [(e.kind, e.author_id, e.text)
               for e in await rows.timeline(bot.engine, opened.number)]
    assert entries[1:] == [
        ("severity", "U0BOB", "Severity changed from SEV3 to SEV1"),
        ("status", "U0ALICE", "Status changed from investigating to identified"),
        ("status", "U0ALICE", "Status changed from identified to monitoring"),
    ]
    shown = card_text(card(bot.slack, opened.channel_id))
    assert "SEV1" in shown and "Monitoring" in shown
    assert bot.slack.channel(opened.channel_id).topic["value"].startswith("SEV1 · monitoring")


@pytest.mark.parametrize("bot_settings", [{"SITREP_ANNOUNCE_CHANNEL": "C0GENERAL"}])
async def test_an_update_is_posted_here_and_announced(bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "Checkout down")
    await command(bot, "update Rolled back 4512; errors falling <!channel> &amp; <b>",
                  channel=opened.channel_id)
    here = posted_texts(bot.slack, opened.channel_id)[-1]
    announced = posted_texts(bot.slack, "C0GENERAL")[-1]
    for text in (here, announced):
        assert "Rolled back 4512; errors falling" in text
        assert "<!channel>" not in text and "<b>" not in text
    assert "<#" in announced
    entry = (await rows.timeline(bot.engine, opened.number))[-1]
    assert entry.kind == "update"
    assert entry.text == "Rolled back 4512; errors falling @channel & <b>"


async def test_a_note_goes_on_the_timeline_quietly(bot: AppUnderTest, opened: Opened) -> None:
    said = await refusal(bot, "note Grafana shows p99 at 4s", channel=opened.channel_id)
    assert said == "Added to INC-1's timeline."
    assert (await rows.timeline(bot.engine, opened.number))[-1].text == "Grafana shows p99 at 4s"


async def test_action_items_have_an_optional_owner(bot: AppUnderTest, opened: Opened) -> None:
    await command(bot, f"action Add an alert on checkout 5xx {BOB}",
                  channel=opened.channel_id)
    await command(bot, "action Write the runbook", channel=opened.channel_id)
    items = await rows.action_items(bot.engine)
    assert sorted((item.text, item.owner_id) for item in items) == [
        ("Add an alert on checkout 5xx", "U0BOB"), ("Write the runbook", None)]
    kinds = [e.kind for e in await rows.timeline(bot.engine, opened.number)]
    assert kinds[-2:] == ["action", "action"]


async def test_resolve_then_reopen(bot: AppUnderTest, opened: Opened) -> None:
    await command(bot, "resolve Bad deploy rolled back", channel=opened.channel_id)
    stored = await rows.incident(bot.engine, opened.number)
    assert stored.status == "resolved" and stored.resolved_at is not None
    assert stored.summary == "Bad deploy rolled back"
    assert any("resolved *INC-1*" in text for text in posted_texts(bot.slack, opened.channel_id))
    resolved_card = card(bot.slack, opened.channel_id)
    assert card_action_ids(resolved_card) == ["incident_reopen"]
    assert "Bad deploy rolled back" in card_text(resolved_card)

    said = await refusal(bot, "resolve", channel=opened.channel_id)
    assert said == "INC-1 is already resolved. Use `/incident reopen` if it is back."
    assert await refusal(bot, "sev 1", channel=opened.channel_id) == (
        "INC-1 is resolved. Run `/incident reopen` first to change its severity.")

    await command(bot, "reopen", channel=opened.channel_id)
    stored = await rows.incident(bot.engine, opened.number)
    assert (stored.status, stored.resolved_at) == ("investigating", None)
    assert "not resolved" in await refusal(bot, "reopen", channel=opened.channel_id)
    kinds = [e.kind for e in await rows.timeline(bot.engine, opened.number)]
    assert kinds[-2:] == ["resolved", "reopened"]


async def test_status_resolved_is_a_resolve(bot: AppUnderTest, opened: Opened) -> None:
    await command(bot, "status resolved", channel=opened.channel_id)
    assert (await rows.incident(bot.engine, opened.number)).resolved_at is not None


@pytest.mark.parametrize(("typed", "told"), [
    ("sev 7", "`7` is not a severity"),
    ("sev", "is not a severity"),
    ("status fixed", "`fixed` is not a status. Use one of `investigating`"),
    ("commander", "Mention them"),
    ("commander @nobody", "can't find a Slack user called `@nobody`"),
    (f"commander {BOB} and carol", "exactly one person"),
    ("role comms", "Mention them"),
    ("update", "needs some text"),
    ("note   ", "needs some text"),
    ("action", "needs some text"),
    ("sev 3", "already SEV3"),
    ("commander <@U0ALICE|alice>", "already the commander"),
    ("frobnicate", "I don't know `/incident frobnicate`"),
])
async def test_bad_input_is_explained_and_changes_nothing(bot: AppUnderTest, opened: Opened,
                                                          typed: str,
                                                          told: str) -> None:
    before = len(bot.slack.calls)
    stored_before = (await rows.incident(bot.engine, opened.number)).model_dump()
    said = await refusal(bot, typed, channel=opened.channel_id)
    assert told in said
    changes = {"chat.update", "conversations.setTopic", "chat.postMessage",
               "conversations.invite"}
    assert [c.method for c in bot.slack.calls[before:] if c.method in changes] == []
    assert [e.kind for e in await rows.timeline(bot.engine, opened.number)] == ["started"]
    assert (await rows.incident(bot.engine, opened.number)).model_dump() == stored_before
    assert [(r.role, r.user_id) for r in await rows.roles(bot.engine, opened.number)] == [
        ("commander", "U0ALICE")]


@pytest.mark.parametrize("typed", ["sev 1", "status identified", f"commander {BOB}",
                                   "update hi", "note hi", "resolve", "reopen", "action x"])
async def test_incident_commands_outside_an_incident_channel_say_where_to_run_them(
        bot: AppUnderTest, typed: str) -> None:
    said = await refusal(bot, typed, channel="C0GENERAL")
    assert "isn't an incident channel" in said and "`inc-" in said


async def test_a_failed_invite_still_hands_over_and_says_why(bot: AppUnderTest,
                                                            opened: Opened) -> None:
    bot.slack.fail("conversations.invite", "user_is_restricted")
    said = await refusal(bot, f"commander {BOB}", channel=opened.channel_id)
    assert said.startswith("<@U0BOB> is now commander, but I couldn't invite them")
    assert "user_is_restricted" in said
    # The role is Bob's, and the card and topic say so: nothing disagrees with the database.
    holders = await rows.roles(bot.engine, opened.number)
    assert [(r.user_id, r.ended_at is None) for r in holders] == [
        ("U0ALICE", False), ("U0BOB", True)]
    assert "*Commander*\n<@U0BOB>" in card_text(card(bot.slack, opened.channel_id))
    assert "IC bob" in bot.slack.channel(opened.channel_id).topic["value"]


@pytest.mark.parametrize(("error", "told"), [
    ("channel_not_found", "can't find that channel (channel_not_found)"),
    ("not_in_channel", "Invite it with `/invite @Sitrep`"),
])
async def test_slacks_refusal_of_a_change_is_one_plain_sentence(bot: AppUnderTest, opened: Opened,
                                                                error: str, told: str) -> None:
    bot.slack.fail("chat.postMessage", error)
    said = await refusal(bot, "sev 1", channel=opened.channel_id)
    assert told in said and "\n" not in said
    # The change itself was saved, so the card still shows it.
    assert (await rows.incident(bot.engine, opened.number)).severity == 1
    assert "SEV1" in card_text(card(bot.slack, opened.channel_id))


async def test_a_handover_posts_a_brief_for_the_next_commander(bot: AppUnderTest,
                                                               opened: Opened) -> None:
    await command(bot, "update Rolled back deploy 4512", channel=opened.channel_id)
    await command(bot, f"action Add a canary stage {BOB}", channel=opened.channel_id)
    await command(bot, f"handover {BOB}", channel=opened.channel_id)
    brief = posted_texts(bot.slack, opened.channel_id)[-1]
    assert brief.startswith("<@U0BOB>, you have the incident. *Handover brief for INC-1*")
    assert "SEV3, investigating, open for" in brief
    assert "*Roles:* commander <@U0BOB>" in brief
    assert "Rolled back deploy 4512" in brief
    assert "• Add a canary stage (<@U0BOB>)" in brief
    assert (await rows.roles(bot.engine, opened.number))[-1].user_id == "U0BOB"


# --- the card's controls ------------------------------------------------------------------

async def _press(bot: AppUnderTest, opened: Opened, action_id: str, *, value: str = "1",
                 selected: str | None = None, user: str = "U0BOB") -> None:
    # Bob is in the channel: only its members may change the incident.
    bot.slack.join_channel(opened.channel_id, "U0BOB")
    await bot.client.interaction(payloads.block_actions(
        user_id=user, channel_id=opened.channel_id, message=card(bot.slack, opened.channel_id),
        action_id=action_id, value=value, response_url=bot.slack.response_url("card"),
        selected_value=selected))
    await bot.settle()


async def test_the_card_selects_change_severity_and_status(bot: AppUnderTest,
                                                           opened: Opened) -> None:
    topics = len(bot.slack.calls_to("conversations.setTopic"))
    await _press(bot, opened, "incident_severity", selected="2")
    await bot.slack.wait_for_call("conversations.setTopic", count=topics + 1)
    await _press(bot, opened, "incident_status", selected="identified")
    await bot.slack.wait_for_call("conversations.setTopic", count=topics + 2)
    stored = await rows.incident(bot.engine, opened.number)
    assert (stored.severity, stored.status) == (2, "identified")
    assert [(e.kind, e.author_id) for e in await rows.timeline(bot.engine, opened.number)][1:] == [
        ("severity", "U0BOB"), ("status", "U0BOB")]


async def _submit_modal(bot: AppUnderTest, values: dict[str, dict[str, dict[str, object]]]) -> None:
    (opened_view, *_) = reversed(bot.slack.calls_to("views.open"))
    view = opened_view.args["view"]
    response = await bot.client.interaction(payloads.view_submission(
        user_id="U0BOB", view=view, values=values))  # type: ignore[arg-type]
    assert response.status == 200
    await bot.settle()


async def test_the_update_button_opens_a_form_that_posts_the_update(bot: AppUnderTest,
                                                                   opened: Opened) -> None:
    await _press(bot, opened, "incident_update")
    await bot.slack.wait_for_call("views.open")
    posts = len(bot.slack.calls_to("chat.postMessage"))
    await _submit_modal(bot, {"update_block": {"update": {"value": "Cache warmed"}}})
    await bot.slack.wait_for_call("chat.postMessage", count=posts + 1)
    assert "Cache warmed" in posted_texts(bot.slack, opened.channel_id)[-1]
    assert (await rows.timeline(bot.engine, opened.number))[-1].text == "Cache warmed"


async def test_the_update_form_answers_a_blank_update_next_to_the_field(
        bot: AppUnderTest, opened: Opened) -> None:
    view = {"id": "V1", "callback_id": "incident_update", "private_metadata": opened.channel_id}
    response = await bot.client.interaction(payloads.view_submission(
        user_id="U0BOB", view=view, values={"update_block": {"update": {"value": "  "}}}))
    assert response.json is not None and response.json["response_action"] == "errors"
    assert "needs some text" in response.json["errors"]["update_block"]
    assert [e.kind for e in await rows.timeline(bot.engine, opened.number)] == ["started"]


async def test_the_resolve_button_resolves_and_the_reopen_button_reopens(
        bot: AppUnderTest, opened: Opened) -> None:
    await _press(bot, opened, "incident_resolve")
    await bot.slack.wait_for_call("views.open")
    topics = len(bot.slack.calls_to("conversations.setTopic"))
    await _submit_modal(bot, {"summary_block": {"summary": {"value": "Config reverted"}}})
    await bot.slack.wait_for_call("conversations.setTopic", count=topics + 1)
    stored = await rows.incident(bot.engine, opened.number)
    assert (stored.status, stored.summary) == ("resolved", "Config reverted")

    # Alice declared it: by default the commander or the reporter reopens.
    await _press(bot, opened, "incident_reopen", user="U0ALICE")
    await bot.slack.wait_for_call("conversations.setTopic", count=topics + 2)
    assert (await rows.incident(bot.engine, opened.number)).status == "investigating"


async def test_a_stale_button_on_a_resolved_incident_is_explained(bot: AppUnderTest,
                                                                 opened: Opened) -> None:
    await command(bot, "resolve", channel=opened.channel_id)
    await _press(bot, opened, "incident_severity", selected="1")
    told = await bot.slack.wait_for_response("card")
    assert "is resolved" in told.body["text"]
    assert told.body["response_type"] == "ephemeral"
