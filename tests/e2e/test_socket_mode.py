"""Socket Mode: with an app-level token the bot connects out to Slack and answers there; it
reports on /healthz whether it is connected, and SIGTERM stops it taking envelopes at once
while the work in hand finishes."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import uuid
from pathlib import Path
from typing import Any

import aiohttp

from bot.devtools.slack_emulator import SlackEmulator
from bot.server import HEALTH_PATH, start_bot
from tests.support.databases import sqlite_url
from tests.support.serve_process import free_port, start_serve_process
from tests.support.settings import APP_TOKEN, BOT_TOKEN, make_settings
from tests.support.sitrep_cli import clean_environment
from tests.support.slack_reading import cards

# Slack's SDK tries a lost connection again every 10 s; this leaves it a few tries.
RECONNECT_LIMIT_S = 40
# An orchestrator's grace period after SIGTERM is often this, then SIGKILL.
GRACE_PERIOD_S = 10


def _slash_command(slack: SlackEmulator, text: str, response_key: str) -> dict[str, Any]:
    return {"command": "/incident", "text": text, "user_id": "U0ALICE",
            "channel_id": "C0GENERAL", "team_id": "T0001", "trigger_id": "1.2.abc",
            "response_url": f"{slack.base_url}/response/{response_key}"}


async def test_help_works_over_socket_mode(database_url: str, slack: SlackEmulator) -> None:
    settings = make_settings(database_url, slack, SLACK_APP_TOKEN=APP_TOKEN,
                             SLACK_SIGNING_SECRET=None)
    running = await start_bot(settings, port=0)
    try:
        await slack.wait_for_socket_connection(timeout=10)
        envelope_id = await slack.socket_mode_send(
            "slash_commands", _slash_command(slack, "help", "socket-1"),
            accepts_response_payload=True)
        ack = await slack.wait_for_socket_ack(envelope_id, timeout=10)
    finally:
        await running.stop()
    assert ack is not None
    assert "`/incident help`" in ack["text"]
    assert slack.calls_to("apps.connections.open")


async def _health(session: aiohttp.ClientSession, url: str) -> tuple[int, dict[str, Any]]:
    async with session.get(url) as response:
        return response.status, await response.json()


async def _health_becomes(session: aiohttp.ClientSession, url: str,
                          status: int) -> dict[str, Any]:
    for _ in range(RECONNECT_LIMIT_S * 10):
        try:
            answered, body = await _health(session, url)
        except aiohttp.ClientConnectionError:  # not listening yet
            answered, body = 0, {}
        if answered == status:
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"/healthz never answered {status}")


async def test_healthz_is_503_while_socket_mode_is_not_connected(
        database_url: str, slack: SlackEmulator) -> None:
    settings = make_settings(database_url, slack, SLACK_APP_TOKEN=APP_TOKEN,
                             SLACK_SIGNING_SECRET=None)
    sock = socket.create_server(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}{HEALTH_PATH}"
    running = await start_bot(settings, sock=sock)
    try:
        async with aiohttp.ClientSession() as session:
            await slack.wait_for_socket_connection(timeout=10)
            assert (await _health(session, url))[0] == 200

            # The app token is revoked and Slack drops the connection: no new one is let in.
            slack.app_tokens.discard(APP_TOKEN)
            await slack.socket_mode.close()
            body = await _health_becomes(session, url, 503)
            assert body["error"] == "slack_not_connected"

            # A new token in place (as Slack would for the SDK's next try): healthy again.
            slack.app_tokens.add(APP_TOKEN)
            await _health_becomes(session, url, 200)
    finally:
        await running.stop()
    assert slack.socket_mode.connection_count == 2


async def test_sigterm_stops_taking_envelopes_at_once_and_finishes_the_work_in_hand(
        database_url: str, slack: SlackEmulator, tmp_path: Path) -> None:
    settings = make_settings(database_url, slack, SLACK_APP_TOKEN=APP_TOKEN,
                             SLACK_SIGNING_SECRET=None)
    served = await start_serve_process(settings, slack, tmp_path)
    try:
        # An incident start in hand: acknowledged, its channel asked for, Slack's answer
        # still on its way when SIGTERM comes.
        slack.hold("conversations.create")
        key = uuid.uuid4().hex
        envelope_id = await slack.socket_mode_send(
            "slash_commands", _slash_command(slack, "start sev2 Payments are down", key),
            accepts_response_payload=True)
        await slack.wait_for_socket_ack(envelope_id, timeout=10)
        await slack.wait_for_call("conversations.create", timeout=10)
        served.process.send_signal(signal.SIGTERM)

        # No more envelopes: the connection closes while the start is still in hand.
        for _ in range(GRACE_PERIOD_S * 10):
            if not slack.socket_mode.open_connections():
                break
            await asyncio.sleep(0.1)
        assert not slack.socket_mode.open_connections(), "still connected after SIGTERM"
        assert served.process.returncode is None

        slack.release()
        try:
            await asyncio.wait_for(served.process.wait(), timeout=GRACE_PERIOD_S)
        except TimeoutError:
            raise AssertionError(f"still running {GRACE_PERIOD_S} s after SIGTERM") from None
        assert served.process.stderr is not None
        log = (await served.process.stderr.read()).decode()
    finally:
        await served.ensure_gone()

    assert served.process.returncode == 0, log
    assert "Traceback" not in log
    stopping = log[log.index("Stopping"):]
    assert " WARNING " not in stopping and " ERROR " not in stopping, stopping
    assert stopping.rstrip().endswith("Stopped")
    # The start was finished: its channel has the incident's card, and Alice was told.
    channel = slack.channel_by_name("inc-1-payments-are-down")
    assert channel is not None
    assert cards(slack, channel.id)
    reply = await slack.wait_for_response(key, timeout=5)
    assert "INC-1" in str(reply.body["text"])


async def test_a_socket_mode_that_cannot_connect_is_unhealthy_and_stops_on_sigterm(
        slack: SlackEmulator, tmp_path: Path) -> None:
    # Slack's side is down: the token cannot be checked, and no connection can be opened.
    slack.server_error("apps.connections.open", times=1000, status=503)
    port = free_port()
    env = clean_environment(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_APP_TOKEN=APP_TOKEN,
                            SLACK_API_URL=slack.api_url, SITREP_HOST="127.0.0.1",
                            DATABASE_URL=sqlite_url(tmp_path / "sitrep.db"))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "serve", "--port", str(port), env=env, cwd=tmp_path,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    try:
        async with aiohttp.ClientSession() as session:
            body = await _health_becomes(session, f"http://127.0.0.1:{port}{HEALTH_PATH}",
                                         503)
        assert body["error"] == "slack_not_connected"
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(process.wait(), timeout=GRACE_PERIOD_S)
        except TimeoutError:
            raise AssertionError(f"still running {GRACE_PERIOD_S} s after SIGTERM") from None
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
