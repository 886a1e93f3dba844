"""The options `python -m bench stats` and `python -m bench long` share: which sizes, which
databases, how many repetitions, and how quiet the machine must be first."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path

DATABASES = ("sqlite", "postgres")


def add_run_options(parser: argparse.ArgumentParser, *, sizes: Sequence[int], sizes_help: str,
                    databases: Sequence[str], repetitions: int, postgres_url: str,
                    quiet_wait_s: float) -> None:
    parser.add_argument("--sizes", default=",".join(map(str, sizes)), help=sizes_help)
    parser.add_argument("--databases", default=",".join(databases),
                        help="comma-separated: sqlite,postgres")
    parser.add_argument("--repetitions", type=int, default=repetitions)
    parser.add_argument("--postgres-url",
                        default=os.environ.get("SITREP_TEST_POSTGRES_URL", postgres_url))
    parser.add_argument("--quiet-wait", type=float, default=quiet_wait_s,
                        help="seconds to wait before each run for the machine to fall quiet")
    parser.add_argument("--json", type=Path, default=None, help="also write figures here")


def chosen_databases(parser: argparse.ArgumentParser, written: str) -> tuple[str, ...]:
    databases = tuple(part for part in written.split(",") if part)
    if not databases or set(databases) - set(DATABASES):
        parser.error(f"--databases: choose from {', '.join(DATABASES)}")
    return databases
