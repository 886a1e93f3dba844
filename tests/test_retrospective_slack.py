"""At resolve the retrospective is written, stored and posted — a canvas, or a file where
canvases are refused — and `sitrep retro` prints it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Retrospective

from .conftest import Bot
from .incident_steps import Opened, command, posted_texts, refusal, start_incident
from .timeline_steps import react


async def _versions(bot: Bot) -> Sequence[Retrospective]:
    async with AsyncSession(bot.running.engine) as session:
        return (await session.exec(select(Retrospective).order_by(
            col(Retrospective.version)))).all()


async def _resolve(bot: Bot, text: str, *, channel: str, user: str = "U0ALICE") -> None:
    """Resolve, and wait until the retrospective's version is posted (its Slack id stored):
    posting runs after the ack, so a test must not read Slack's side before that."""
    before = len(await _versions(bot))
    await command(bot, text, channel=channel, user=user)
    async with asyncio.timeout(10):
        while True:
            if [v for v in (await _versions(bot))[before:] if v.slack_file_id]:
                return
            await asyncio.sleep(0.02)


async def _resolved_incident(bot: Bot) -> Opened:
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Deploy 4512 is bad")
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")
    await command(bot, "handover <@U0BOB|bob>", channel=opened.channel_id,
                  wait_for="chat.postMessage")
    await _resolve(bot, "resolve Rolled back 4512", channel=opened.channel_id, user="U0BOB")
    return opened


async def test_resolve_posts_the_retrospective_as_a_channel_canvas(bot: Bot) -> None:
    opened = await _resolved_incident(bot)
    (created,) = bot.slack.calls_to("conversations.canvases.create")
    assert created.args["channel_id"] == opened.channel_id
    markdown = created.args["document_content"]["markdown"]
    assert markdown.startswith("# INC-1: Checkout returns 500s\n")
    assert "key event · bob: Deploy 4512 is bad ([message](https://" in markdown
    assert "| commander | @bob |" in markdown and "Rolled back 4512" in markdown
    (stored,) = await _versions(bot)
    assert (stored.version, stored.markdown) == (1, markdown)
    canvas_id = created_id(bot)
    assert stored.slack_file_id == canvas_id
    assert bot.slack.canvases[canvas_id].markdown == markdown
    link = f"https://sitrep-test.slack.com/docs/T0001/{canvas_id}"
    assert stored.permalink == link
    assert any(f"<{link}|INC-1 retrospective>" in text and "draft for *INC-1*" in text
               for text in posted_texts(bot, opened.channel_id))


def created_id(bot: Bot) -> str:
    (canvas_id,) = bot.slack.canvases
    return canvas_id


async def test_where_canvases_are_refused_it_is_uploaded_as_a_file(bot: Bot) -> None:
    bot.slack.canvases_enabled = False
    opened = await _resolved_incident(bot)
    (refused,) = bot.slack.calls_to("conversations.canvases.create")
    assert refused.error == "canvas_disabled_user_team"
    assert bot.slack.calls_to("files.getUploadURLExternal")
    (completed,) = bot.slack.calls_to("files.completeUploadExternal")
    assert completed.args["channel_id"] == opened.channel_id
    assert "draft for *INC-1*" in completed.args["initial_comment"]
    (stored,) = await _versions(bot)
    assert stored.slack_file_id is not None
    assert bot.slack.file_content(stored.slack_file_id).decode() == stored.markdown
    uploaded = bot.slack.files[stored.slack_file_id]
    assert (uploaded.filename, uploaded.channels) == (
        "INC-1-retrospective-v1.md", [opened.channel_id])


async def test_resolving_again_after_a_reopen_writes_a_new_version(bot: Bot) -> None:
    opened = await _resolved_incident(bot)
    await command(bot, "reopen", channel=opened.channel_id)
    await _resolve(bot, "resolve It came back: config drift", channel=opened.channel_id)
    first, second = await _versions(bot)
    assert (first.version, second.version) == (1, 2)
    assert "Rolled back 4512" in first.markdown and "config drift" not in first.markdown
    assert "config drift" in second.markdown and "reopened" in second.markdown
    # The channel keeps its first canvas; the new version is a canvas of its own.
    (again,) = bot.slack.calls_to("canvases.create")
    assert again.args["title"] == "INC-1 retrospective (version 2)"
    assert len(bot.slack.canvases) == 2


@pytest.mark.parametrize("error", ["team_tier_cannot_create_channel_canvases", "missing_scope",
                                   "internal_error"])
