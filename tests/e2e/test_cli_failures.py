"""`sitrep serve` refuses what it cannot serve with one readable line naming the setting and
exit 2, never a traceback: bad settings, a broken retrospective template, a database that is
not there, a token Slack refuses, a port it cannot listen on."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bot.devtools.slack_emulator import SlackEmulator
from tests.support import databases
from tests.support.databases import sqlite_url
from tests.support.serve_process import free_port
from tests.support.settings import BOT_TOKEN, SIGNING_SECRET
from tests.support.sitrep_cli import Finished, clean_environment, run_sitrep


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
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16,
          "SITREP_UPDATE_REMINDERS": "sev1=soon"}, "SITREP_UPDATE_REMINDERS"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16,
          "SITREP_DIGEST_AT": "9am"}, "SITREP_DIGEST_AT"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16,
          "SITREP_STALE_AFTER": "3 days"}, "SITREP_STALE_AFTER"),
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16,
          "SITREP_HANDOVER_AFTER": "-3h"}, "SITREP_HANDOVER_AFTER"),
        # The dashboard is on once SLACK_CLIENT_ID is set, and needs its session key.
        ({"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "ab" * 16,
          "SLACK_CLIENT_ID": "1.2", "SLACK_CLIENT_SECRET": "s",
          "SITREP_PUBLIC_URL": "https://sitrep.example.com"}, "SITREP_SESSION_SECRET"),
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


# What an operator gets wrong when `sitrep serve` first meets the database, Slack and the
# network: each stops it with exit status 2 and one line that names the setting to fix.

def _serving_environment(slack: SlackEmulator, tmp_path: Path, **settings: str) -> dict[str, str]:
    return clean_environment(**({"SLACK_BOT_TOKEN": BOT_TOKEN,
                                 "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                                 "SLACK_API_URL": slack.api_url,
                                 "DATABASE_URL": sqlite_url(tmp_path / "sitrep.db"),
                                 "SITREP_HOST": "127.0.0.1"} | settings))


def _the_one_line(failed: Finished) -> str:
    assert failed.returncode == 2, failed
    assert "Traceback" not in failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1, failed.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("database_url", "says"),
    [
        ("mysql://sitrep@db.internal/sitrep", "SQLite or PostgreSQL"),
        ("postgresql+psycopg://sitrep@db.internal/sitrep", "psycopg driver is not installed"),
        ("not a url", "write sqlite+aiosqlite:///sitrep.db"),
    ],
)
async def test_serve_refuses_a_database_url_it_cannot_use(
        database_url: str, says: str, slack: SlackEmulator, tmp_path: Path) -> None:
    env = _serving_environment(slack, tmp_path, DATABASE_URL=database_url)
    line = _the_one_line(await run_sitrep("serve", "--port", "0", env=env, cwd=tmp_path))
    assert line.startswith("sitrep: DATABASE_URL is invalid: ")
    assert says in line


async def test_serve_names_an_sqlite_file_it_cannot_create(slack: SlackEmulator,
                                                           tmp_path: Path) -> None:
    not_a_folder = tmp_path / "data"
    not_a_folder.write_text("a file where the directory should be")
    env = _serving_environment(slack, tmp_path,
                               DATABASE_URL=sqlite_url(not_a_folder / "sitrep.db"))
    line = _the_one_line(await run_sitrep("serve", "--port", "0", env=env, cwd=tmp_path))
    assert line.startswith("sitrep: DATABASE_URL ")
    assert str(not_a_folder / "sitrep.db") in line
    assert f"{not_a_folder} is not a directory" in line


async def test_serve_waits_for_a_database_that_does_not_answer_then_gives_up(
        slack: SlackEmulator, tmp_path: Path) -> None:
    # Nothing listens on this port: connections are refused, as while PostgreSQL is down.
    env = _serving_environment(
        slack, tmp_path, SITREP_DATABASE_WAIT="1s",
        DATABASE_URL=f"postgres://sitrep:hunter2@127.0.0.1:{free_port()}/sitrep")
    line = _the_one_line(await run_sitrep("serve", "--port", "0", env=env, cwd=tmp_path))
    assert line.startswith("sitrep: DATABASE_URL: ")
    assert "did not answer within 1 s" in line
    assert "SITREP_DATABASE_WAIT" in line
    assert "hunter2" not in line


@pytest.mark.parametrize("command", [("db", "current"), ("db", "upgrade"), ("stats",),
                                     ("retro", "1"), ("export",), ("import", "--list")])
async def test_every_database_command_says_the_database_is_down_in_one_line(
        command: tuple[str, ...], tmp_path: Path) -> None:
    env = clean_environment(
        DATABASE_URL=f"postgres://sitrep:hunter2@127.0.0.1:{free_port()}/sitrep")
    line = _the_one_line(await run_sitrep(*command, env=env, cwd=tmp_path))
    assert line.startswith("sitrep: DATABASE_URL: postgresql+asyncpg://sitrep:***@127.0.0.1:")
    assert "did not answer" in line and "check that the database server is running" in line
    assert "hunter2" not in line


@pytest.mark.postgres
async def test_serve_names_a_postgres_database_that_does_not_exist(
        slack: SlackEmulator, tmp_path: Path) -> None:
    server = make_url(databases.postgres_admin_url())
    missing = server.set(drivername="postgresql", database="sitrep_nobody_made_this")
    env = _serving_environment(slack, tmp_path,
                               DATABASE_URL=missing.render_as_string(hide_password=False))
    line = _the_one_line(await run_sitrep("serve", "--port", "0", env=env, cwd=tmp_path))
    assert line.startswith("sitrep: DATABASE_URL: ")
    assert 'database "sitrep_nobody_made_this" does not exist' in line


@pytest.mark.postgres
@pytest.mark.parametrize("scheme", ["postgres", "postgresql"])
async def test_the_url_forms_hosting_providers_hand_out_mean_asyncpg(
        scheme: str, empty_database_url: str, tmp_path: Path) -> None:
    if not empty_database_url.startswith("postgresql+asyncpg://"):
        pytest.skip("a PostgreSQL URL form")
    handed_out = empty_database_url.replace("postgresql+asyncpg://", f"{scheme}://", 1)
    upgraded = await run_sitrep("db", "upgrade", env=clean_environment(DATABASE_URL=handed_out),
                                cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    current = await run_sitrep("db", "current", env=clean_environment(DATABASE_URL=handed_out),
                               cwd=tmp_path)
    assert current.returncode == 0, current.stderr
    assert "up to date" in current.stdout


async def test_serve_refuses_a_bot_token_slack_refuses(slack: SlackEmulator,
                                                       tmp_path: Path) -> None:
    env = _serving_environment(slack, tmp_path, SLACK_BOT_TOKEN="xoxb-revoked-last-week")
    line = _the_one_line(await run_sitrep("serve", "--port", "0", env=env, cwd=tmp_path))
    assert line.startswith("sitrep: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)")
    assert "OAuth & Permissions" in line


async def test_serve_refuses_an_app_token_slack_refuses(slack: SlackEmulator,
                                                        tmp_path: Path) -> None:
    env = _serving_environment(slack, tmp_path, SLACK_SIGNING_SECRET="",
                               SLACK_APP_TOKEN="xapp-1-revoked")
    line = _the_one_line(await run_sitrep("serve", "--port", "0", env=env, cwd=tmp_path))
    assert line.startswith("sitrep: SLACK_APP_TOKEN was refused by Slack (invalid_auth)")
    assert "connections:write" in line


@pytest.mark.parametrize("given_as", ["PORT", "--port"])
async def test_serve_names_a_port_in_use(given_as: str, slack: SlackEmulator,
                                         tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        env = _serving_environment(slack, tmp_path, **({"PORT": port}
                                                       if given_as == "PORT" else {}))
        args = ("--port", port) if given_as == "--port" else ()
        line = _the_one_line(await run_sitrep("serve", *args, env=env, cwd=tmp_path))
    assert line.startswith(f"sitrep: {given_as}: port {port} on 127.0.0.1 is already in use")


async def test_serve_names_an_address_it_cannot_listen_on(slack: SlackEmulator,
                                                          tmp_path: Path) -> None:
    # TEST-NET-3: never an address of this machine.
    env = _serving_environment(slack, tmp_path, SITREP_HOST="203.0.113.7")
    line = _the_one_line(await run_sitrep("serve", "--port", "0", env=env, cwd=tmp_path))
    assert line.startswith("sitrep: SITREP_HOST: cannot listen on 203.0.113.7")


@pytest.mark.parametrize("port", ["99999", "-1", "http"])
async def test_serve_refuses_a_port_that_is_not_one(port: str, tmp_path: Path) -> None:
    line = _the_one_line(await run_sitrep("serve", "--port", port, env=clean_environment(),
                                          cwd=tmp_path))
    assert line.startswith("sitrep serve: argument --port: ")
    assert "1 to 65535" in line


async def test_serve_refuses_a_database_wait_that_is_not_a_duration(tmp_path: Path) -> None:
    env = clean_environment(SITREP_DATABASE_WAIT="a while")
    line = _the_one_line(await run_sitrep("serve", env=env, cwd=tmp_path))
    assert line.startswith("sitrep: SITREP_DATABASE_WAIT is invalid: write a duration")


@pytest.mark.parametrize(("written", "says"), [
    ("severity", "'severity' is not a label matcher"),
    ("severity=~(critical", "the regex is wrong"),
])
async def test_serve_refuses_a_routing_rule_it_cannot_read(
        written: str, says: str, slack: SlackEmulator, tmp_path: Path) -> None:
    env = _serving_environment(slack, tmp_path, SITREP_ALERTMANAGER_OPEN_ON=written)
    line = _the_one_line(await run_sitrep("serve", "--port", "0", env=env, cwd=tmp_path))
    assert line.startswith("sitrep: SITREP_ALERTMANAGER_OPEN_ON is invalid: ")
    assert says in line
