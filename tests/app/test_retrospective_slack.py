"""At resolve the retrospective is written, stored and posted: a canvas, or a file where
canvases are refused or the document is too big for one.

`sitrep retro` printing it: tests/e2e/test_retro_cli.py. `RetroPublisher` on its own:
tests/app/test_retro_publisher.py."""

from __future__ import annotations

import pytest

from bot.domain import incidents
from tests.support import rows
from tests.support.app_under_test import AppUnderTest
from tests.support.incident_steps import command, start_incident
from tests.support.retro_steps import resolve, resolved_incident
from tests.support.slack_reading import posted_texts


async def test_resolve_posts_the_retrospective_as_a_channel_canvas(bot: AppUnderTest) -> None:
    opened = await resolved_incident(bot)
    (created,) = bot.slack.calls_to("conversations.canvases.create")
    assert created.args["channel_id"] == opened.channel_id
    markdown = created.args["document_content"]["markdown"]
    assert markdown.startswith("# INC-1: Checkout returns 500s\n")
    assert "key event · bob: Deploy 4512 is bad ([message](https://" in markdown
    assert "| commander | @bob |" in markdown and "Rolled back 4512" in markdown
    (stored,) = await rows.retrospectives(bot.engine)
    assert (stored.version, stored.markdown) == (1, markdown)
    canvas_id = created_id(bot)
    assert stored.slack_file_id == canvas_id
    assert bot.slack.canvases[canvas_id].markdown == markdown
    link = f"https://sitrep-test.slack.com/docs/T0001/{canvas_id}"
    assert stored.permalink == link
    assert any(f"<{link}|INC-1 retrospective>" in text and "draft for *INC-1*" in text
               for text in posted_texts(bot.slack, opened.channel_id))


def created_id(bot: AppUnderTest) -> str:
    (canvas_id,) = bot.slack.canvases
    return canvas_id


async def test_where_canvases_are_refused_it_is_uploaded_as_a_file(bot: AppUnderTest) -> None:
    bot.slack.canvases_enabled = False
    opened = await resolved_incident(bot)
    (refused,) = bot.slack.calls_to("conversations.canvases.create")
    assert refused.error == "canvas_disabled_user_team"
    assert bot.slack.calls_to("files.getUploadURLExternal")
    (completed,) = bot.slack.calls_to("files.completeUploadExternal")
    assert completed.args["channel_id"] == opened.channel_id
    assert "draft for *INC-1*" in completed.args["initial_comment"]
    (stored,) = await rows.retrospectives(bot.engine)
    assert stored.slack_file_id is not None
    assert bot.slack.file_content(stored.slack_file_id).decode() == stored.markdown
    uploaded = bot.slack.files[stored.slack_file_id]
    assert (uploaded.filename, uploaded.channels) == (
        "INC-1-retrospective-v1.md", [opened.channel_id])


async def test_resolving_again_after_a_reopen_writes_a_new_version(bot: AppUnderTest) -> None:
    opened = await resolved_incident(bot)
    await command(bot, "reopen", channel=opened.channel_id)
    await resolve(bot, "resolve It came back: config drift", channel=opened.channel_id)
    first, second = await rows.retrospectives(bot.engine)
    assert (first.version, second.version) == (1, 2)
    assert "Rolled back 4512" in first.markdown and "config drift" not in first.markdown
    assert "config drift" in second.markdown and "reopened" in second.markdown
    # The channel keeps its first canvas; the new version is a canvas of its own.
    (again,) = bot.slack.calls_to("canvases.create")
    assert again.args["title"] == "INC-1 retrospective (version 2)"
    assert len(bot.slack.canvases) == 2


@pytest.mark.parametrize("error", ["team_tier_cannot_create_channel_canvases", "missing_scope",
                                   "internal_error"])
async def test_any_refused_canvas_falls_back_to_a_file(bot: AppUnderTest, error: str) -> None:
    opened = await start_incident(bot, "Checkout down")
    bot.slack.fail("conversations.canvases.create", error)
    await resolve(bot, "resolve", channel=opened.channel_id)
    (completed,) = bot.slack.calls_to("files.completeUploadExternal")
    assert completed.ok and completed.args["channel_id"] == opened.channel_id


async def test_a_document_too_big_for_a_canvas_goes_as_a_file(bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "Checkout down")
    # 400 notes of 2,900 characters, about 1.2 MB of Markdown: written as `/incident note`
    # writes them, in one transaction rather than 400 round trips.
    async with bot.deps.sessions() as session, session.begin():
        incident = await incidents.by_number(session, "T0001", opened.number)
        assert incident is not None
        for _ in range(400):
            await incidents.add_note(session, incident, text="x" * 2_900, by="U0ALICE",
                                     now=bot.deps.clock.now())
    await resolve(bot, "resolve", channel=opened.channel_id)
    assert bot.slack.calls_to("conversations.canvases.create") == []
    assert bot.slack.calls_to("files.completeUploadExternal")


async def test_a_failed_post_keeps_the_document_and_says_where_to_find_it(
        bot: AppUnderTest) -> None:
    opened = await start_incident(bot, "Checkout down")
    bot.slack.fail("conversations.canvases.create", "internal_error")
    bot.slack.fail("files.completeUploadExternal", "internal_error")
    key = "resolve-failure"
    await bot.client.slash_command("resolve", channel_id=opened.channel_id, response_key=key)
    told = (await bot.slack.wait_for_response(key)).body["text"]
    assert "couldn't post it" in told and "`sitrep retro 1` prints it" in told
    assert len(await rows.retrospectives(bot.engine)) == 1
