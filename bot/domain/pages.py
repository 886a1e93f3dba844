"""Pages as the paging tools send them, read into plain values.

Alertmanager's webhook (payload `version: "4"`, prometheus/alertmanager
`notify/webhook/webhook.go` `Message` with `template.Data`) and PagerDuty's v3 webhooks (one
event per delivery; PagerDuty/developer-docs `docs/webhooks/01-v3-Overview.md`). Only what
Sitrep uses is read, and every field is checked for its type: a payload that lacks what
Sitrep needs raises `MalformedPage`, naming the field."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.domain.vocabulary import MAX_TEXT_LENGTH, MAX_TITLE_LENGTH, SEVERITIES

ALERTMANAGER_VERSION = "4"
FIRING, RESOLVED = "firing", "resolved"
# Alertmanager's `severity` label → Sitrep's severity; anything else is 4.
SEVERITY_OF_LABEL = {"critical": 1, "error": 2, "major": 2, "warning": 3}
# PagerDuty priorities P1…P3 map to the same severities; without a priority, urgency does.
SEVERITY_OF_PRIORITY = {"P1": 1, "P2": 2, "P3": 3}
SEVERITY_OF_URGENCY = {"high": 2, "low": 3}
LOWEST_SEVERITY = max(SEVERITIES)
# Go's zero time, which Alertmanager sends as `endsAt` for an alert still firing.
_GO_ZERO_YEAR = 1


class MalformedPage(ValueError):
    """A payload that lacks what Sitrep needs; the message names the field."""


@dataclass(frozen=True)
class Alert:
    status: str
    labels: Mapping[str, str]
    annotations: Mapping[str, str]
    starts_at: datetime
    ends_at: datetime | None
    generator_url: str | None
    fingerprint: str

    @property
    def name(self) -> str:
        return self.labels.get("alertname") or "alert"

    @property
    def key(self) -> str:
        """This alert's firing, whatever notification repeats it: a later firing of the same
        alert (a new `startsAt`) is news again."""
        return f"{self.fingerprint}@{self.starts_at.isoformat()}"


@dataclass(frozen=True)
class AlertGroup:
    group_key: str
    status: str
    receiver: str
    group_labels: Mapping[str, str]
    common_labels: Mapping[str, str]
    common_annotations: Mapping[str, str]
    external_url: str | None
    truncated: int
    alerts: tuple[Alert, ...]

    @property
    def title(self) -> str:
        return _first_words(self.common_annotations.get("summary"),
                            self.common_labels.get("alertname"),
                            self.group_labels.get("alertname"),
                            f"Alerts for {self.receiver or 'Alertmanager'}")

    @property
    def severity(self) -> int:
        """From the group's `severity` label; a group whose alerts differ takes the most
        severe of theirs."""
        common = self.common_labels.get("severity")
        if common is not None:
            return severity_of_label(common)
        return min((severity_of_label(a.labels.get("severity", "")) for a in self.alerts),
                   default=LOWEST_SEVERITY)

    @property
    def description(self) -> str | None:
        text = self.common_annotations.get("description")
        return clip(text, MAX_TEXT_LENGTH) if text else None

    @property
    def labels(self) -> Mapping[str, str]:
        """What the routing rule matches: the labels every alert of the group shares."""
        return {**self.group_labels, **self.common_labels}

    @property
    def link(self) -> str | None:
        """Alertmanager's own page for the group."""
        return self.external_url or None


def severity_of_label(value: str) -> int:
    return SEVERITY_OF_LABEL.get(value.strip().lower(), LOWEST_SEVERITY)


def alert_group(payload: Mapping[str, Any]) -> AlertGroup:
    version = payload.get("version")
    if version != ALERTMANAGER_VERSION:
        raise MalformedPage(f"version is {version!r}; Sitrep reads Alertmanager's version "
                            f"{ALERTMANAGER_VERSION!r} webhook")
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise MalformedPage("alerts is not a list")
    status = _text(payload, "status")
    if status not in (FIRING, RESOLVED):
        raise MalformedPage(f"status is {status!r}, not firing or resolved")
    truncated = payload.get("truncatedAlerts", 0)
    if not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0:
        raise MalformedPage("truncatedAlerts is not a count")
    return AlertGroup(
        group_key=_text(payload, "groupKey"), status=status,
        receiver=_text(payload, "receiver", required=False),
        group_labels=_labels(payload, "groupLabels"),
        common_labels=_labels(payload, "commonLabels"),
        common_annotations=_labels(payload, "commonAnnotations"),
        external_url=_text(payload, "externalURL", required=False) or None,
        truncated=truncated,
        alerts=tuple(_alert(alert, f"alerts[{index}]") for index, alert in enumerate(alerts)))


def _alert(alert: object, where: str) -> Alert:
    if not isinstance(alert, Mapping):
        raise MalformedPage(f"{where} is not an object")
    labels = _labels(alert, "labels", where=where)
    status = _text(alert, "status", where=where)
    if status not in (FIRING, RESOLVED):
        raise MalformedPage(f"{where}.status is {status!r}, not firing or resolved")
    fingerprint = _text(alert, "fingerprint", where=where, required=False)
    if not fingerprint:
        # Alertmanager before 0.19 sent none: the labels identify an alert just as well.
        fingerprint = hashlib.sha256(repr(sorted(labels.items())).encode()).hexdigest()[:16]
    ends_at = _time(alert, "endsAt", where=where, required=False)
    return Alert(status=status, labels=labels,
                 annotations=_labels(alert, "annotations", where=where),
                 starts_at=_time(alert, "startsAt", where=where) or datetime.now(UTC),
                 ends_at=ends_at if ends_at is not None and ends_at.year > _GO_ZERO_YEAR
                 else None,
                 generator_url=_text(alert, "generatorURL", where=where, required=False)
                 or None,
                 fingerprint=fingerprint)


