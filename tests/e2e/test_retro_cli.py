"""`sitrep retro N`, run as a separate process on the bot's database: prints the stored
retrospective, writes it to a file, drafts a new version, and says plainly what is missing."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.devtools.slack_emulator import SlackEmulator
from bot.usecases.follow_ups import FollowUps
from tests.support import rows
from tests.support.app_under_test import AppUnderTest, app_under_test
from tests.support.incident_steps import command, start_incident
from tests.support.retro_steps import resolve, resolved_incident
from tests.support.settings import make_settings
from tests.support.sitrep_cli import Finished, clean_environment, run_sitrep


@pytest.fixture
async def bot(database_url: str, slack: SlackEmulator) -> AsyncIterator[AppUnderTest]:
    """The bot that writes the incidents `sitrep retro` then reads (in process: only the
    command line is under test here)."""
    async with app_under_test(make_settings(database_url, slack), slack) as running:
        yield running


async def _sitrep(bot: AppUnderTest, *args: str, cwd: Path) -> Finished:
    env = clean_environment(DATABASE_URL=bot.settings.database_url)
    return await run_sitrep(*args, env=env, cwd=cwd)


async def test_sitrep_retro_prints_writes_and_regenerates(bot: AppUnderTest,
                                                          tmp_path: Path) -> None:
    await resolved_incident(bot)
    (stored,) = await rows.retrospectives(bot.engine)

    # Reading commands only, so they may run side by side.
    *printed, written = await asyncio.gather(
        *(_sitrep(bot, "retro", spelled, cwd=tmp_path) for spelled in ("1", "INC-1", "inc-1")),
        _sitrep(bot, "retro", "INC-1", "--output", "retro.md", cwd=tmp_path))
    for each in printed:
        assert each.returncode == 0, each.stderr
        assert each.stdout == stored.markdown
    assert written.returncode == 0
    assert (tmp_path / "retro.md").read_text(encoding="utf-8") == stored.markdown

    regenerated = await _sitrep(bot, "retro", "1", "--regenerate", cwd=tmp_path)
    assert regenerated.returncode == 0, regenerated.stderr
    assert "version 2" in regenerated.stdout
    # Names come from what was stored, without asking Slack.
    assert "| commander | @bob |" in regenerated.stdout
    assert [v.version for v in await rows.retrospectives(bot.engine)] == [1, 2]


@pytest.mark.parametrize(("typed", "told"), [
    ("99", "there is no INC-99 in this database"),
    ("INC-x", "'INC-x' is not an incident"),
])
async def test_sitrep_retro_of_an_unknown_incident_is_a_clear_error(
        bot: AppUnderTest, tmp_path: Path, typed: str, told: str) -> None:
    failed = await _sitrep(bot, "retro", typed, cwd=tmp_path)
    assert failed.returncode == 2
    assert failed.stderr.strip().startswith(f"sitrep: {told}")
    # Which database was read: the wrong one is the usual reason an incident is missing.
    database = make_url(bot.settings.database_url).database
    assert database and database in failed.stderr
    assert "Traceback" not in failed.stderr


async def test_sitrep_retro_never_creates_a_database(tmp_path: Path) -> None:
    """Run from the wrong directory, it says where it looked instead of making an empty
    database there and finding no incident in it."""
    failed = await run_sitrep("retro", "3", env=clean_environment(), cwd=tmp_path)
    assert failed.returncode == 2
    (line,) = failed.stderr.strip().splitlines()
    assert line.startswith(f"sitrep: DATABASE_URL: there is no SQLite database at "
                           f"{tmp_path / 'sitrep.db'}")
    assert not os.listdir(tmp_path)


async def test_sitrep_retro_before_resolve_says_how_to_draft_one(bot: AppUnderTest,
                                                                tmp_path: Path) -> None:
    await start_incident(bot, "Checkout down")
    failed = await _sitrep(bot, "retro", "1", cwd=tmp_path)
    assert failed.returncode == 2
    assert "--regenerate" in failed.stderr


async def test_sitrep_retro_shows_follow_ups_as_they_stand_today(bot: AppUnderTest,
                                                                 tmp_path: Path) -> None:
    """An action item closed and the review held after the resolve: the stored document
    (posted at resolve) said open and draft; `sitrep retro` says done and reviewed, with the
    version and names it was written with."""
    opened = await start_incident(bot, "sev1 Checkout down")
    await command(bot, "action Add a canary stage <@U0BOB|bob>", channel=opened.channel_id)
    await resolve(bot, "resolve Rolled back", channel=opened.channel_id)
    (stored,) = await rows.retrospectives(bot.engine)
    assert "Add a canary stage — owner @bob · open" in stored.markdown
    assert "| Review | **draft**: the review meeting is due by " in stored.markdown

    (item,) = await rows.action_items(bot.engine)
    await FollowUps(bot.deps).mark_done(user_id="U0BOB", item_value=str(item.id))
    await command(bot, "reviewed", channel=opened.channel_id)

    printed = await _sitrep(bot, "retro", "1", cwd=tmp_path)
    assert printed.returncode == 0, printed.stderr
    today = datetime.now(UTC).date().isoformat()
    assert f"- [x] Add a canary stage — owner @bob · done on {today}" in printed.stdout
    assert "| Review | **reviewed** on " in printed.stdout
    assert "(marked by @alice)" in printed.stdout
    assert "version 1, written" in printed.stdout
    # Nothing new is stored by printing.
    assert len(await rows.retrospectives(bot.engine)) == 1
