"""`sitrep serve` refuses what it cannot serve with one readable line and exit 2, before it
touches Slack or the database: bad settings, a broken retrospective template."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.settings import SIGNING_SECRET
from tests.support.sitrep_cli import clean_environment, run_sitrep


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "not hex!"},
         "SLACK_SIGNING_SECRET"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16, "PORT": "http"},
         "PORT"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16,
          "SITREP_LOG_FORMAT": "logfmt"}, "SITREP_LOG_FORMAT"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16,
          "SITREP_LOG_LEVEL": "LOUD"}, "SITREP_LOG_LEVEL"),
    ],
)
async def test_serve_with_bad_configuration_prints_one_line_and_exits_2(
        env: dict[str, str], variable: str, tmp_path: Path) -> None:
    result = await run_sitrep("serve", env=clean_environment(**env), cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"sitrep: {variable} ")
    assert "Traceback" not in result.stderr


async def test_serve_refuses_a_broken_template_at_start_up(tmp_path: Path) -> None:
    template = tmp_path / "broken.md.j2"
    template.write_text("{% if %}")
    env = clean_environment(SLACK_BOT_TOKEN="xoxb-1", SLACK_SIGNING_SECRET=SIGNING_SECRET,
                            SITREP_RETRO_TEMPLATE=str(template),
                            DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/sitrep.db")
    failed = await run_sitrep("serve", "--port", "0", env=env, cwd=tmp_path)
    assert failed.returncode == 2
    (line,) = failed.stderr.strip().splitlines()
    assert line.startswith(f"sitrep: SITREP_RETRO_TEMPLATE {template} is broken (line 1)")
