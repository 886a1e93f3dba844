"""The `sitrep` command line."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.core.logging import configure_for_command
from bot.core.settings import ConfigError, Settings, load_settings
from bot.db import migrate
from bot.db.engine import create_engine

EXIT_USAGE = 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
    parser = argparse.ArgumentParser(prog="sitrep", description="Slack incident bot.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = parser.add_subparsers(required=True, metavar="command")

    serve = commands.add_parser("serve", help="run the bot (migrates the database first)")
    serve.add_argument("--port", type=int, help="HTTP port (default: $PORT or 3000)")
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

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(required=True, metavar="action")
    upgrade = db_commands.add_parser("upgrade", help="apply pending migrations")
    upgrade.set_defaults(run=_db_upgrade)
    return parser


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

    try:
        number = parse_incident_number(args.incident)
        markdown = asyncio.run(retrospective(settings, number, team_id=args.team,
                                             regenerate=args.regenerate))
    except RetroNotFound as missing:
        print(f"sitrep: {missing}", file=sys.stderr)
        return EXIT_USAGE
    if args.output is None:
        sys.stdout.write(markdown)
    else:
        args.output.write_text(markdown, encoding="utf-8")
        print(f"Wrote INC-{number}'s retrospective to {args.output}.")
    return 0


def _db_upgrade(_args: argparse.Namespace, settings: Settings) -> int:
    async def run() -> None:
        engine = create_engine(settings.database_url)
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print(f"Database is up to date ({_safe_url(settings.database_url)}).")
    return 0


def _safe_url(database_url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(database_url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
