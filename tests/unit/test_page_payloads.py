"""Pages read into plain values (`bot/domain/pages.py`) and the routing rule's matchers
(`bot/core/label_matchers.py`), without a bot."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.core.label_matchers import parse_matchers
from bot.domain.pages import MalformedPage, alert_group, pagerduty_event

FIXTURES = Path(__file__).parent.parent / "fixtures" / "paging"


def _fixture(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return loaded


def test_alertmanagers_payload_is_read_as_sent() -> None:
    group = alert_group(_fixture("alertmanager_firing.json"))
    assert group.group_key == '{}/{severity="critical"}:{alertname="CheckoutErrorRate"}'
    assert (group.title, group.severity, group.truncated) == (
        "Checkout returns 500s for card payments", 1, 0)
    (alert,) = group.alerts
    # Go writes nine digits of a second; the zero endsAt means "still firing".
    assert alert.starts_at == datetime(2026, 11, 30, 14, 2, 11, 739266, tzinfo=UTC)
    assert alert.ends_at is None and alert.fingerprint == "1a30ba71cca2921f"
    assert "&g0.tab=1" in (alert.generator_url or "")


@pytest.mark.parametrize(("label", "severity"), [
    ("critical", 1), ("error", 2), ("major", 2), ("warning", 3), ("info", 4), ("page", 4),
    ("CRITICAL", 1)])
def test_the_severity_label_maps_to_a_severity(label: str, severity: int) -> None:
    payload = _fixture("alertmanager_firing.json")
    payload["commonLabels"]["severity"] = label
    assert alert_group(payload).severity == severity


def test_without_a_summary_the_alertname_is_the_title() -> None:
    payload = _fixture("alertmanager_firing.json")
    del payload["commonAnnotations"]["summary"]
    assert alert_group(payload).title == "CheckoutErrorRate"
    payload["commonAnnotations"]["summary"] = "  \n "
    assert alert_group(payload).title == "CheckoutErrorRate"
    payload["commonAnnotations"]["summary"] = "Checkout\n   is " + "slow " * 60
    title = alert_group(payload).title
    assert title.startswith("Checkout is slow") and len(title) == 150 and title.endswith("…")


@pytest.mark.parametrize(("change", "says"), [
    ({"version": "3"}, "version"),
    ({"status": "pending"}, "status"),
    ({"alerts": {}}, "alerts is not a list"),
    ({"groupKey": 7}, "groupKey"),
    ({"truncatedAlerts": -1}, "truncatedAlerts"),
])
def test_a_payload_sitrep_cannot_use_names_the_field(change: dict[str, Any], says: str) -> None:
    with pytest.raises(MalformedPage, match=says):
        alert_group(_fixture("alertmanager_firing.json") | change)


def test_pagerduty_events_are_read_as_documented() -> None:
    triggered = pagerduty_event(_fixture("pagerduty_incident_triggered.json"))
    assert (triggered.event_type, triggered.incident_id, triggered.incident_number) == (
        "incident.triggered", "PGR0VU2", 2)
    assert triggered.severity == 1 and triggered.priority == "P1"
    assert [p.pagerduty_id for p in triggered.assignees] == ["PTUXL6G"]
    note = pagerduty_event(_fixture("pagerduty_incident_annotated.json"))
    assert note.incident_id == "PGR0VU2" and note.said and note.said.startswith("Deploy 4512")
    ping = pagerduty_event(_fixture("pagerduty_ping.json"))
    assert ping.event_type == "pagey.ping" and ping.incident_id is None


def test_the_routing_rules_matchers_work_as_alertmanagers_do() -> None:
    rule = parse_matchers('severity=~"critical|error", team!=sandbox, env!~dev.*')
    assert rule.matches({"severity": "critical", "env": "prod"})
    assert not rule.matches({"severity": "critical-ish"})  # the regex is anchored
    assert not rule.matches({"severity": "error", "team": "sandbox"})
    assert not rule.matches({"severity": "error", "env": "dev-3"})
    assert rule.matches({"severity": "error"})  # absent labels are empty
    assert parse_matchers("").matches({})
    assert parse_matchers('summary="a, b"').matches({"summary": "a, b"})
