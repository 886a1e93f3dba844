"""`Lifecycle` on its own: each use case, called as the handlers call it, leaves the room in
Slack and the rows in the database that a person would expect."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.deps import Deps
from bot.devtools.slack_emulator import SlackEmulator
from bot.slack.failures import SlackFailure
from bot.usecases.lifecycle import Lifecycle, Started, Where
from tests.support import rows
from tests.support.slack_reading import card, card_text, posted_texts

TEAM = "T0001"


async def _start(deps: Deps, title: str = "Checkout returns 500s") -> Started:
    return await Lifecycle(deps).start(team_id=TEAM, reporter_id="U0ALICE", title=title,
                                       severity=2, description="Card payments fail")


async def test_a_start_creates_the_channel_card_pin_and_topic(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator) -> None:
    started = await _start(deps)

    assert (started.number, started.channel_name) == (1, "inc-1-checkout-returns-500s")
    assert started.announce_problem is None
    channel = slack.channel(started.channel_id)
    assert channel.name == "inc-1-checkout-returns-500s"
    assert "U0ALICE" in channel.members
    shown = card(slack, started.channel_id)
    assert shown["ts"] in channel.pins
    assert "Card payments fail" in card_text(shown) and "SEV2" in card_text(shown)
    assert channel.topic["value"] == (
        "SEV2 · investigating · IC alice · INC-1: Checkout returns 500s")
    stored = await rows.incident(engine, 1)
    assert (stored.channel_id, stored.card_ts, stored.description) == (
        started.channel_id, shown["ts"], "Card payments fail")
    assert [(r.role, r.user_id) for r in await rows.roles(engine, 1)] == [
        ("commander", "U0ALICE")]


async def test_a_start_that_slack_refuses_halfway_leaves_nothing_behind(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator) -> None:
    slack.fail("pins.add", "restricted_action")
    with pytest.raises(SlackFailure):
        await _start(deps)
    created = slack.channel_by_name("inc-1-checkout-returns-500s")
    assert created is not None and created.is_archived
    assert await rows.incidents(engine) == []
    # The archived channel carries INC-1, so the number is not handed back: INC-1 never
    # means two incidents.
    assert (await _start(deps, "Checkout still down")).number == 2


async def test_a_start_whose_channel_slack_refuses_hands_its_number_back(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator) -> None:
    slack.fail("conversations.create", "restricted_action")
    with pytest.raises(SlackFailure):
        await _start(deps)
    assert await rows.incidents(engine) == []
    assert (await _start(deps, "Checkout still down")).number == 1


async def test_a_change_is_said_in_the_channel_and_redrawn_on_the_card_in_place(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator) -> None:
    started = await _start(deps)
    card_ts = card(slack, started.channel_id)["ts"]
    slack.join_channel(started.channel_id, "U0BOB")

    await Lifecycle(deps).change_severity(Where(TEAM, started.channel_id, "U0BOB"), 1)

    assert any("<@U0BOB> changed the severity from SEV2 to *SEV1*" in text
               for text in posted_texts(slack, started.channel_id))
    (updated,) = slack.calls_to("chat.update")
    assert updated.args["ts"] == card_ts
    assert "SEV1" in card_text(card(slack, started.channel_id))
    assert slack.channel(started.channel_id).topic["value"].startswith("SEV1 · investigating")
    entry = (await rows.timeline(engine, 1))[-1]
    assert (entry.kind, entry.author_id) == ("severity", "U0BOB")


async def test_a_resolve_stores_retrospective_version_1_and_posts_it(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator) -> None:
    started = await _start(deps)

    resolved = await Lifecycle(deps).resolve(Where(TEAM, started.channel_id, "U0ALICE"),
                                             summary="Rolled back deploy 4512")

    assert (resolved.number, resolved.retro_problem) == (1, None)
    assert (await rows.incident(engine, 1)).status == "resolved"
    said = posted_texts(slack, started.channel_id)
    assert any("resolved *INC-1*" in text and "Rolled back deploy 4512" in text
               for text in said)
    (version,) = await rows.retrospectives(engine)
    assert version.version == 1 and "Rolled back deploy 4512" in version.markdown
    (canvas_id,) = slack.canvases
    assert version.slack_file_id == canvas_id
    assert slack.canvases[canvas_id].markdown == version.markdown
    assert any(f"docs/{TEAM}/{canvas_id}|INC-1 retrospective>" in text
               for text in posted_texts(slack, started.channel_id))