# --- PagerDuty ------------------------------------------------------------------------------

TRIGGERED = "incident.triggered"
PING = "pagey.ping"


@dataclass(frozen=True)
class Person:
    """Someone PagerDuty names: its user id, and the name it shows."""

    pagerduty_id: str
    name: str


@dataclass(frozen=True)
class PagerDutyEvent:
    event_id: str
    event_type: str
    occurred_at: datetime | None
    # The PagerDuty incident it is about (None for a ping or an event of another resource).
    incident_id: str | None
    incident_number: int | None
    title: str | None
    html_url: str | None
    urgency: str | None
    priority: str | None
    service: str | None
    assignees: tuple[Person, ...]
    agent: Person | None
    # A note's text (`incident.annotated`), a status update's message, a resolve reason.
    said: str | None

    @property
    def severity(self) -> int:
        if self.priority in SEVERITY_OF_PRIORITY:
            return SEVERITY_OF_PRIORITY[self.priority]
        if self.priority:
            return LOWEST_SEVERITY
        return SEVERITY_OF_URGENCY.get(self.urgency or "", LOWEST_SEVERITY)

    @property
    def labels(self) -> Mapping[str, str]:
        """What SITREP_PAGERDUTY_OPEN_ON matches, named as PagerDuty names them."""
        return {name: value for name, value in (
            ("urgency", self.urgency), ("priority", self.priority), ("service", self.service))
            if value}

    @property
    def incident_title(self) -> str:
        return _first_words(self.title, f"PagerDuty incident #{self.incident_number}"
                            if self.incident_number else None, "PagerDuty incident")


def pagerduty_event(payload: Mapping[str, Any]) -> PagerDutyEvent:
    event = payload.get("event")
    if not isinstance(event, Mapping):
        raise MalformedPage("event is not an object")
    event_type = _text(event, "event_type", where="event")
    data = event.get("data")
    data = data if isinstance(data, Mapping) else {}
    # An incident event carries the incident itself; a note, a status update or a
    # responder carries a reference to it.
    reference = data.get("incident")
    incident: Mapping[str, Any] = reference if isinstance(reference, Mapping) else (
        data if data.get("type") == "incident" else {})
    incident_id = incident.get("id")
    if event_type.startswith("incident.") and not isinstance(incident_id, str):
        raise MalformedPage("event.data has no incident id")
    priority = data.get("priority")
    said = data.get("content") or data.get("message")
    reason = data.get("resolve_reason")
    if said is None and isinstance(reason, Mapping):
        said = reason.get("summary") or reason.get("type")
    number = incident.get("number")
    return PagerDutyEvent(
        event_id=_text(event, "id", where="event", required=False),
        event_type=event_type,
        occurred_at=_time(event, "occurred_at", where="event", required=False),
        incident_id=incident_id if isinstance(incident_id, str) else None,
        incident_number=number if isinstance(number, int) else None,
        title=_str_or_none(incident.get("title")) or _str_or_none(incident.get("summary")),
        html_url=_str_or_none(incident.get("html_url")),
        urgency=_str_or_none(data.get("urgency")),
        priority=_str_or_none(priority.get("summary")) if isinstance(priority, Mapping)
        else None,
        service=_str_or_none((data.get("service") or {}).get("summary"))
        if isinstance(data.get("service"), Mapping) else None,
        assignees=tuple(person for person in map(_person, data.get("assignees") or [])
                        if person is not None),
        agent=_person(event.get("agent")),
        said=clip(str(said), MAX_TEXT_LENGTH) if said else None)


def _person(reference: object) -> Person | None:
    if not isinstance(reference, Mapping) or not isinstance(reference.get("id"), str):
        return None
    return Person(pagerduty_id=reference["id"],
                  name=_str_or_none(reference.get("summary")) or reference["id"])


# --- reading fields -------------------------------------------------------------------------

def _first_words(*candidates: str | None) -> str:
    """The first candidate with something in it, on one line, cut to a title's length."""
    for candidate in candidates:
        words = " ".join((candidate or "").split())
        if words:
            return clip(words, MAX_TITLE_LENGTH)
    return "Page"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _where(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _text(payload: Mapping[str, Any], key: str, *, where: str = "",
          required: bool = True) -> str:
    value = payload.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise MalformedPage(f"{_where(where, key)} is missing or not text")
    return value


def _str_or_none(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _labels(payload: Mapping[str, Any], key: str, *, where: str = "") -> dict[str, str]:
    value = payload.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise MalformedPage(f"{_where(where, key)} is not an object of text values")
    return dict(value)


def _time(payload: Mapping[str, Any], key: str, *, where: str = "",
          required: bool = True) -> datetime | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise MalformedPage(f"{_where(where, key)} is missing or not a time")
    try:
        parsed = _parse_time(value)
    except (ValueError, OverflowError):
        raise MalformedPage(f"{_where(where, key)} is not an RFC 3339 time: {value[:40]!r}"
                            ) from None
    return parsed


def _parse_time(value: str) -> datetime:
    """RFC 3339 as Go writes it: up to nine digits of a second (Python reads six)."""
    text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
    if "." in text:
        head, _, rest = text.partition(".")
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:min(digits, 6)].ljust(6, '0')}{rest[digits:]}"
    parsed = datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
