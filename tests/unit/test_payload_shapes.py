"""What the test client sends must look like what Slack sends: same keys, same nesting.

The reference shapes live in ../shared/slack/ (from Slack's docs and slack-bolt's tests)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.devtools import payloads
from tests.support.paths import SLACK_SHAPES as SHAPES

pytestmark = pytest.mark.skipif(not SHAPES.is_dir(), reason="../shared/slack is not beside us")


def _keys(value: Any, prefix: str = "") -> set[str]:
    if isinstance(value, dict):
        found = set()
        for key, item in value.items():
            found |= {f"{prefix}{key}"} | _keys(item, f"{prefix}{key}.")
        return found
    if isinstance(value, list) and value:
        return _keys(value[0], f"{prefix}[].")
    return set()


def _reference(name: str) -> dict[str, Any]:
    loaded = json.loads((SHAPES / name).read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_slash_command_fields_match() -> None:
    lines = (SHAPES / "slash_command.txt").read_text().splitlines()
    reference = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    built = payloads.slash_command("help", user_id="U1", channel_id="C1",
                                   response_url="http://x/response/1")
    # Enterprise fields appear only for Enterprise Grid installs.
    assert set(built) == reference - {"enterprise_id", "enterprise_name"}


def test_reaction_event_envelope_matches() -> None:
    reference = _reference("event_reaction_added.json")
    built = payloads.event_envelope(payloads.reaction_event(
        "reaction_added", user="U1", reaction="pushpin", channel="C1", ts="1.000001",
        item_user="U2"))
    assert _keys(built) == _keys(reference)


@pytest.mark.parametrize(("file", "kind"), [("event_message_changed.json", "changed"),
                                            ("event_message_deleted.json", "deleted")])
def test_message_subtype_events_match(file: str, kind: str) -> None:
    reference = _reference(file)["event"]
    message = {"type": "message", "user": "U1", "text": "x", "ts": "1.000001"}
    if kind == "changed":
        built = payloads.message_changed_event(channel="C1", message=message,
                                               previous_message=message)
    else:
        built = payloads.message_deleted_event(channel="C1", deleted_ts="1.000001",
                                               previous_message=message)
    assert set(built) == set(reference)


def test_block_actions_match() -> None:
    reference = _reference("block_actions.json")
    built = payloads.block_actions(user_id="U1", channel_id="C1",
                                   message=reference["message"], action_id="incident_resolve",
                                   value="12", response_url="http://x/response/1")
    assert _keys(built) == _keys(reference)


def test_view_submission_matches() -> None:
    reference = _reference("view_submission.json")
    built = payloads.view_submission(user_id="U1", view={"id": "V1", "callback_id": "x"},
                                     values=reference["view"]["state"]["values"])
    assert _keys(built) == _keys(reference)


def test_message_action_matches() -> None:
    reference = _reference("message_action.json")
    built = payloads.message_action(user_id="U1", channel_id="C1",
                                    message=reference["message"], callback_id="add_to_timeline",
                                    response_url="http://x/response/1")
    assert _keys(built) == _keys(reference)


def test_url_verification_matches() -> None:
    assert set(payloads.url_verification("c")) == set(_reference("url_verification.json"))
