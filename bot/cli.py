"""The `sitrep` command line.

Only the standard library is imported at module level: `sitrep --help` and a mistyped
command answer at once, and each command imports what it needs when it runs."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

if TYPE_CHECKING:
    from datetime import date

    from bot.core.settings import Settings

EXIT_USAGE = 2

SERVE_EPILOG = """\
Settings come from the environment and from a .env file in the current directory.

Over HTTP (Slack POSTs every request to /slack/events):
  SLACK_BOT_TOKEN       the Bot User OAuth Token (xoxb-...)                 required
  SLACK_SIGNING_SECRET  the app's Signing Secret (Basic Information)        required
Socket Mode (no public address: Sitrep connects out to Slack):
  SLACK_BOT_TOKEN       as above                                            required
  SLACK_APP_TOKEN       an App-Level Token (xapp-..., connections:write);
                        when it is set, serve uses Socket Mode
Either way:
  DATABASE_URL          sqlite+aiosqlite:///sitrep.db (the default) or
                        postgresql://user:password@host:5432/sitrep
  SITREP_HOST, PORT     where /healthz (and, over HTTP, /slack/events) listen;
                        default 0.0.0.0 and 3000
  SITREP_DATABASE_WAIT  how long to wait for the database at start-up; 30s

Every other setting is in the README's "Settings". Pending migrations are applied
first. A wrong setting, a database that does not answer, a token Slack refuses or a
port in use stops serve with exit status 2 and one line naming the setting to fix.
SIGTERM or Ctrl-C: no new requests; work in hand finishes; exits within 10 s."""


class _Parser(argparse.ArgumentParser):
    """A usage mistake is one line, like every other refusal of the command line."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if getattr(args, "run", None) is None:
        # `sitrep` or `sitrep db` alone: what can follow.
        (args.help_for or parser).print_help()
        return 0
    from bot.core.logging import configure_for_command
    from bot.core.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        configure_for_command(settings.log_format, settings.log_level,
                              serving=args.run is _serve, verbose=args.verbose)
        return int(args.run(args, settings))
    except ConfigError as error:
        print(f"sitrep: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="sitrep", description="Slack incident bot.")
    parser.add_argument("--version", action="version", version=f"sitrep {_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    parser.set_defaults(run=None, help_for=None)
    commands = parser.add_subparsers(metavar="command")

    serve = commands.add_parser(
        "serve", help="run the bot, over HTTP or Socket Mode (migrates the database first)",
        description="Run the bot: over HTTP, or over Socket Mode when SLACK_APP_TOKEN is set.",
        epilog=SERVE_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    serve.add_argument("--port", type=_port,
                       help="HTTP port (default: $PORT or 3000; 0: any free port)")
    serve.set_defaults(run=_serve)

    demo = commands.add_parser(
        "demo", help="run a whole incident against the built-in Slack emulator (no workspace)")
    demo.set_defaults(run=_demo)

    retro = commands.add_parser("retro", help="print an incident's retrospective (Markdown)")
    retro.add_argument("incident", help="the incident: N or INC-N")
    retro.add_argument("--regenerate", action="store_true",
                       help="rebuild it from the current timeline (stored as a new version)")
    retro.add_argument("--output", "-o", type=Path, help="write it to FILE instead of printing")
    retro.add_argument("--team", help="Slack team id, when the database holds several")
    retro.set_defaults(run=_retro)

    stats = commands.add_parser(
        "stats", help="insights over past incidents: when they start, how long they take, "
                      "who carries them",
        description="Insights over the incident history (recorded and imported incidents). "
                    "Weekdays and hours are those of each start in SITREP_TIMEZONE; "
                    "durations are medians and 90th percentiles with the median's 95 % "
                    "interval; a chi-square test says whether a weekday stands out.")
    stats.add_argument("--since", type=_day, metavar="YYYY-MM-DD",
                       help="incidents started on this local day or later")
    stats.add_argument("--until", type=_day, metavar="YYYY-MM-DD",
                       help="incidents started on this local day or earlier")
    stats.add_argument("--severity", type=_severity, metavar="N", help="only severity N (1-4)")
    stats.add_argument("--format", choices=("text", "json"), default="text",
                       help="text tables (default) or one JSON object")
    stats.set_defaults(run=_stats)

    db = commands.add_parser("db", help="database maintenance")
    db.set_defaults(help_for=db)
    db_commands = db.add_subparsers(metavar="action")
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations")
    upgrade.set_defaults(run=_db_upgrade)
    current = db_commands.add_parser(
        "current", help="print the database's migration revision and whether it is up to "
                        "date (exit status 1 when migrations are pending)")
    current.set_defaults(run=_db_current)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sitrep")
    except PackageNotFoundError:
        return "(not installed)"


def _port(written: str) -> int:
    """--port 0 asks for any free port (the tests and the demo use it)."""
    try:
        port = int(written)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{written!r} is not a port: give a number from 1 to 65535 (0: any free port)")
    return port


def _day(written: str) -> date:
    from datetime import date

    try:
        return date.fromisoformat(written)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{written!r} is not a day: write it as YYYY-MM-DD, e.g. 2026-01-31") from None


def _severity(written: str) -> int:
    if written.strip().lower().removeprefix("sev") not in {"1", "2", "3", "4"}:
        raise argparse.ArgumentTypeError(f"{written!r} is not a severity: give 1, 2, 3 or 4")
    return int(written.strip().lower().removeprefix("sev"))


def _serve(args: argparse.Namespace, settings: Settings) -> int:

    from bot.server import serve_until_stopped

    settings.check_can_serve()
    asyncio.run(serve_until_stopped(settings, port=args.port))
    return 0


def _demo(_args: argparse.Namespace, _settings: Settings) -> int:

    from bot.devtools.demo import run_demo

    return asyncio.run(run_demo(sys.stdout))


def _retro(args: argparse.Namespace, settings: Settings) -> int:

    from bot.usecases.retro_printing import RetroNotFound, parse_incident_number, retrospective

    database = _existing_database(settings)
    try:
        number = parse_incident_number(args.incident)
        markdown = asyncio.run(retrospective(settings, number, team_id=args.team,
                                             regenerate=args.regenerate))
    except RetroNotFound as missing:
        print(f"sitrep: {missing} (read {database})", file=sys.stderr)
        return EXIT_USAGE
    if args.output is None:
        sys.stdout.write(markdown)
    else:
        args.output.write_text(markdown, encoding="utf-8")
        print(f"Wrote INC-{number}'s retrospective from {database} to {args.output}.")
    return 0


def _stats(args: argparse.Namespace, settings: Settings) -> int:

    import json

    from sqlalchemy.exc import DBAPIError

    from bot.core.clock import SystemClock
    from bot.usecases.insights import StatsQuery, insights_from
    from bot.usecases.insights_table import table

    database = _existing_database(settings)
    if args.since and args.until and args.since > args.until:
        print(f"sitrep: --since {args.since} is after --until {args.until}: nothing can "
              "start in that window.", file=sys.stderr)
        return EXIT_USAGE
    # The operator reads the database itself: private incidents count too.
    query = StatsQuery(since=args.since, until=args.until, severity=args.severity,
                       private=True)
    try:
        insights = asyncio.run(insights_from(settings, query, now=SystemClock().now()))
    except DBAPIError as failed:
        # A database no migration has brought up to date lacks tables or columns.
        print(f"sitrep: could not read the history from {database} "
              f"({type(failed.orig).__name__}); if it was never migrated or is behind, run "
              "`sitrep db upgrade` first.", file=sys.stderr)
        return 1
    if args.format == "json":
        print(json.dumps(insights.as_json()))
    else:
        sys.stdout.write(table(insights))
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:

    from bot.core.database_url import shown
    from bot.db import migrate
    from bot.db.engine import create_engine

    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print(f"Database is up to date ({shown(settings.database_url)}).")
    return 0


def _db_current(_args: argparse.Namespace, settings: Settings) -> int:

    from bot.db import migrate
    from bot.db.engine import create_engine

    database = _existing_database(settings)

    async def run() -> migrate.Revisions:
        engine = create_engine(settings.database_url)
        try:
            return await migrate.revisions(engine)
        finally:
            await engine.dispose()

    revisions = asyncio.run(run())
    at = revisions.current or "no revision (never migrated)"
    if revisions.up_to_date:
        print(f"{database}: at {at}, up to date.")
        return 0
    print(f"{database}: at {at}; the newest is {revisions.head}: run `sitrep db upgrade` "
          "(`sitrep serve` applies them too).")
    return 1


def _existing_database(settings: Settings) -> str:
    """The database reading commands use, named for the person; an SQLite file that is not
    there is said, never created empty (as opening it would)."""
    from bot.core.database_url import shown, sqlite_path
    from bot.core.settings import ConfigError

    path = sqlite_path(settings.database_url)
    if path is None:
        return shown(settings.database_url)
    absolute = Path(path).expanduser().absolute()
    if not absolute.is_file():
        raise ConfigError(f"DATABASE_URL: there is no SQLite database at {absolute}; run this "
                          "in the directory `sitrep serve` runs in, or set DATABASE_URL to "
                          "its database.")
    return f"the SQLite database {absolute}"


if __name__ == "__main__":
    sys.exit(main())
