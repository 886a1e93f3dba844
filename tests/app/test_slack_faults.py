"""Slack having a bad moment: a 5xx with a text body, an answer that never comes, a long
Retry-After. The person is told plainly, the card catches up once Slack answers again (even
across a restart), and a channel Slack made without saying so is neither left behind nor
made twice."""

from __future__ import annotations

import dataclasses
import uuid

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app import build_web_client
from bot.deps import Deps
from bot.devtools.slack_emulator import SlackEmulator
from bot.slack import wording
from bot.slack.failures import SlackFailure
from bot.slack.gateway import SlackGateway
from bot.slack.retry_handlers import MAX_RETRY_AFTER_S
from bot.usecases.card_repair import CardRepair
from bot.usecases.lifecycle import Lifecycle, Started, Where
from handlers import replies
from tests.support import rows
from tests.support.app_under_test import AppUnderTest, make_deps, stop_background_work
from tests.support.incident_steps import start_incident
from tests.support.retry_waits import RetryWaits
from tests.support.slack_reading import card, card_text

TEAM = "T0001"
# More 5xx answers than the client retries, so the failure reaches the bot.
OUTLASTING_RETRIES = 5
# The emulator answers this late; the client below gives up long before.
SLOW_ANSWER_S = 3.0
CLIENT_TIMEOUT_S = 0.5


def _impatient(deps: Deps) -> Deps:
    """The bot with a short Web API timeout, so a test meets it without waiting 30 s."""
    return dataclasses.replace(deps, slack=SlackGateway(
        build_web_client(deps.settings, timeout=CLIENT_TIMEOUT_S)))


def _inc_channels(slack: SlackEmulator, number: int) -> list[str]:
    return sorted(channel.name for channel in slack.workspace.channels.values()
                  if channel.name.startswith(f"inc-{number}-"))


async def _told(bot: AppUnderTest, text: str, *, channel: str) -> list[str]:
    """Run `/incident <text>`; everything the person was told privately after the ack."""
    key = uuid.uuid4().hex
    response = await bot.client.slash_command(text, channel_id=channel, response_key=key)
    assert response.status == 200, response.text
    await bot.settle()
    return [str(reply.body["text"]) for reply in bot.slack.responses if reply.key == key]


async def _start(deps: Deps, title: str = "Checkout returns 500s") -> Started:
    return await Lifecycle(deps).start(team_id=TEAM, reporter_id="U0ALICE", title=title,
                                       severity=3, description=None)


# --- item 6: a 5xx with a text body ------------------------------------------------------------

async def test_a_5xx_with_a_text_body_is_told_plainly_and_the_card_catches_up_later(
        bot: AppUnderTest, retry_waits: RetryWaits) -> None:
    opened = await start_incident(bot, "sev3 Checkout returns 500s")
    bot.slack.server_error("chat.update", times=OUTLASTING_RETRIES, status=502)

    (said,) = await _told(bot, "sev 1", channel=opened.channel_id)

    assert said != wording.APOLOGY and "chat.update" in said and "http_502" in said
    assert (await rows.incident(bot.engine, opened.number)).severity == 1
    assert "SEV3" in card_text(card(bot.slack, opened.channel_id))  # Slack refused the redraw
    bot.slack.clear_faults()

    assert await CardRepair(bot.deps).redraw_stale() == 1

    assert "SEV1" in card_text(card(bot.slack, opened.channel_id))
    assert (await rows.incident(bot.engine, opened.number)).card_stale == 0
    assert await CardRepair(bot.deps).redraw_stale() == 0  # nothing left to redraw


async def test_a_card_slack_refused_is_redrawn_by_the_next_process(
        bot: AppUnderTest, retry_waits: RetryWaits) -> None:
    opened = await start_incident(bot, "sev3 Checkout returns 500s")
    bot.slack.server_error("conversations.setTopic", times=OUTLASTING_RETRIES, status=503)
    said = await _told(bot, "status identified", channel=opened.channel_id)
    # Slack's 503s are retried a little first, and the person hears it is slow.
    assert said[0] == wording.SLACK_IS_SLOW and "conversations.setTopic" in said[-1]
    bot.slack.clear_faults()

    # A restart: a new process with nothing in memory but the same database.
    restarted = make_deps(bot.settings, bot.engine)
    try:
        assert await CardRepair(restarted).redraw_stale() == 1
    finally:
        await stop_background_work(restarted)
    assert bot.slack.channel(opened.channel_id).topic["value"].startswith(
        "SEV3 · identified")


async def test_while_slack_keeps_failing_the_card_stays_marked(
        bot: AppUnderTest, retry_waits: RetryWaits) -> None:
    opened = await start_incident(bot, "sev3 Checkout returns 500s")
    bot.slack.server_error("chat.update", times=2 * OUTLASTING_RETRIES)
    await _told(bot, "sev 2", channel=opened.channel_id)

    assert await CardRepair(bot.deps).redraw_stale() == 0
    assert (await rows.incident(bot.engine, opened.number)).card_stale > 0
    bot.slack.clear_faults()
    assert await CardRepair(bot.deps).redraw_stale() == 1
    assert "SEV2" in card_text(card(bot.slack, opened.channel_id))


