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


def test_slack_connect_and_org_install_envelopes_keep_the_shape() -> None:
    """bolt-python's shared-channel and org-app payloads: the same keys; the acting team in
    `team_id`, the installation in `authorizations[0]` (its team null for an org install)."""
    reference = _reference("event_reaction_added.json")
    event = payloads.reaction_event("reaction_added", user="U1", reaction="pushpin",
                                    channel="C1", ts="1.000001", item_user="U2")
    shared = payloads.event_envelope(event, actor_team_id="T0VENDOR")
    org = payloads.event_envelope(event, org_install=True)
    assert _keys(shared) == _keys(reference)
    assert _keys(org) == _keys(reference) | {"enterprise_id"}
    assert (shared["team_id"], shared["is_ext_shared_channel"]) == ("T0VENDOR", True)
    assert shared["authorizations"][0]["team_id"] == payloads.TEAM_ID
    assert org["authorizations"][0] == {
        "enterprise_id": payloads.ENTERPRISE_ID, "team_id": None, "user_id": payloads.BOT_USER_ID,
        "is_bot": True, "is_enterprise_install": True}


def test_org_install_interactions_have_no_team() -> None:
    reference = _reference("block_actions.json")
    built = payloads.block_actions(user_id="U1", channel_id="C1",
                                   message=reference["message"], action_id="incident_resolve",
                                   value="12", response_url="http://x/response/1",
                                   org_install=True)
    # As bolt-python's test_org_wide_installations_block_actions: `team` null, the
    # enterprise named, the person's workspace in `user.team_id`.
    assert _keys(built) == (_keys(reference) - {"team.id", "team.domain"}) | {
        "enterprise.id", "enterprise.name"}
    assert (built["team"], built["is_enterprise_install"]) == (None, True)
    assert built["user"]["team_id"] == payloads.TEAM_ID
    command = payloads.slash_command("help", user_id="U1", channel_id="C1",
                                     response_url="http://x/response/1", org_install=True)
    assert (command["is_enterprise_install"], command["enterprise_id"]) == (
        "true", payloads.ENTERPRISE_ID)
