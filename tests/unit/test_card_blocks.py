"""The incident card, its topic line and durations, built from plain values: the shapes Slack
is sent, checked without Slack."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest

from bot.core.durations import humanize
from bot.slack import blocks, wording

STARTED = datetime(2026, 11, 27, 14, 2, tzinfo=UTC)


def _facts(**changes: object) -> blocks.CardFacts:
    values: dict[str, object] = {
        "number": 7, "title": "Checkout returns 500s", "description": None, "severity": 2,
        "status": "investigating", "started_at": STARTED, "roles": {"commander": "U0ALICE"}}
    return blocks.CardFacts(**{**values, **changes})  # type: ignore[arg-type]


def _action_ids(card: list[blocks.Block]) -> list[str]:
    (actions,) = [block for block in card if block["type"] == "actions"]
    return [element["action_id"] for element in actions["elements"]]


def test_an_open_incident_card_shows_its_facts_and_every_control() -> None:
    card = blocks.incident_card(_facts(roles={"commander": "U0ALICE", "scribe": "U0BOB"}))
    assert card[0] == {"type": "header", "text": {"type": "plain_text",
                                                  "text": "Checkout returns 500s", "emoji": True}}
    fields = [field["text"] for field in card[1]["fields"]]
    assert fields[:5] == ["*Incident*\nINC-7", "*Severity*\n:large_orange_circle: SEV2",
                          "*Status*\n:mag: Investigating", "*Commander*\n<@U0ALICE>",
                          "*Scribe*\n<@U0BOB>"]
    assert _action_ids(card) == [blocks.SEVERITY_SELECT, blocks.STATUS_SELECT,
                                 blocks.UPDATE_BUTTON, blocks.RESOLVE_BUTTON]


def test_a_resolved_card_shows_the_summary_and_only_reopen() -> None:
    card = blocks.incident_card(_facts(status="resolved", summary="Rolled back <b>"))
    assert {"type": "section", "text": {"type": "mrkdwn",
                                        "text": "*Summary*\nRolled back &lt;b&gt;"}} in card
    assert _action_ids(card) == [blocks.REOPEN_BUTTON]


def test_many_roles_spread_over_sections_of_at_most_ten_fields() -> None:
    roles = {"commander": "U0ALICE", **{f"role{i}": f"U{i}" for i in range(11)}}
    card = blocks.incident_card(_facts(roles=roles))
    sections = [block for block in card if block["type"] == "section" and "fields" in block]
    assert [len(section["fields"]) for section in sections] == [10, 6]


def test_a_card_nobody_commands_asks_someone_to_take_command_first() -> None:
    card = blocks.incident_card(_facts(roles={"scribe": "U0BOB"}))
    fields = [field["text"] for field in card[1]["fields"]]
    assert fields[3:5] == [f"*Commander*\n{wording.NO_COMMANDER_YET}", "*Scribe*\n<@U0BOB>"]
    assert _action_ids(card)[0] == blocks.TAKE_COMMAND_BUTTON
    (take,) = [e for e in card[-2]["elements"] if e["action_id"] == blocks.TAKE_COMMAND_BUTTON]
    assert take["text"]["text"] == "Take command" and take["style"] == "primary"


def test_a_paged_card_links_the_page_and_lists_its_alerts() -> None:
    page = blocks.PageFacts(source="alertmanager", url="http://am.example:9093", alerts=(
        blocks.AlertLine("DiskFull firing: /var is full\nLabels: instance=db-1",
                         "http://prom.example/graph?g0.expr=x"),
        blocks.AlertLine("NoLink firing", None)), more_alerts=3)
    card = blocks.incident_card(_facts(page=page))
    (shown,) = [b["text"]["text"] for b in card
                if b["type"] == "section" and "Paged by" in b.get("text", {}).get("text", "")]
    assert shown.splitlines() == [
        ":rotating_light: Paged by <http://am.example:9093|Alertmanager>",
        "• <http://prom.example/graph?g0.expr=x|DiskFull firing: /var is full>",
        "   _Labels: instance=db-1_",
        "• NoLink firing",
        "…and 3 more on the timeline"]


def test_the_topic_names_the_commander_and_fits_slacks_limit() -> None:
    topic = partial(wording.topic, number=7, severity=2, status="investigating")
    assert topic(title="Checkout returns 500s", commander_name="alice") == (
        "SEV2 · investigating · IC alice · INC-7: Checkout returns 500s")
    long = topic(title="x" * 400, commander_name=None)
    assert len(long) == wording.TOPIC_LIMIT and long.endswith("x…")


@pytest.mark.parametrize(("duration", "said"), [
    (timedelta(seconds=59), "under 1 min"),
    (timedelta(minutes=41), "41 min"),
    (timedelta(hours=2, minutes=14), "2 h 14 min"),
    (timedelta(days=1), "1 d"),
])
def test_durations_read_as_people_say_them(duration: timedelta, said: str) -> None:
    assert humanize(duration) == said
