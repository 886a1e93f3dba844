"""The Slack emulator as a process of its own, serving until SIGTERM or Ctrl-C.

    python -m bot.devtools.slack_emulator [--port N] [--rate-tiers]

Point a real ``sitrep serve`` at it with ``SLACK_API_URL`` (printed on the first line of
stdout, once it listens) and ``SLACK_BOT_TOKEN=xoxb-sitrep-test``. Its JSON control surface
(``/_emulator/``) is on, so another process can play the humans and read the calls."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from bot.devtools.slack_emulator import SlackEmulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot.devtools.slack_emulator",
        description="Serve the Slack emulator until SIGTERM.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (loopback)")
    parser.add_argument("--port", type=int, default=0, help="port; 0 picks a free one")
    parser.add_argument(
        "--rate-tiers",
        action="store_true",
        help="answer 429 beyond Slack's published per-method rate limits",
    )
    args = parser.parse_args(argv)
    asyncio.run(_serve(args.host, args.port, rate_tiers=args.rate_tiers))
    return 0


async def _serve(host: str, port: int, *, rate_tiers: bool) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with SlackEmulator(
        host=host, port=port, rate_tiers=rate_tiers, control_api=True
    ) as emulator:
        # The first line is for whoever started this process: where the Web API is.
        sys.stdout.write(f"SLACK_API_URL={emulator.api_url}\n")
        sys.stdout.flush()
        await stop.wait()
