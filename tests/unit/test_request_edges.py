"""Where the error handler may answer, and which signatures count: plain functions."""

from __future__ import annotations

import json
import time

import pytest

from bot.slack.request_shapes import problem_with
from bot.slack.response_urls import may_answer
from bot.slack.signatures import SlackSignatures
from tests.support.paths import SLACK_SHAPES
from tests.support.raw_requests import signature_headers
from tests.support.settings import SIGNING_SECRET

SLACK_API = "https://slack.com/api/"
EMULATOR_API = "http://127.0.0.1:40123/api/"


@pytest.mark.parametrize(("url", "api_url", "allowed"), [
    ("https://hooks.slack.com/commands/T0001/1/abc", SLACK_API, True),
    ("https://hooks.slack.com:443/actions/T0001/1/abc", SLACK_API, True),
    ("http://127.0.0.1:40123/response/key", EMULATOR_API, True),
    # Anywhere a forger names is refused, however it is dressed up.
    ("http://127.0.0.1:40123/response/key", SLACK_API, False),
    ("https://attacker.example/collect", SLACK_API, False),
    ("https://hooks.slack.com.attacker.example/x", SLACK_API, False),
    ("https://hooks.slack.com@attacker.example/x", SLACK_API, False),
    ("http://hooks.slack.com/commands/x", SLACK_API, False),
    ("javascript:alert(1)", SLACK_API, False),
    ("https://[::1/x", SLACK_API, False),
    (["https://hooks.slack.com/x"], SLACK_API, False),
    (None, SLACK_API, False),
])
def test_the_error_handler_answers_only_through_slacks_response_urls(
        url: object, api_url: str, allowed: bool) -> None:
    assert may_answer(url, api_url) is allowed


@pytest.mark.parametrize("timestamp", ["not-a-number", "1796008859.5", " 1796008859",
                                       "1_796_008_859", "١٧٩٦٠٠٨٨٥٩", ""])
def test_a_malformed_timestamp_is_simply_not_verified(timestamp: str) -> None:
    headers = signature_headers(b"{}", timestamp=timestamp or "0") | {
        "X-Slack-Request-Timestamp": timestamp}
    assert SlackSignatures(SIGNING_SECRET).verified(b"{}", headers) is False


def test_a_body_that_is_not_utf8_is_simply_not_verified() -> None:
    body = b"\xff\xfe payload"
    assert SlackSignatures(SIGNING_SECRET).verified(body, signature_headers(body)) is False


def test_slacks_own_signature_is_verified() -> None:
    body = b'{"type":"event_callback"}'
    headers = signature_headers(body, timestamp=str(int(time.time())))
    assert SlackSignatures(SIGNING_SECRET).verified(body, headers) is True


@pytest.mark.parametrize("name", sorted(path.name for path in SLACK_SHAPES.glob("*.json")
                                        if not path.name.startswith("response_")))
def test_every_real_slack_payload_has_the_shape_sitrep_reads(name: str) -> None:
    # The gate must never refuse what Slack really sends.
    assert problem_with(json.loads((SLACK_SHAPES / name).read_text())) is None


def test_the_real_slash_command_has_the_shape_sitrep_reads() -> None:
    lines = (SLACK_SHAPES / "slash_command.txt").read_text().splitlines()
    fields = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    assert fields["command"] == "/incident"
    assert problem_with(fields) is None


def test_a_malformed_request_is_described_without_its_values() -> None:
    problem = problem_with({"type": "view_submission", "team": {"id": "T1"},
                            "user": {"id": "U1"}, "view": {"callback_id": "x", "state": {
                                "values": {"evil\nERROR forged": {"a": "SECRET-VALUE"}}}}})
    assert problem is not None
    assert "\n" not in problem
    assert "SECRET-VALUE" not in problem
