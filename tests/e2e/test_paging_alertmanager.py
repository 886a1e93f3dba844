"""`POST /hooks/alertmanager`: a page opens an incident the way `/incident start` does; the
group's repeats, new alerts, resolutions and truncation go on its timeline and in its
channel; only the right bearer token gets in; the routing rule decides what may open one.

Deliveries are real Alertmanager payloads (`tests/fixtures/paging/`, sources in its
README) or built in their shape (`bot/devtools/page_sender.py`), sent over HTTP to a served
bot."""

from __future__ import annotations

import copy
import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import ClientSession

from bot.devtools import page_sender, payloads
from bot.devtools.slack_emulator import SlackEmulator
from bot.usecases.event_inbox import EventInbox
from bot.web.metrics import METRICS_PATH
from tests.support import rows
from tests.support.paging_steps import (
    ALERTMANAGER_TOKEN,
    ANNOUNCE,
    PagedBot,
    alertmanager_delivery_id,
    fixture,
    handled,
    inbox_row,
    paged_bot,
)
from tests.support.served_bot import serve, stop
from tests.support.settings import make_settings
from tests.support.slack_reading import (
    card,
    card_action_ids,
    card_mrkdwn,
    card_text,
    posted_texts,
)

CHANNEL = "inc-1-checkout-returns-500s-for-card-payments"
GENERATOR = "http://prometheus.example.org:9090/graph?g0.expr=job%3Acheckout_5xx_ratio" \
            "%3Arate5m+%3E+0.05&g0.tab=1"
FIRED_AT = datetime(2026, 11, 30, 14, 2, 11, tzinfo=UTC)


async def _send(paged: PagedBot, payload: dict[str, Any], *, status: int = 202) -> None:
    answer = await paged.pages.alertmanager(payload)
    assert answer.status == status, answer.body
    await handled(paged.engine, alertmanager_delivery_id(payload), paged.slack)


def _second_alert(payload: dict[str, Any]) -> dict[str, Any]:
    """The same group, now with a second instance failing too."""
    more = copy.deepcopy(payload)
    other = copy.deepcopy(more["alerts"][0])
    other["labels"]["instance"] = "checkout-5c2a:8080"
    other["fingerprint"] = "2b41cb82ddb3a30e"
    other["startsAt"] = "2026-11-30T14:06:41.1Z"
    more["alerts"].append(other)
    del more["commonLabels"]["instance"]
    return more


def _channel_id(slack: SlackEmulator) -> str:
    channel = slack.channel_by_name(CHANNEL)
    assert channel is not None, "no incident channel"
    return channel.id


