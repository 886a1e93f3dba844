"""`RetroPublisher` on its own: each publish stores the next version before Slack is asked,
then posts it where the workspace allows: the channel's canvas, a canvas of its own, or a
Markdown file."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import transaction
from bot.db.models import Incident
from bot.deps import Deps
from bot.devtools.slack_emulator import SlackEmulator
from bot.domain import incidents
from bot.slack.failures import SlackFailure
from bot.usecases.lifecycle import Lifecycle
from bot.usecases.retro_publishing import RetroPublisher
from tests.support import rows
from tests.support.slack_reading import posted_texts

TEAM = "T0001"


@pytest.fixture
async def resolved(deps: Deps) -> Incident:
    """INC-1, resolved in the database only: publishing is left to the test."""
    started = await Lifecycle(deps).start(team_id=TEAM, reporter_id="U0ALICE",
                                          title="Checkout returns 500s", severity=2,
                                          description=None)
    async with transaction(deps.sessions) as session:
        incident = await incidents.by_number(session, TEAM, started.number)
        assert incident is not None
        await incidents.resolve(session, incident, summary="Rolled back deploy 4512",
                                by="U0ALICE", now=deps.clock.now())
    return incident


async def test_publish_stores_version_1_and_posts_it_as_the_channels_canvas(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, resolved: Incident) -> None:
    published = await RetroPublisher(deps).publish(resolved)

    assert (published.version, published.where) == (1, "canvas")
    (stored,) = await rows.retrospectives(engine)
    assert (stored.version, stored.markdown) == (1, published.markdown)
    assert "Rolled back deploy 4512" in stored.markdown
    # Names Slack gave at publish time are in the document and kept with it.
    assert "@alice" in stored.markdown and "alice" in (stored.people or "")
    (canvas_id,) = slack.canvases
    assert slack.canvases[canvas_id].markdown == stored.markdown
    assert (stored.slack_file_id, stored.permalink) == (canvas_id, published.permalink)
    assert published.permalink == f"https://sitrep-test.slack.com/docs/{TEAM}/{canvas_id}"
    assert any(f"<{published.permalink}|INC-1 retrospective>" in text
               for text in posted_texts(slack, str(resolved.channel_id)))


async def test_the_next_version_gets_a_canvas_of_its_own(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, resolved: Incident) -> None:
    publisher = RetroPublisher(deps)
    first = await publisher.publish(resolved)
    second = await publisher.publish(resolved)

    assert (first.version, second.version) == (1, 2)
    (again,) = slack.calls_to("canvases.create")
    assert again.args["title"] == "INC-1 retrospective (version 2)"
    assert len(slack.canvases) == 2
    assert [v.version for v in await rows.retrospectives(engine)] == [1, 2]


async def test_where_canvases_are_refused_it_is_a_markdown_file(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, resolved: Incident) -> None:
    slack.canvases_enabled = False
    published = await RetroPublisher(deps).publish(resolved)

    assert published.where == "file"
    (stored,) = await rows.retrospectives(engine)
    assert stored.slack_file_id is not None
    assert slack.file_content(stored.slack_file_id).decode() == stored.markdown
    assert slack.files[stored.slack_file_id].filename == "INC-1-retrospective-v1.md"


async def test_a_refusal_a_file_would_meet_too_is_raised_and_the_version_kept(
        deps: Deps, engine: AsyncEngine, slack: SlackEmulator, resolved: Incident) -> None:
    slack.fail("conversations.canvases.create", "not_in_channel")

    with pytest.raises(SlackFailure):
        await RetroPublisher(deps).publish(resolved)

    (stored,) = await rows.retrospectives(engine)
    assert stored.slack_file_id is None and "Rolled back deploy 4512" in stored.markdown
    assert slack.calls_to("files.getUploadURLExternal") == []
