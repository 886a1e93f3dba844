"""`sitrep …` run as an operator runs it: a separate process, with only the environment given."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

CLI_TIMEOUT_S = 120


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def clean_environment(**settings: str) -> dict[str, str]:
    """This process's environment without any Slack or Sitrep settings, plus `settings`."""
    clean = {key: value for key, value in os.environ.items()
             if not key.startswith(("SLACK_", "SITREP_")) and key not in {"DATABASE_URL",
                                                                         "PORT"}}
    return clean | settings


async def run_sitrep(*args: str, env: dict[str, str], cwd: Path) -> Finished:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", *args, env=env, cwd=cwd,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=CLI_TIMEOUT_S)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode is not None
    return Finished(process.returncode, stdout.decode(), stderr.decode())