async def test_any_refused_canvas_falls_back_to_a_file(bot: Bot, error: str) -> None:
    opened = await start_incident(bot, "Checkout down")
    bot.slack.fail("conversations.canvases.create", error)
    await _resolve(bot, "resolve", channel=opened.channel_id)
    (completed,) = bot.slack.calls_to("files.completeUploadExternal")
    assert completed.ok and completed.args["channel_id"] == opened.channel_id


async def test_a_document_too_big_for_a_canvas_goes_as_a_file(bot: Bot) -> None:
    opened = await start_incident(bot, "Checkout down")
    too_big = "x" * 2_900
    for _ in range(400):  # 400 notes of 2,900 characters: about 1.2 MB of Markdown
        bot.slack.reset_calls()
        await refusal(bot, f"note {too_big}", channel=opened.channel_id)
    await _resolve(bot, "resolve", channel=opened.channel_id)
    assert bot.slack.calls_to("conversations.canvases.create") == []
    assert bot.slack.calls_to("files.completeUploadExternal")


async def test_a_failed_post_keeps_the_document_and_says_where_to_find_it(bot: Bot) -> None:
    opened = await start_incident(bot, "Checkout down")
    bot.slack.fail("conversations.canvases.create", "internal_error")
    bot.slack.fail("files.completeUploadExternal", "internal_error")
    key = "resolve-failure"
    await bot.client.slash_command("resolve", channel_id=opened.channel_id, response_key=key)
    told = (await bot.slack.wait_for_response(key)).body["text"]
    assert "couldn't post it" in told and "`sitrep retro 1` prints it" in told
    assert len(await _versions(bot)) == 1


# --- sitrep retro ---------------------------------------------------------------------------

def _sitrep(bot: Bot, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SITREP_"))}
    env["DATABASE_URL"] = bot.settings.database_url
    return subprocess.run([sys.executable, "-m", "bot.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60, check=False)


async def test_sitrep_retro_prints_writes_and_regenerates(bot: Bot, tmp_path: Path) -> None:
    await _resolved_incident(bot)
    (stored,) = await _versions(bot)

    for spelled in ("1", "INC-1", "inc-1"):
        printed = _sitrep(bot, "retro", spelled, cwd=tmp_path)
        assert printed.returncode == 0, printed.stderr
        assert printed.stdout == stored.markdown

    written = _sitrep(bot, "retro", "INC-1", "--output", "retro.md", cwd=tmp_path)
    assert written.returncode == 0
    assert (tmp_path / "retro.md").read_text(encoding="utf-8") == stored.markdown

    regenerated = _sitrep(bot, "retro", "1", "--regenerate", cwd=tmp_path)
    assert regenerated.returncode == 0, regenerated.stderr
    assert "version 2" in regenerated.stdout
    # Names come from what was stored, without asking Slack.
    assert "| commander | @bob |" in regenerated.stdout
    assert [v.version for v in await _versions(bot)] == [1, 2]


@pytest.mark.parametrize(("typed", "told"), [
    ("99", "there is no INC-99 in this database"),
    ("INC-x", "'INC-x' is not an incident"),
])
async def test_sitrep_retro_of_an_unknown_incident_is_a_clear_error(
        bot: Bot, tmp_path: Path, typed: str, told: str) -> None:
    failed = _sitrep(bot, "retro", typed, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.strip().startswith(f"sitrep: {told}")
    assert "Traceback" not in failed.stderr


async def test_sitrep_retro_before_resolve_says_how_to_draft_one(bot: Bot,
                                                                tmp_path: Path) -> None:
    await start_incident(bot, "Checkout down")
    failed = _sitrep(bot, "retro", "1", cwd=tmp_path)
    assert failed.returncode == 2
    assert "--regenerate" in failed.stderr


def test_serve_refuses_a_broken_template_at_start_up(tmp_path: Path) -> None:
    template = tmp_path / "broken.md.j2"
    template.write_text("{% if %}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SITREP_"))}
    env |= {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "8f742231b10e8888abcd99111222a5a5",
            "SITREP_RETRO_TEMPLATE": str(template),
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/sitrep.db"}
    failed = subprocess.run([sys.executable, "-m", "bot.cli", "serve", "--port", "0"],
                            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
                            check=False)
    assert failed.returncode == 2
    (line,) = failed.stderr.strip().splitlines()
    assert line.startswith(f"sitrep: SITREP_RETRO_TEMPLATE {template} is broken (line 1)")
