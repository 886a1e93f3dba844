"""`GET /metrics` as Prometheus scrapes it, from a bot served over HTTP: what moves when
Slack sends a command and an event, when Slack rate-limits or fails a call, and when
events wait in the inbox; and the example alert rules ask for metrics that exist."""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Mapping

import aiohttp
import yaml
from prometheus_client.parser import text_string_to_metric_families

from bot.devtools import payloads
from bot.devtools.slack_emulator import SlackEmulator
from bot.server import start_bot
from bot.web.metrics import METRICS_PATH
from tests.support.incident_steps import start_incident
from tests.support.paths import REPO
from tests.support.retry_waits import RetryWaits
from tests.support.served_bot import ServedBot
from tests.support.settings import APP_TOKEN, make_settings
from tests.support.timeline_steps import deliver, new_event_id, react

Samples = Mapping[tuple[str, frozenset[tuple[str, str]]], float]
ALERT_RULES = REPO / "deploy" / "prometheus-alerts.yaml"


async def _scrape(bot: ServedBot | str) -> Samples:
    url = bot if isinstance(bot, str) else bot.url
    async with aiohttp.ClientSession() as http, http.get(url + METRICS_PATH) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("text/plain;")
        text = await answer.text()
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def _value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def _moved(before: Samples, after: Samples, name: str, **labels: str) -> float:
    return _value(after, name, **labels) - _value(before, name, **labels)


async def test_a_command_and_an_event_move_the_counters_and_histograms(
        bot: ServedBot, retry_waits: RetryWaits) -> None:
    before = await _scrape(bot)
    # The card's post meets one 429, which the client waits out.
    bot.slack.rate_limit("chat.postMessage")
    opened = await start_incident(bot, "sev2 Checkout returns 500s")
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "Rolled back")
    await react(bot, opened.channel_id, message["ts"], "U0ALICE")
    refused = await bot.client.slash_command("help", bad_signature=True)
    assert refused.status == 401
    after = await _scrape(bot)

    requests = "sitrep_slack_requests_total"
    assert _moved(before, after, requests, kind="command", outcome="ok") == 1
    assert _moved(before, after, requests, kind="event", outcome="ok") == 1
    assert _moved(before, after, requests, kind="unread", outcome="refused") == 1
    latency = "sitrep_slack_request_duration_seconds"
    for kind in ("command", "event"):
        assert _moved(before, after, f"{latency}_count", kind=kind) == 1
        assert _moved(before, after, f"{latency}_bucket", kind=kind, le="+Inf") == 1
        assert _moved(before, after, f"{latency}_sum", kind=kind) > 0

    calls = "sitrep_slack_api_calls_total"
    assert _moved(before, after, calls, method="conversations.create", outcome="ok") == 1
    assert _moved(before, after, calls, method="conversations.history", outcome="ok") == 1
    assert _moved(before, after, calls, method="chat.postMessage", outcome="ok") >= 1
    assert _moved(before, after, calls, method="chat.postMessage", outcome="ratelimited") == 0
    assert _moved(before, after, "sitrep_slack_api_rate_limited_responses_total",
                  method="chat.postMessage") == 1
    assert _moved(before, after, "sitrep_slack_api_call_duration_seconds_count",
                  method="conversations.create") == 1

    # Read from this bot's database when scraped.
    assert _value(after, "sitrep_database_figures_ok") == 1
    assert {severity: _value(after, "sitrep_open_incidents", severity=str(severity))
            for severity in range(1, 5)} == {1: 0, 2: 1, 3: 0, 4: 0}
    assert _value(after, "sitrep_inbox_backlog_events") == 0
    assert _value(after, "sitrep_inbox_oldest_waiting_seconds") == 0
    assert ("sitrep_slack_app_rate_limited_total", frozenset()) in after


