"""`python -m bench burst [options]`: see bench/burst.py; `python -m bench stats [options]`:
see bench/stats.py; `python -m bench long [options]`: see bench/long.py."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from bench.burst import DATABASES, BurstOptions, main

POSTGRES_URL_VARIABLE = "SITREP_TEST_POSTGRES_URL"


def _databases(value: str) -> tuple[str, ...]:
    names = tuple(dict.fromkeys(part.strip() for part in value.split(",") if part.strip()))
    unknown = [name for name in names if name not in DATABASES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"choose from {', '.join(DATABASES)}")
    return names


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def parse(argv: list[str]) -> BurstOptions:
    defaults = BurstOptions()
    parser = argparse.ArgumentParser(prog="python -m bench")
    commands = parser.add_subparsers(dest="command", required=True)
    burst = commands.add_parser(
        "burst", help="2,000 📌 reactions at once against a real `sitrep serve`",
        description="Fire a burst of signed reaction_added events at `sitrep serve` (and at "
                    "a bare Bolt app), with Slack's rate tiers on in the emulator.")
    burst.add_argument("--size", type=_positive, default=defaults.size,
                       help="reactions (and messages) in the burst")
    burst.add_argument("--connections", type=_positive, default=defaults.connections,
                       help="concurrent connections firing the burst")
    burst.add_argument("--repetitions", type=_positive, default=defaults.repetitions)
    burst.add_argument("--databases", type=_databases, default=defaults.databases,
                       help="comma-separated: sqlite,postgres")
    burst.add_argument("--timeout", type=float, default=defaults.timeout_s,
                       help="seconds to wait after the burst for every entry to be stored")
    burst.add_argument("--with-message-events", action=argparse.BooleanOptionalAction,
                       default=defaults.with_message_events,
                       help="deliver each message's `message` event before the burst")
    burst.add_argument("--bare", action=argparse.BooleanOptionalAction,
                       default=defaults.bare, help="also burst a bare Bolt app")
    burst.add_argument("--postgres-url",
                       default=os.environ.get(POSTGRES_URL_VARIABLE, defaults.postgres_url),
                       help="a local PostgreSQL to create (and drop) a database in")
    burst.add_argument("--budget", type=float, default=defaults.budget_s,
                       help="seconds the whole benchmark may take; runs that no longer fit "
                            "are skipped")
    burst.add_argument("--quiet-wait", type=float, default=defaults.quiet_wait_s,
                       help="seconds to wait before each run for other work on the machine "
                            "to stop (0: don't wait)")
    burst.add_argument("--json", type=Path, default=None, help="also write figures here")
    burst.add_argument("--workdir", type=Path, default=None,
                       help="keep each run's logs and SQLite files here")
    burst.add_argument("--profile", action="store_true",
                       help="record py-spy on each sitrep process, during the burst and "
                            "during the settle, as collapsed stacks in the workdir")
    args = burst.parse_args(argv[1:]) if argv[:1] == ["burst"] else parser.parse_args(argv)
    return BurstOptions(size=args.size, connections=args.connections,
                        repetitions=args.repetitions, databases=args.databases,
                        timeout_s=args.timeout, with_message_events=args.with_message_events,
                        bare=args.bare, postgres_url=args.postgres_url, budget_s=args.budget,
                        quiet_wait_s=args.quiet_wait, json_path=args.json, workdir=args.workdir,
                        profile=args.profile)


if __name__ == "__main__":
    arguments = sys.argv[1:]
    if arguments[:1] == ["stats"]:
        from bench.stats import main as stats_main

        sys.exit(stats_main(arguments[1:]))
    if arguments[:1] == ["long"]:
        from bench.long import main as long_main

        sys.exit(long_main(arguments[1:]))
    sys.exit(main(parse(arguments), arguments))
