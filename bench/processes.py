"""The processes a benchmark run starts: the Slack emulator, `sitrep serve`, a bare Bolt app.

Each is a real child process on 127.0.0.1 with its output in a log file (a pipe nobody
reads would stall a chatty process), stopped with SIGTERM and, failing that, killed."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

import aiohttp

LOOPBACK = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[1]
START_LIMIT_S = 60.0
STOP_LIMIT_S = 20.0


class ProcessFailed(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@dataclass
class Child:
    name: str
    process: asyncio.subprocess.Process
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def peak_rss_bytes(self) -> int | None:
        """VmHWM: the most resident memory the process ever had (Linux only)."""
        try:
            status = Path(f"/proc/{self.pid}/status").read_text()
        except OSError:
            return None
        for line in status.splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
        return None

    def cpu_seconds(self) -> float | None:
        """User plus system CPU time the process has used so far."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            return None
        ticks = int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    async def stop(self) -> int | None:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), timeout=STOP_LIMIT_S)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    self.process.kill()
                await self.process.wait()
        return self.process.returncode


async def _spawn(name: str, args: list[str], *, env: dict[str, str], cwd: Path,
                 log_path: Path, stdout_pipe: bool = False) -> Child:
    with log_path.open("ab") as log:
        process = await asyncio.create_subprocess_exec(
            *args, env=env, cwd=cwd,
            stdout=asyncio.subprocess.PIPE if stdout_pipe else log,
            stderr=log, start_new_session=True)
    return Child(name, process, log_path)


def machine_busy_seconds() -> float | None:
    """CPU seconds the whole machine has spent busy (all cores, all processes): compared
    with the runs' own, it shows whether something else competed for the cores."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def clean_environment() -> dict[str, str]:
    """The parent's environment without anything that configures Sitrep or Slack."""
    return {name: value for name, value in os.environ.items()
            if not name.startswith(("SLACK_", "SITREP_"))
            and name not in {"DATABASE_URL", "PORT"}}


async def start_emulator(workdir: Path, *, rate_tiers: bool) -> tuple[Child, str]:
    """The emulator in its own process; returns it and its Web API URL."""
    args = [sys.executable, "-m", "bot.devtools.slack_emulator", "--host", LOOPBACK]
    if rate_tiers:
        args.append("--rate-tiers")
    child = await _spawn("slack-emulator", args, env=clean_environment(), cwd=workdir,
                         log_path=workdir / "emulator.log", stdout_pipe=True)
    assert child.process.stdout is not None
    try:
        line = await asyncio.wait_for(child.process.stdout.readline(), timeout=START_LIMIT_S)
    except TimeoutError:
        await child.stop()
        raise ProcessFailed(f"the emulator did not start: {child.log_tail()}") from None
    api_url = line.decode().strip().removeprefix("SLACK_API_URL=")
    if not api_url.startswith(f"http://{LOOPBACK}:"):
        await child.stop()
        raise ProcessFailed(f"the emulator said {line!r}: {child.log_tail()}")
    return child, api_url


async def start_sitrep(workdir: Path, *, port: int, api_url: str, database_url: str,
                       signing_secret: str, bot_token: str) -> Child:
    """`sitrep serve` as an operator runs it, in HTTP mode."""
    env = clean_environment() | {
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_API_URL": api_url,
        "DATABASE_URL": database_url,
        "SITREP_HOST": LOOPBACK,
    }
    # The working directory is the run's own, so no developer's .env is read.
    child = await _spawn("sitrep", [sys.executable, "-m", "bot.cli", "serve", "--port",
                                    str(port)],
                         env=env, cwd=workdir, log_path=workdir / "sitrep.log")
    await wait_until_healthy(child, f"http://{LOOPBACK}:{port}/healthz")
    return child


async def start_bare_bolt(workdir: Path, *, port: int, api_url: str, signing_secret: str,
                          bot_token: str) -> Child:
    env = clean_environment() | {
        "SLACK_BOT_TOKEN": bot_token,
        "SLACK_SIGNING_SECRET": signing_secret,
        "SLACK_API_URL": api_url,
        "PYTHONPATH": str(REPO_ROOT),
    }
    child = await _spawn("bare-bolt", [sys.executable, "-m", "bench.bare_bolt", "--port",
                                       str(port)],
                         env=env, cwd=workdir, log_path=workdir / "bare-bolt.log")
    await wait_until_healthy(child, f"http://{LOOPBACK}:{port}/healthz")
    return child


async def wait_until_healthy(child: Child, url: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START_LIMIT_S
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            if child.process.returncode is not None:
                raise ProcessFailed(f"{child.name} exited with {child.process.returncode}:\n"
                                    f"{child.log_tail()}")
            try:
                async with session.get(url) as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientConnectionError:
                pass
            await asyncio.sleep(0.1)
    await child.stop()
    raise ProcessFailed(f"{child.name} never answered {url}:\n{child.log_tail()}")