async def test_events_waiting_in_the_inbox_and_slack_failing_show(
        bot: ServedBot, retry_waits: RetryWaits) -> None:
    opened = await start_incident(bot, "sev1 Payments down")
    before = await _scrape(bot)
    message = bot.slack.post_human_message(opened.channel_id, "U0BOB", "p99 at 4s on /pay")
    bot.slack.add_human_reaction(opened.channel_id, message["ts"], "U0ALICE", "pushpin")
    bot.slack.server_error("conversations.history", times=100, status=503)
    await deliver(bot, payloads.reaction_event(
        "reaction_added", user="U0ALICE", reaction="pushpin", channel=opened.channel_id,
        ts=message["ts"]), event_id=new_event_id(), wait=False)
    # The first try and the client's two retries: the event waits for the replay.
    await bot.slack.wait_for_call("conversations.history", count=3)
    await bot.settle()
    after = await _scrape(bot)
    bot.slack.clear_faults()

    assert _value(after, "sitrep_inbox_backlog_events") == 1
    assert _value(after, "sitrep_inbox_oldest_waiting_seconds") > 0
    assert _moved(before, after, "sitrep_slack_api_calls_total",
                  method="conversations.history", outcome="http_503") == 1
    assert _value(after, "sitrep_open_incidents", severity="1") == 1


async def test_app_rate_limited_notices_are_counted(bot: ServedBot) -> None:
    before = await _scrape(bot)
    response = await bot.client.app_rate_limited()
    assert response.status == 200
    after = await _scrape(bot)
    assert _moved(before, after, "sitrep_slack_app_rate_limited_total") == 1
    assert _moved(before, after, "sitrep_slack_requests_total", kind="app_rate_limited",
                  outcome="ok") == 1


async def test_the_example_alert_rules_ask_for_metrics_the_bot_serves(bot: ServedBot) -> None:
    rules = yaml.safe_load(ALERT_RULES.read_text())
    served = {name for name, _ in await _scrape(bot)}
    alerts = [rule for group in rules["groups"] for rule in group["rules"]]
    assert {"SitrepInboxBacklog", "SitrepSlackApiErrors"} <= {rule["alert"] for rule in alerts}
    for rule in alerts:
        assert rule["annotations"]["summary"], rule
        for name in re.findall(r"\bsitrep_\w+", rule["expr"]):
            assert name in served, f"{rule['alert']} asks for {name}, which is not served"


async def test_prometheus_asking_for_openmetrics_gets_it(bot: ServedBot) -> None:
    accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"
    async with aiohttp.ClientSession() as http, http.get(
            bot.url + METRICS_PATH, headers={"Accept": accept}) as answer:
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("application/openmetrics-text;")
        text = await answer.text()
    # One exposition, the database's figures in it, ended once as OpenMetrics requires.
    assert text.endswith("# EOF\n") and text.count("# EOF") == 1
    assert "sitrep_open_incidents{severity=\"1\"} 0.0" in text
    assert "# TYPE sitrep_slack_requests counter" in text


async def test_requests_over_socket_mode_are_counted_too(database_url: str,
                                                         slack: SlackEmulator) -> None:
    settings = make_settings(database_url, slack, SLACK_APP_TOKEN=APP_TOKEN,
                             SLACK_SIGNING_SECRET=None)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    running = await start_bot(settings, sock=sock)
    try:
        await slack.wait_for_socket_connection(timeout=10)
        before = await _scrape(url)
        envelope_id = await slack.socket_mode_send(
            "slash_commands",
            {"command": "/incident", "text": "help", "user_id": "U0ALICE",
             "channel_id": "C0GENERAL", "team_id": "T0001", "trigger_id": "1.2.abc",
             "response_url": f"{slack.base_url}/response/socket-1"},
            accepts_response_payload=True)
        assert await slack.wait_for_socket_ack(envelope_id, timeout=10) is not None
        # Counted once the answer is sent, a moment after Slack has it.
        async with asyncio.timeout(10):
            while True:
                after = await _scrape(url)
                if _moved(before, after, "sitrep_slack_requests_total", kind="command",
                          outcome="ok"):
                    break
                await asyncio.sleep(0.05)
    finally:
        await running.stop()
    assert _moved(before, after, "sitrep_slack_requests_total", kind="command",
                  outcome="ok") == 1
    assert _moved(before, after, "sitrep_slack_request_duration_seconds_count",
                  kind="command") == 1
