"""`POST /hooks/pagerduty`: signed v3 webhooks; `incident.triggered` opens at most one
incident per PagerDuty incident, its other events go on the timeline, redeliveries change
nothing, and what PagerDuty cannot have sent is refused.

Payloads are PagerDuty's documented shapes (`tests/fixtures/paging/`, sources in its
README) or built in them (`bot/devtools/page_sender.py`)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.devtools import page_sender
from bot.devtools.pagerduty_emulator import PagerDutyEmulator
from bot.devtools.slack_emulator import SlackEmulator
from tests.support import rows
from tests.support.paging_steps import PAGERDUTY_SECRET, PagedBot, fixture, handled, paged_bot
from tests.support.served_bot import serve, stop
from tests.support.settings import make_settings
from tests.support.slack_reading import card, card_action_ids, card_text, posted_texts

PD_INCIDENT = "https://acme.pagerduty.com/incidents/PGR0VU2"
AT = datetime(2026, 11, 30, 14, 2, tzinfo=UTC)


async def _send(paged: PagedBot, payload: dict[str, Any], webhook_id: str, *,
                status: int = 202) -> None:
    answer = await paged.pages.pagerduty(payload, webhook_id=webhook_id)
    assert answer.status == status, answer.body
    await handled(paged.engine, webhook_id, paged.slack)


def _event(event_type: str, *, minutes: int = 5, **more: Any) -> dict[str, Any]:
    return page_sender.pagerduty_event(
        event_type, incident_id="PGR0VU2", number=2,
        title="Checkout returns 500s for card payments",
        occurred_at=AT + timedelta(minutes=minutes),
        agent=("PTUXL6G", "Alice Example"), **more)


async def test_triggered_opens_an_incident_with_the_pagerduty_link(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        await _send(paged, fixture("pagerduty_incident_triggered.json"), "wh-1")
        incident = await rows.incident(paged.engine, 1)
        assert (incident.title, incident.severity) == (
            "Checkout returns 500s for card payments", 1)  # priority P1
        assert (incident.paged_by, incident.page_url) == ("pagerduty", PD_INCIDENT)
        assert incident.description == ("PagerDuty incident #2, service Checkout API, "
                                         "urgency high, priority P1")
        assert incident.channel_id is not None
        text = card_text(card(slack, incident.channel_id))
        assert f"Paged by <{PD_INCIDENT}|PagerDuty>" in text
        # PagerDuty names the assignee but not their email: nobody is made commander.
        assert "incident_take_command" in card_action_ids(card(slack, incident.channel_id))
        kinds = [(e.kind, e.text) for e in await rows.timeline(paged.engine, 1)]
        # The trigger at the time PagerDuty saw it, before the page reached Sitrep.
        assert kinds == [
            ("pagerduty", "PagerDuty incident #2 triggered by Checkout API"),
            ("started", "Incident opened as SEV1 by a page from PagerDuty")]


async def test_a_redelivery_and_a_second_trigger_open_nothing_more(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        triggered = fixture("pagerduty_incident_triggered.json")
        await _send(paged, triggered, "wh-1")
        # PagerDuty delivers at least once: the same webhook again, same X-Webhook-Id.
        again = await paged.pages.pagerduty(triggered, webhook_id="wh-1")
        assert again.status == 200 and again.body["status"] == "repeat"
        # The same event under another webhook id (a second subscription, say), and a new
        # trigger event of the same PagerDuty incident: still one incident, one entry each.
        await _send(paged, triggered, "wh-2")
        await _send(paged, _event("incident.triggered"), "wh-3")
        assert len(await rows.incidents(paged.engine)) == 1
        assert len(slack.calls_to("conversations.create")) == 1
        entries = [e for e in await rows.timeline(paged.engine, 1) if e.kind == "pagerduty"]
        assert len(entries) == 2


async def test_acknowledged_notes_and_resolved_go_on_the_timeline_and_in_the_channel(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        await _send(paged, fixture("pagerduty_incident_triggered.json"), "wh-1")
        incident = await rows.incident(paged.engine, 1)
        assert incident.channel_id is not None
        await _send(paged, _event("incident.acknowledged"), "wh-2")
        await _send(paged, fixture("pagerduty_incident_annotated.json"), "wh-3")
        await _send(paged, _event("incident.resolved", minutes=40), "wh-4")
        entries = [e.text for e in await rows.timeline(paged.engine, 1)
                   if e.kind == "pagerduty"][1:]
        assert entries == [
            "PagerDuty incident #2 acknowledged by Alice Example",
            "PagerDuty incident annotated by Alice Example: Deploy 4512 went out at 13:58; "
            "rolling it back.",
            "PagerDuty incident #2 resolved by Alice Example"]
        said = posted_texts(slack, incident.channel_id)
        assert f":pager: <{PD_INCIDENT}|PagerDuty incident #2 acknowledged by Alice " \
               "Example>" in said
        assert any("rolling it back" in line for line in said)
        # PagerDuty resolving is news, not a decision: people resolve the incident.
        assert (await rows.incident(paged.engine, 1)).status == "investigating"


async def test_signatures_are_checked_on_the_raw_body_and_rotations_accepted(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        body = json.dumps(fixture("pagerduty_incident_triggered.json")).encode()
        good = page_sender.pagerduty_signature(body, PAGERDUTY_SECRET)
        old = page_sender.pagerduty_signature(body, "the-previous-secret")
        for refused in ("", good.replace("v1=", "v0="), old,
                        page_sender.pagerduty_signature(body + b" ", PAGERDUTY_SECRET)):
            answer = await paged.pages.pagerduty(body, signature=refused, webhook_id="wh-x")
            assert answer.status == 401, refused
        # The same body re-encoded (what a parse and re-serialise would check) is not it.
        reencoded = json.dumps(json.loads(body), indent=1).encode()
        answer = await paged.pages.pagerduty(reencoded, signature=good, webhook_id="wh-x")
        assert answer.status == 401
        assert await rows.incidents(paged.engine) == []
        # During a secret rotation PagerDuty lists a signature per secret.
        answer = await paged.pages.pagerduty(body, signature=f"{old}, {good}",
                                             webhook_id="wh-rotated")
        assert answer.status == 202
        await handled(paged.engine, "wh-rotated", slack)
        assert len(await rows.incidents(paged.engine)) == 1


async def test_a_ping_is_answered_and_keeps_nothing(database_url: str,
                                                   slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        answer = await paged.pages.pagerduty(fixture("pagerduty_ping.json"),
                                             webhook_id="wh-ping")
        assert answer.status == 200
        assert await rows.inbox_event(paged.engine, "wh-ping") is None
        assert await rows.incidents(paged.engine) == []


async def test_a_signed_body_sitrep_cannot_read_is_accepted_so_pagerduty_keeps_sending(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        unreadable = {"event": {"id": "x", "event_type": "incident.triggered", "data": {}}}
        for body in (unreadable, b"[1, 2]"):
            answer = await paged.pages.pagerduty(body, webhook_id="wh-odd")
            assert answer.status == 202 and answer.body["status"] == "malformed"
        assert await rows.incidents(paged.engine) == []
        # The subscription goes on working.
        await _send(paged, fixture("pagerduty_incident_triggered.json"), "wh-1")
        assert len(await rows.incidents(paged.engine)) == 1


async def test_news_of_a_pagerduty_incident_no_incident_tracks_is_ignored(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        await _send(paged, _event("incident.acknowledged"), "wh-1")
        assert await rows.incidents(paged.engine) == []


async def test_without_a_secret_set_the_endpoint_is_not_there(database_url: str,
                                                              slack: SlackEmulator) -> None:
    bot = await serve(make_settings(database_url, slack), slack)
    sender = page_sender.PageSender(bot.url, pagerduty_secret="anything")
    try:
        answer = await sender.pagerduty(fixture("pagerduty_ping.json"))
        assert answer.status == 404
    finally:
        await sender.close()
        await stop(bot)


async def test_the_assignee_found_in_slack_by_email_is_invited_and_made_commander(
        database_url: str, slack: SlackEmulator) -> None:
    async with PagerDutyEmulator(token="pd-api-key") as pagerduty:
        # PagerDuty's Alice uses the address Slack has for U0ALICE; its Dave is not in Slack.
        pagerduty.add_user("PTUXL6G", "Alice Example", "alice@sitrep-test.example")
        pagerduty.add_user("PDAVE01", "Dave Example", "dave@elsewhere.example")
        async with paged_bot(database_url, slack, SITREP_PAGERDUTY_API_TOKEN="pd-api-key",
                             SITREP_PAGERDUTY_API_URL=pagerduty.api_url) as paged:
            await _send(paged, fixture("pagerduty_incident_triggered.json"), "wh-1")
            incident = await rows.incident(paged.engine, 1)
            assert incident.channel_id is not None
            (commander,) = await rows.roles(paged.engine, 1)
            assert (commander.role, commander.user_id) == ("commander", "U0ALICE")
            assert "U0ALICE" in slack.channel(incident.channel_id).members
            shown = card(slack, incident.channel_id)
            assert "incident_take_command" not in card_action_ids(shown)
            assert "*Commander*\n<@U0ALICE>" in card_text(shown)
            assert "IC alice" in slack.channel(incident.channel_id).topic["value"]
            roles = [(e.kind, e.subject_id) for e in await rows.timeline(paged.engine, 1)
                     if e.kind == "role"]
            assert roles == [("role", "U0ALICE")]
            # An assignee Slack does not know by that email: someone takes command.
            other = page_sender.pagerduty_event(
                "incident.triggered", incident_id="PQ1Z9K3", number=3, title="Search is slow",
                occurred_at=AT, assignees=[("PDAVE01", "Dave Example")], urgency="low")
            await _send(paged, other, "wh-2")
            second = await rows.incident(paged.engine, 2)
            assert second.severity == 3  # low urgency, no priority
            assert await rows.roles(paged.engine, 2) == []
            assert second.channel_id is not None
            assert "incident_take_command" in card_action_ids(card(slack, second.channel_id))
            assert pagerduty.asked == ["PTUXL6G", "PDAVE01"]


async def test_a_rule_decides_which_pagerduty_incidents_open_one(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack,
                         SITREP_PAGERDUTY_OPEN_ON="urgency=high,priority=~P[12]") as paged:
        quiet = page_sender.pagerduty_event(
            "incident.triggered", incident_id="PLOW001", number=5, title="Disk 80% full",
            occurred_at=AT, urgency="low")
        await _send(paged, quiet, "wh-1")
        low_priority = page_sender.pagerduty_event(
            "incident.triggered", incident_id="PLOW002", number=6, title="Cert expires in 20d",
            occurred_at=AT, priority="P4")
        await _send(paged, low_priority, "wh-2")
        await _send(paged, page_sender.pagerduty_event(
            "incident.acknowledged", incident_id="PLOW001", number=5, title="Disk 80% full",
            occurred_at=AT), "wh-3")
        assert await rows.incidents(paged.engine) == []
        await _send(paged, fixture("pagerduty_incident_triggered.json"), "wh-4")  # high, P1
        assert [i.title for i in await rows.incidents(paged.engine)] == [
            "Checkout returns 500s for card payments"]