async def test_a_firing_group_opens_an_incident_as_a_start_does(database_url: str,
                                                                slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        await _send(paged, fixture("alertmanager_firing.json"))
        incident = await rows.incident(paged.engine, 1)
        assert (incident.title, incident.severity, incident.status) == (
            "Checkout returns 500s for card payments", 1, "investigating")
        assert incident.paged_by == "alertmanager"
        assert incident.reporter_id == slack.bot_user_id
        assert incident.detected_at is not None and incident.detected_at <= incident.created_at
        channel_id = _channel_id(slack)
        assert incident.channel_id == channel_id
        # The card: pinned, the page's link, the alert with its link and labels, and nobody
        # in command yet, with a button to take it.
        shown = card(slack, channel_id)
        assert shown["ts"] in slack.channel(channel_id).pins
        text = card_text(shown)
        assert "Paged by <http://alertmanager.example.org:9093|Alertmanager>" in text
        assert f"<{GENERATOR}|CheckoutErrorRate firing: Checkout returns 500s for card " \
               "payments>" in text
        assert "instance=checkout-7d9f:8080" in text and "severity=critical" in text
        assert "nobody yet" in text
        assert card_action_ids(shown)[0] == "incident_take_command"
        assert slack.channel(channel_id).topic["value"].startswith("SEV1 · investigating · INC-1")
        (announced,) = [t for t in posted_texts(slack, ANNOUNCE) if "INC-1" in t]
        assert "paged by Alertmanager: Checkout returns 500s for card payments" in announced
        # The timeline: the alert with its labels, annotations and link at the time it
        # started firing (before the page reached Sitrep), then the start.
        alert, started = await rows.timeline(paged.engine, 1)
        assert alert.occurred_at == datetime(2026, 11, 30, 14, 2, 11, 739266, tzinfo=UTC)
        assert started.text == "Incident opened as SEV1 by a page from Alertmanager"
        assert alert.kind == "alert" and alert.permalink == GENERATOR
        assert alert.text.splitlines()[0] == \
            "CheckoutErrorRate firing: Checkout returns 500s for card payments"
        assert "Runbook_url: https://runbooks.example.org/checkout/error-rate" in alert.text
        assert await rows.roles(paged.engine, 1) == []


async def test_repeats_add_nothing_and_a_new_alert_of_the_group_is_added_once(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        first = fixture("alertmanager_firing.json")
        await _send(paged, first)
        channel_id = _channel_id(slack)
        said_before = len(posted_texts(slack, channel_id))
        # Alertmanager repeats the notification every repeat_interval, word for word.
        repeat = await paged.pages.alertmanager(first)
        assert repeat.status == 200 and repeat.body["status"] == "repeat"
        # A second instance fails: the group's next notification carries both alerts.
        both = _second_alert(first)
        await _send(paged, both)
        # ...and repeats that too, with the alerts in the other order.
        reordered = copy.deepcopy(both)
        reordered["alerts"].reverse()
        await _send(paged, reordered)
        assert len(await rows.incidents(paged.engine)) == 1
        alerts = [e for e in await rows.timeline(paged.engine, 1) if e.kind == "alert"]
        assert [e.text.splitlines()[1].split(", ")[0] for e in alerts] == [
            "Labels: instance=checkout-7d9f:8080", "Labels: instance=checkout-5c2a:8080"]
        said = posted_texts(slack, channel_id)[said_before:]
        assert len(said) == 1 and said[0].startswith(":bell: New alert:")
        assert "CheckoutErrorRate firing" in said[0]
        assert card_text(card(slack, channel_id)).count("CheckoutErrorRate firing") == 2


async def test_resolved_is_recorded_and_said_and_never_resolves_the_incident(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        await _send(paged, fixture("alertmanager_firing.json"))
        channel_id = _channel_id(slack)
        await _send(paged, fixture("alertmanager_resolved.json"))
        incident = await rows.incident(paged.engine, 1)
        assert incident.status == "investigating" and incident.resolved_at is None
        resolved = [e for e in await rows.timeline(paged.engine, 1)
                    if e.kind == "alert_resolved"]
        assert len(resolved) == 1
        assert resolved[0].occurred_at == datetime(2026, 11, 30, 14, 41, 26, 739266, tzinfo=UTC)
        said = posted_texts(slack, channel_id)[-1]
        assert "Alertmanager says this alert is resolved" in said
        assert "the incident stays open until someone resolves it" in said
        # send_resolved repeats too: said once.
        again = await paged.pages.alertmanager(fixture("alertmanager_resolved.json"))
        assert again.body["status"] == "repeat"
        assert sum("is resolved" in t for t in posted_texts(slack, channel_id)) == 1


async def test_alerts_alertmanager_left_out_are_shown(database_url: str,
                                                      slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        truncated = fixture("alertmanager_firing.json")
        truncated["truncatedAlerts"] = 7
        await _send(paged, truncated)
        channel_id = _channel_id(slack)
        assert any("Alertmanager left out 7 more alerts of this group" in t
                   for t in posted_texts(slack, channel_id))
        notes = [e.text for e in await rows.timeline(paged.engine, 1) if e.kind == "note"]
        assert notes == ["Alertmanager left out 7 more alerts of this group (its max_alerts); "
                         "see them in Alertmanager"]


async def test_a_wrong_or_missing_token_is_refused_and_changes_nothing(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        payload = fixture("alertmanager_firing.json")
        for header in ("", "Bearer wrong-token", "Basic YWxlcnQ6bWFuYWdlcg==",
                       f"Bearer {paged.pages.alertmanager_token}x"):
            answer = await paged.pages.alertmanager(payload, authorization=header)
            assert answer.status == 401, header
        assert await rows.incidents(paged.engine) == []
        assert await rows.inbox_event(paged.engine, alertmanager_delivery_id(payload)) is None
        assert slack.calls_to("conversations.create") == []
        async with ClientSession() as http, http.get(paged.bot.url + METRICS_PATH) as page:
            scraped = await page.text()
        refused = [line for line in scraped.splitlines() if line.startswith(
            'sitrep_page_deliveries_total{outcome="unauthorized",source="alertmanager"}')]
        assert refused and float(refused[0].split()[-1]) >= 4


async def test_without_a_token_set_the_endpoint_is_not_there(database_url: str,
                                                             slack: SlackEmulator) -> None:
    bot = await serve(make_settings(database_url, slack), slack)
    sender = page_sender.PageSender(bot.url, alertmanager_token="anything")
    try:
        answer = await sender.alertmanager(fixture("alertmanager_firing.json"))
        assert answer.status == 404
    finally:
        await sender.close()
        await stop(bot)


async def test_a_body_sitrep_cannot_read_is_refused_with_the_reason(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        old = fixture("alertmanager_firing.json") | {"version": "3"}
        answer = await paged.pages.alertmanager(old)
        assert answer.status == 400 and "version" in answer.body["detail"]
        answer = await paged.pages.alertmanager(b"not json")
        assert answer.status == 400
        # JSON, but not in UTF-8: refused for good (400), never a 503 repeated for ever.
        utf16 = json.dumps(fixture("alertmanager_firing.json")).encode("utf-16")
        answer = await paged.pages.alertmanager(utf16)
        assert answer.status == 400
        bad = fixture("alertmanager_firing.json")
        bad["alerts"][0]["labels"] = ["severity"]
        answer = await paged.pages.alertmanager(bad)
        assert answer.status == 400 and "alerts[0].labels" in answer.body["detail"]
        assert await rows.incidents(paged.engine) == []


def _group(severity: str, *, alertname: str = "DiskFilling", fingerprint: str = "9e0c77aa1b2c3d4e",
           at: datetime = FIRED_AT) -> dict[str, Any]:
    alert = page_sender.alert(alertname, fingerprint=fingerprint, starts_at=at,
                              labels={"severity": severity, "instance": "db-1"},
                              annotations={"summary": f"{alertname} on db-1"})
    return page_sender.alert_group([alert], group_labels={"alertname": alertname})


async def test_the_routing_rule_decides_which_groups_open_incidents(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack,
                         SITREP_ALERTMANAGER_OPEN_ON="severity=~critical|error") as paged:
        await _send(paged, _group("warning"))
        assert await rows.incidents(paged.engine) == []
        await _send(paged, _group("error", alertname="ReplicaLag", fingerprint="0a1b2c3d4e5f6071"))
        (incident,) = await rows.incidents(paged.engine)
        assert (incident.title, incident.severity) == ("ReplicaLag on db-1", 2)
        # The same group, later carrying a warning alert: it joins the incident that tracks
        # the group, whatever the rule says about opening.
        joined = page_sender.alert_group(
            [*_group("error", alertname="ReplicaLag", fingerprint="0a1b2c3d4e5f6071")["alerts"],
             page_sender.alert("ReplicaLag", fingerprint="0a1b2c3d4e5f6072",
                               starts_at=FIRED_AT + timedelta(minutes=3),
                               labels={"severity": "warning", "instance": "db-2"})],
            group_labels={"alertname": "ReplicaLag"})
        await _send(paged, joined)
        assert len(await rows.incidents(paged.engine)) == 1
        assert len([e for e in await rows.timeline(paged.engine, 1) if e.kind == "alert"]) == 2


async def test_someone_takes_command_from_the_card(database_url: str,
                                                   slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        await _send(paged, fixture("alertmanager_firing.json"))
        channel_id = _channel_id(slack)
        slack.join_channel(channel_id, "U0BOB")
        answer = await paged.bot.client.interaction(payloads.block_actions(
            user_id="U0BOB", channel_id=channel_id, message=card(slack, channel_id),
            action_id="incident_take_command", value="1",
            response_url=slack.response_url("take")))
        assert answer.status == 200
        await slack.wait_for_call("conversations.setTopic", count=2)
        await paged.bot.settle()
        (commander,) = await rows.roles(paged.engine, 1)
        assert (commander.role, commander.user_id) == ("commander", "U0BOB")
        assert ":busts_in_silhouette: <@U0BOB> took command." in posted_texts(slack, channel_id)
        shown = card(slack, channel_id)
        assert "incident_take_command" not in card_action_ids(shown)
        assert "*Commander*\n<@U0BOB>" in card_text(shown)
        assert "IC bob" in slack.channel(channel_id).topic["value"]
        # Carol pressed a moment later, on the card as it was: she is told who has it.
        slack.join_channel(channel_id, "U0CAROL")
        await paged.bot.client.interaction(payloads.block_actions(
            user_id="U0CAROL", channel_id=channel_id, message=shown,
            action_id="incident_take_command", value="1",
            response_url=slack.response_url("late")))
        told = (await slack.wait_for_response("late")).body
        assert "<@U0BOB> has taken command of INC-1 already" in str(told.get("text"))
        assert [r.user_id for r in await rows.roles(paged.engine, 1)] == ["U0BOB"]


async def test_a_group_firing_again_after_its_incident_was_resolved(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        first = _group("critical")
        await _send(paged, first)
        incident = await rows.incident(paged.engine, 1)
        assert incident.channel_id is not None
        slack.join_channel(incident.channel_id, "U0ALICE")
        await paged.bot.client.slash_command("resolve disk cleaned", user_id="U0ALICE",
                                             channel_id=incident.channel_id)
        await slack.wait_for_call("chat.postMessage", count=len(
            slack.calls_to("chat.postMessage")) + 1)
        await paged.bot.settle()
        assert (await rows.incident(paged.engine, 1)).status == "resolved"
        # The same alert, still firing, repeated with another alert's resolution: no new
        # incident for what people already dealt with.
        still = page_sender.alert_group(
            [*first["alerts"], page_sender.alert(
                "DiskFilling", fingerprint="ffff0000ffff0000", starts_at=FIRED_AT,
                status="resolved", ends_at=FIRED_AT + timedelta(minutes=9),
                labels={"severity": "critical", "instance": "db-9"})],
            group_labels={"alertname": "DiskFilling"})
        await _send(paged, still)
        assert len(await rows.incidents(paged.engine)) == 1
        # A new firing of the group (the alert started again): a new incident.
        await _send(paged, _group("critical", at=FIRED_AT + timedelta(hours=2)))
        assert [i.number for i in await rows.incidents(paged.engine)] == [1, 2]


async def test_a_page_whose_start_slack_refused_is_opened_by_the_replay(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        payload = fixture("alertmanager_firing.json")
        delivery = alertmanager_delivery_id(payload)
        slack.fail("conversations.create", "restricted_action")
        answer = await paged.pages.alertmanager(payload)
        assert answer.status == 202  # kept: Alertmanager need not send it again
        await slack.wait_for_call("conversations.create")
        await slack.wait_until_quiet()
        row = await inbox_row(paged.engine, delivery, lambda row: row.replays > 0)
        assert row.processed_at is None
        assert await rows.incidents(paged.engine) == []
        # The replay loop (as after a restart) tries it again, and Slack now agrees.
        await EventInbox(paged.bot.running.deps).recover(grace=timedelta(0), starting=True)
        await handled(paged.engine, delivery, slack)
        (incident,) = await rows.incidents(paged.engine)
        assert incident.channel_id is not None and incident.title.startswith("Checkout")


async def test_a_notification_during_the_opening_waits_for_it_and_is_added_after(
        database_url: str, slack: SlackEmulator) -> None:
    async with paged_bot(database_url, slack) as paged:
        first = fixture("alertmanager_firing.json")
        slack.hold("conversations.create")
        assert (await paged.pages.alertmanager(first)).status == 202
        await slack.wait_for_call("conversations.create")
        # The group's next notification arrives while Slack is still making the channel.
        both = _second_alert(first)
        assert (await paged.pages.alertmanager(both)).status == 202
        waiting = await inbox_row(paged.engine, alertmanager_delivery_id(both),
                                  lambda row: row.processed_at is None)
        assert waiting.replays == 0
        slack.release()
        await handled(paged.engine, alertmanager_delivery_id(first), slack)
        # The replay loop's next round adds it, and says so.
        await EventInbox(paged.bot.running.deps).recover(grace=timedelta(0))
        await handled(paged.engine, alertmanager_delivery_id(both), slack)
        assert len(await rows.incidents(paged.engine)) == 1
        assert len([e for e in await rows.timeline(paged.engine, 1) if e.kind == "alert"]) == 2
        assert any(t.startswith(":bell: New alert:")
                   for t in posted_texts(slack, _channel_id(slack)))


async def test_what_alerts_say_pings_nobody_and_links_only_where_it_points(
        database_url: str, slack: SlackEmulator) -> None:
    """Alert text is written by whoever writes the alerting rules (and, through label
    values, by whatever the alert measured): it reaches Slack as text, never as a mention
    of the channel or of a person, and a link ends where its URL ends."""
    hostile = page_sender.alert(
        "DiskFilling", fingerprint="9e0c77aa1b2c3d4e", starts_at=FIRED_AT,
        labels={"severity": "critical", "instance": "<!channel> <@U0ALICE>"},
        annotations={"summary": "disk full <!here|here> ask <@U0ALICE>",
                     "runbook_url": "<https://evil.example.org|the runbook>"},
        generator_url="http://prometheus.example.org/graph?x=1|<!channel>")
    first = page_sender.alert_group([hostile], group_labels={"alertname": "DiskFilling"},
                                    external_url="http://am.example.org>|<!everyone>")
    async with paged_bot(database_url, slack) as paged:
        await _send(paged, first)
        incident = await rows.incident(paged.engine, 1)
        assert incident.channel_id is not None
        joined = page_sender.alert(
            "DiskFilling", fingerprint="1111222233334444", starts_at=FIRED_AT,
            labels={"severity": "critical", "instance": "db-2"},
            annotations={"summary": "now db-2 <!channel>"},
            generator_url="https://prometheus.example.org/graph?y=2><@U0ALICE>")
        await _send(paged, page_sender.alert_group(
            [hostile, joined], group_labels={"alertname": "DiskFilling"}))
        said = [*posted_texts(slack, incident.channel_id), *posted_texts(slack, ANNOUNCE),
                *card_mrkdwn(card(slack, incident.channel_id))]
        assert any(":bell: New alert:" in text for text in said)
        for text in said:
            for live in ("<!channel", "<!here", "<!everyone", "<@U0ALICE", "<https://evil"):
                assert live not in text, text
        shown = card_text(card(slack, incident.channel_id))
        # The links still go where the alert points, with the rest of the URL encoded.
        assert "<http://prometheus.example.org/graph?x=1%7C%3C!channel%3E|DiskFilling firing" \
            in shown
        assert "Paged by <http://am.example.org%3E%7C%3C!everyone%3E|Alertmanager>" in shown
        # What the alert said is still there to read.
        assert "ask &lt;@U0ALICE&gt;" in shown


async def test_a_compressed_body_is_capped_by_what_it_unpacks_to(
        database_url: str, slack: SlackEmulator) -> None:
    """A gzip body is read unpacked, and the cap counts the unpacked bytes: a few kilobytes
    that unpack to far more than any alert group are refused (413), not buffered."""
    async with paged_bot(database_url, slack) as paged:
        headers = {"Authorization": f"Bearer {ALERTMANAGER_TOKEN}",
                   "Content-Type": "application/json", "Content-Encoding": "gzip"}
        page = json.dumps(fixture("alertmanager_firing.json")).encode()
        async with ClientSession() as http:
            async with http.post(f"{paged.bot.url}/hooks/alertmanager",
                                 data=gzip.compress(page), headers=headers) as answer:
                assert answer.status == 202
            bomb = gzip.compress(b'{"version": "4", "pad": "' + b" " * (64 * 1024 * 1024))
            assert len(bomb) < 128 * 1024
            async with http.post(f"{paged.bot.url}/hooks/alertmanager",
                                 data=bomb, headers=headers) as answer:
                assert answer.status == 413
        await handled(paged.engine, alertmanager_delivery_id(
            fixture("alertmanager_firing.json")), paged.slack)
        assert len(await rows.incidents(paged.engine)) == 1


async def test_a_group_of_two_hundred_alerts_shows_five_on_the_card_and_counts_the_rest(
        database_url: str, slack: SlackEmulator) -> None:
    """A storm: one group, 200 alerts. The card stays readable (five alerts and a count,
    within Slack's limits); every alert is on the timeline; a repeat with one more says
    that one alone, with the labels that tell which instance it is."""
    storm = [page_sender.alert(
        "NodeDown", fingerprint=f"{n:016x}", starts_at=FIRED_AT + timedelta(seconds=n),
        labels={"severity": "critical", "instance": f"node-{n:03d}"},
        annotations={"summary": f"node-{n:03d} is down " + "and unreachable " * 30})
        for n in range(200)]
    async with paged_bot(database_url, slack) as paged:
        await _send(paged, page_sender.alert_group(storm, group_labels={"alertname": "NodeDown"}))
        incident = await rows.incident(paged.engine, 1)
        assert incident.channel_id is not None
        shown = card(slack, incident.channel_id)
        text = card_text(shown)
        assert [n for n in range(200) if f"node-{n:03d} is down" in text] == [0, 1, 2, 3, 4]
        assert "…and 195 more on the timeline" in text
        assert all(len(t) <= 3000 for t in card_mrkdwn(shown))
        assert len([e for e in await rows.timeline(paged.engine, 1) if e.kind == "alert"]) \
            == 200
        one_more = page_sender.alert(
            "NodeDown", fingerprint=f"{200:016x}", starts_at=FIRED_AT + timedelta(minutes=9),
            labels={"severity": "critical", "instance": "node-200"})
        before = len(posted_texts(slack, incident.channel_id))
        await _send(paged, page_sender.alert_group(
            [*storm, one_more], group_labels={"alertname": "NodeDown"}))
        (said,) = posted_texts(slack, incident.channel_id)[before:]
        assert said.startswith(":bell: New alert:") and "node-200" in said
        assert "…and 196 more on the timeline" in card_text(card(slack, incident.channel_id))