# --- item 7: timeouts and dropped connections --------------------------------------------------

async def test_a_redraw_that_times_out_is_a_slack_failure_and_caught_up_later(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator) -> None:
    started = await _start(deps)
    impatient = _impatient(deps)
    slack.slow("chat.update", seconds=SLOW_ANSWER_S)

    with pytest.raises(SlackFailure) as raised:
        await Lifecycle(impatient).change_severity(Where(TEAM, started.channel_id, "U0ALICE"), 1)

    assert raised.value.error == "timeout"
    assert "didn't answer in time" in wording.slack_failure(raised.value)
    assert (await rows.incident(engine, 1)).card_stale > 0
    # Caught up by the bot's own client: the impatient one's half second is for meeting
    # the timeout above, and a loaded machine can take that long for an answer.
    assert await CardRepair(deps).redraw_stale() == 1
    assert "SEV1" in card_text(card(slack, started.channel_id))


async def test_a_create_whose_connection_dropped_after_slack_made_the_channel_uses_it(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, retry_waits: RetryWaits) -> None:
    slack.drop_connection("conversations.create")

    started = await _start(deps)

    assert _inc_channels(slack, 1) == ["inc-1-checkout-returns-500s"]
    assert started.channel_name == "inc-1-checkout-returns-500s"
    assert (await rows.incident(engine, 1)).channel_id == started.channel_id
    assert "U0ALICE" in slack.channel(started.channel_id).members


async def test_a_create_that_timed_out_but_succeeded_leaves_no_orphan_and_no_second_inc_1(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator) -> None:
    slack.slow("conversations.create", seconds=SLOW_ANSWER_S)

    started = await _start(_impatient(deps))
    again = await _start(deps, "Search is slow")

    assert started.number == 1 and again.number == 2
    assert _inc_channels(slack, 1) == ["inc-1-checkout-returns-500s"]
    assert (await rows.incident(engine, 1)).channel_id == started.channel_id


async def test_when_slack_cannot_say_whether_the_channel_was_made_the_number_is_not_reused(
        deps: Deps, slack: SlackEmulator, retry_waits: RetryWaits) -> None:
    slack.slow("conversations.create", seconds=SLOW_ANSWER_S, times=2)
    slack.server_error("conversations.list", times=2 * OUTLASTING_RETRIES, status=503)

    with pytest.raises(SlackFailure) as raised:
        await _start(_impatient(deps))
    assert raised.value.outcome_unknown
    slack.clear_faults()

    again = await _start(deps, "Search is slow")
    assert again.number == 2
    assert len(_inc_channels(slack, 1)) <= 1


# --- item 8: a long Retry-After ----------------------------------------------------------------

async def test_a_long_retry_after_is_not_waited_out_and_the_person_is_told(
        bot: AppUnderTest, retry_waits: RetryWaits) -> None:
    bot.slack.rate_limit("conversations.create", times=3, retry_after=15)

    response = await bot.client.slash_command("start Checkout returns 500s",
                                              response_key="start")
    assert response.status == 200
    said = str((await bot.slack.wait_for_response("start")).body["text"])

    assert retry_waits.seconds == []  # nobody waits 15 s, let alone three times over
    assert "rate-limiting" in said
    assert await rows.incidents(bot.engine) == []


async def test_while_slack_makes_the_work_wait_the_person_hears_it_is_slow(
        bot: AppUnderTest, retry_waits: RetryWaits) -> None:
    bot.slack.rate_limit("conversations.create", times=1, retry_after=MAX_RETRY_AFTER_S)

    response = await bot.client.slash_command("start Checkout returns 500s",
                                              response_key="start")
    assert response.status == 200
    first = (await bot.slack.wait_for_response("start")).body
    then = (await bot.slack.wait_for_response("start")).body

    assert (first["text"], first["response_type"]) == (wording.SLACK_IS_SLOW, "ephemeral")
    assert "*INC-1*" in str(then["text"])
    assert len(retry_waits.seconds) == 1


async def test_work_held_up_by_a_late_answer_tells_the_person_it_is_slow(
        bot: AppUnderTest, monkeypatch: pytest.MonkeyPatch) -> None:
    # Slack answers the create later than the bot waits before saying it is slow.
    monkeypatch.setattr(replies, "SLOW_AFTER_S", 0.1)
    bot.slack.slow("conversations.create", seconds=1.0)

    response = await bot.client.slash_command("start Checkout returns 500s",
                                              response_key="start")
    assert response.status == 200
    first = (await bot.slack.wait_for_response("start")).body
    then = (await bot.slack.wait_for_response("start")).body

    assert first["text"] == wording.SLACK_IS_SLOW
    assert "*INC-1*" in str(then["text"])
