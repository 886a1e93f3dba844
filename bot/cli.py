"""The `sitrep` command line.

Only the standard library is imported at module level: `sitrep --help` and a mistyped
command answer at once, and each command imports what it needs when it runs."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TextIO

if TYPE_CHECKING:
    from datetime import date

    from bot.core.settings import Settings
    from bot.db.engine import SessionFactory
    from bot.domain.imports import Batch
    from bot.usecases.incident_import import Imported, Undone

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


IMPORT_EPILOG = """\
The file: a header row, then one incident a row, with the columns
  id,title,severity,started_at,mitigated_at,resolved_at,commander,summary
  id          the incident's id in the system it comes from (importing it again
              changes nothing)
  severity    1-4 (or sev1-sev4)
  *_at        ISO 8601 (2026-01-02T09:00+01:00; without an offset, SITREP_TIMEZONE)
  commander   a Slack user id (U...), an email or a name
mitigated_at, resolved_at, commander and summary may be empty.

Every row is checked first: a bad one is reported as `line N: <reason>` and nothing
is imported (exit status 1), unless --skip-bad. The import is one transaction.
`sitrep export --format csv` writes the same columns."""


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
        _collect_from_here()
        configure_for_command(settings.log_format, settings.log_level,
                              serving=args.run is _serve, verbose=args.verbose)
        try:
            return int(args.run(args, settings))
        except Exception as failure:
            said = _database_trouble(settings, failure)
            if said is None:
                raise
            print(f"sitrep: {said}", file=sys.stderr)
            return EXIT_USAGE
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
    demo.add_argument("--dashboard", action="store_true",
                      help="then keep serving the dashboard with the demo's incident, "
                           "signed in through the built-in Slack, until Ctrl-C")
    demo.add_argument("--port", type=_port, default=0,
                      help="the dashboard's port with --dashboard (default: any free port)")
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
    imports = commands.add_parser(
        "import", help="load past incidents from a CSV file; list or undo imports",
        description="Load past incidents from another system, so they count in the stats.",
        epilog=IMPORT_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    imports.add_argument("file", nargs="?", type=Path, metavar="FILE.csv",
                         help="the CSV file to import")
    imports.add_argument("--skip-bad", action="store_true",
                         help="import the good rows even when some are bad")
    undoing = imports.add_mutually_exclusive_group()
    undoing.add_argument("--list", action="store_true", help="list the imports made")
    undoing.add_argument("--undo", metavar="FILE", type=Path,
                         help="remove what importing FILE added")
    undoing.add_argument("--undo-batch", metavar="N", type=int,
                         help="remove what import N (see --list) added")
    imports.add_argument("--team", metavar="T…",
                         help="the Slack workspace's id, when the database cannot tell it")
    imports.set_defaults(run=_import)

    export = commands.add_parser(
        "export", help="write every incident (recorded and imported) as CSV or JSON",
        description="Write the whole history in the columns `sitrep import` reads.")
    export.add_argument("--format", choices=("csv", "json"), default="csv",
                        help="csv (the default) or json (an array of objects)")
    export.add_argument("--output", "-o", type=Path, metavar="FILE",
                        help="write to FILE instead of printing")
    export.add_argument("--team", metavar="T…",
                        help="the Slack workspace's id, when the database holds several")
    export.set_defaults(run=_export)

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


def _demo(args: argparse.Namespace, _settings: Settings) -> int:

    from bot.devtools.demo import run_demo

    return asyncio.run(run_demo(sys.stdout, dashboard=args.dashboard, port=args.port))


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
    query = StatsQuery(since=args.since, until=args.until, severity=args.severity)
    try:
        insights = asyncio.run(insights_from(settings, query, now=SystemClock().now()))
    except DBAPIError as failed:
        if _database_trouble(settings, failed) is not None:
            raise
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


def _import(args: argparse.Namespace, settings: Settings) -> int:

    from bot.core.clock import SystemClock
    from bot.domain.past_incidents import UnusableFile
    from bot.usecases import incident_import

    chosen = [given for given in (args.file, args.list or None, args.undo,
                                  args.undo_batch) if given is not None]
    if len(chosen) != 1:
        return _usage("import", "give one of: FILE.csv, --list, --undo FILE.csv, "
                                "--undo-batch N")
    database = _existing_database(settings)
    for path in (args.file, args.undo):
        if path is not None and not path.is_file():
            return _usage("import", f"{path}: there is no such file")

    async def run() -> int:
        async with _sessions(settings) as sessions:
            if args.list:
                return _listed(await incident_import.listing(sessions, args.team), database)
            try:
                if args.undo_batch is not None:
                    undone = await incident_import.undo_batch(sessions, args.undo_batch)
                    return _undone(undone)
                if args.undo is not None:
                    team = args.team or await _only_team(sessions)
                    return _undone(await incident_import.undo_file(sessions, args.undo, team))
            except incident_import.NothingToUndo as nothing:
                print(f"sitrep: {nothing} (read {database})", file=sys.stderr)
                return 1
            now = SystemClock().now()
            checked = incident_import.check_file(args.file, zone=settings.timezone, now=now)
            team = "" if checked.refused(skip_bad=args.skip_bad) or not checked.good else (
                args.team or await _only_team(sessions) or await _team_from_slack(settings))
            imported = await incident_import.import_file(
                sessions, args.file, checked, team_id=team, zone=settings.timezone, now=now,
                skip_bad=args.skip_bad)
            return _imported(imported, args.file, database)

    from sqlalchemy.exc import OperationalError

    try:
        return asyncio.run(run())
    except UnusableFile as unusable:
        print(f"{unusable}\nNothing imported from {args.file}.", file=sys.stderr)
        return 1
    except OperationalError as error:
        if "database is locked" not in str(error.orig):
            raise
        print(f"sitrep: {database} stayed busy (another import, or the bot writing) longer "
              "than Sitrep waits; nothing was changed: run this again", file=sys.stderr)
        return 1


def _imported(result: Imported, path: Path, database: str) -> int:
    for bad in result.bad:
        print(bad, file=sys.stderr)
    if result.refused:
        rows = "row is" if len(result.bad) == 1 else "rows are"
        print(f"Nothing imported from {path}: {len(result.bad)} {rows} bad. Fix them, or "
              "import the others with --skip-bad.", file=sys.stderr)
        return 1
    said = f"Imported {_count(result.imported)} from {path} into {database}"
    if result.batch_id is not None:
        said += (f" as import {result.batch_id} (`sitrep import --undo-batch "
                 f"{result.batch_id}` removes what it added)")
    said += "."
    if result.already_there:
        said += (f" {result.already_there} {'was' if result.already_there == 1 else 'were'} "
                 "already here (the same id), and left as they are.")
    if result.bad:
        said += f" Skipped {len(result.bad)} bad row{'s' if len(result.bad) != 1 else ''}."
    print(said)
    return 0


def _count(incidents: int) -> str:
    return f"{incidents} incident{'s' if incidents != 1 else ''}"


def _listed(batches: Sequence[Batch], database: str) -> int:
    if not batches:
        print(f"No imports in {database}.")
        return 0
    print(f"{'import':>6}  {'when (UTC)':<20}  {'incidents':>9}  file")
    for batch in batches:
        print(f"{batch.id:>6}  {batch.imported_at:%Y-%m-%d %H:%M:%S}   {batch.added:>9}  "
              f"{batch.file_name}")
    return 0


def _undone(undone: Undone) -> int:
    names = ", ".join(f"{batch.id} ({batch.file_name})" for batch in undone.batches)
    noun = "import" if len(undone.batches) == 1 else "imports"
    print(f"Removed {_count(undone.removed)}: everything {noun} {names} added.")
    return 0


def _export(args: argparse.Namespace, settings: Settings) -> int:

    from bot.usecases.incident_export import export

    database = _existing_database(settings)

    async def run(out: TextIO) -> int:
        async with _sessions(settings) as sessions:
            team = args.team or await _only_team(sessions)
            return await export(sessions, out, team_id=team, as_csv=args.format == "csv",
                                zone=settings.timezone)

    if args.output is None:
        asyncio.run(run(sys.stdout))
        return 0
    with args.output.open("w", encoding="utf-8", newline="") as out:
        written = asyncio.run(run(out))
    print(f"Wrote {_count(written)} from {database} to {args.output}.")
    return 0


@asynccontextmanager
async def _sessions(settings: Settings) -> AsyncIterator[SessionFactory]:
    """The database, migrated, for one command."""
    from bot.db import migrate
    from bot.db.engine import create_engine, session_factory

    engine = create_engine(settings.database_url)
    try:
        # Asked first, with a read: an upgrade takes the write lock, and waits minutes for
        # it where another process holds it.
        if not (await migrate.revisions(engine)).up_to_date:
            await migrate.upgrade(engine)
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _only_team(sessions: SessionFactory) -> str | None:
    """The workspace the database numbers incidents for; None when it has none yet."""
    from bot.core.settings import ConfigError
    from bot.domain.imports import teams

    async with sessions() as session:
        known = await teams(session)
    if len(known) > 1:
        raise ConfigError(f"this database holds several Slack workspaces ({', '.join(known)});"
                          " choose one with --team")
    return known[0] if known else None


async def _team_from_slack(settings: Settings) -> str:
    from bot.core.settings import ConfigError

    if settings.slack_bot_token is None:
        raise ConfigError("this database has no incidents yet, so which Slack workspace the "
                          "imported ones belong to is not known: give its id with --team T… "
                          "(Slack: workspace settings, or the T… in `sitrep serve`'s log), or "
                          "set SLACK_BOT_TOKEN and Sitrep asks Slack")
    from slack_sdk.web.async_client import AsyncWebClient

    from bot.slack.credentials import installed_team

    return await installed_team(AsyncWebClient(token=settings.slack_bot_token,
                                               base_url=settings.slack_api_url))


def _usage(command: str, problem: str) -> int:
    print(f"sitrep {command}: {problem} (see sitrep {command} --help)", file=sys.stderr)
    return EXIT_USAGE


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


def _database_trouble(settings: Settings, failure: Exception) -> str | None:
    """A database that is down or refuses Sitrep, met by any command: one line, as
    `serve` says it at start-up, not a traceback from deep inside the driver."""
    from bot.db.reachability import trouble_reaching

    return trouble_reaching(settings.database_url, failure)


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


def run() -> NoReturn:
    """The `sitrep` command as a process of its own: the console script and `python -m`.

    The cyclic garbage collector is off while the process imports (the modules' objects
    live to the end, and walking them again and again is wasted), and everything alive at
    exit is frozen out of its reach, so the interpreter's last collections skip it. A
    short command spent a fifth of its time there: `sitrep stats` on 100,000
    incidents took 0.98 s with it, 0.75 s without (BENCHMARKS.md)."""
    gc.disable()
    status = main()
    gc.freeze()
    sys.exit(status)


def _collect_from_here() -> None:
    """Called once the settings are read, when pydantic and SQLAlchemy, most of any
    command's imports, are in: from here the collector works as usual (`run`)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


if __name__ == "__main__":
    run()
