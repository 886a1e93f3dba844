"""Pages sent to the bot as the paging tools send them: Alertmanager's webhook with its
bearer token, PagerDuty's v3 webhooks signed with the subscription's secret. Used by the
tests and by `sitrep demo`.

The payload builders follow the tools' own shapes: Alertmanager's `version: "4"` message
(prometheus/alertmanager `notify/webhook/webhook.go`, `template/template.go`) and
PagerDuty's v3 event (PagerDuty/developer-docs `docs/webhooks/01-v3-Overview.md`)."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiohttp import ClientSession

ALERTMANAGER_PATH = "/hooks/alertmanager"
PAGERDUTY_PATH = "/hooks/pagerduty"
# Go's zero time: Alertmanager's `endsAt` of an alert still firing.
GO_ZERO_TIME = "0001-01-01T00:00:00Z"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


def rfc3339(at: datetime) -> str:
    return at.astimezone(UTC).isoformat().replace("+00:00", "Z")


def alert(alertname: str, *, fingerprint: str, starts_at: datetime, status: str = "firing",
          ends_at: datetime | None = None, labels: Mapping[str, str] | None = None,
          annotations: Mapping[str, str] | None = None,
          generator_url: str | None = None) -> dict[str, Any]:
    """One alert of a group, as Alertmanager's template.Alert marshals it."""
    return {
        "status": status,
        "labels": {"alertname": alertname, **(labels or {})},
        "annotations": dict(annotations or {}),
        "startsAt": rfc3339(starts_at),
        "endsAt": rfc3339(ends_at) if ends_at is not None else GO_ZERO_TIME,
        "generatorURL": generator_url or
        f"http://prometheus.example.org:9090/graph?g0.expr={alertname}&g0.tab=1",
        "fingerprint": fingerprint,
    }


def alert_group(alerts: Sequence[Mapping[str, Any]], *, group_labels: Mapping[str, str],
                status: str | None = None, receiver: str = "sitrep",
                common_annotations: Mapping[str, str] | None = None,
                truncated: int = 0,
                external_url: str = "http://alertmanager.example.org:9093") -> dict[str, Any]:
    """A notification for one group: its common labels are those every alert shares."""
    firing = any(a["status"] == "firing" for a in alerts)
    common = dict(alerts[0]["labels"]) if alerts else {}
    for each in alerts[1:]:
        common = {k: v for k, v in common.items() if each["labels"].get(k) == v}
    if common_annotations is None:
        shared = dict(alerts[0]["annotations"]) if alerts else {}
        for each in alerts[1:]:
            shared = {k: v for k, v in shared.items() if each["annotations"].get(k) == v}
        common_annotations = shared
    matchers = ", ".join(f'{k}="{v}"' for k, v in sorted(group_labels.items()))
    return {
        "receiver": receiver,
        "status": status or ("firing" if firing else "resolved"),
        "alerts": [dict(a) for a in alerts],
        "groupLabels": dict(group_labels),
        "commonLabels": common,
        "commonAnnotations": dict(common_annotations),
        "externalURL": external_url,
        "version": "4",
        "groupKey": f"{{}}:{{{matchers}}}",
        "truncatedAlerts": truncated,
    }


def pagerduty_event(event_type: str, *, incident_id: str, number: int, title: str,
                    occurred_at: datetime, assignees: Sequence[tuple[str, str]] = (),
                    agent: tuple[str, str] | None = None, priority: str | None = None,
                    urgency: str = "high", note: str | None = None,
                    event_id: str | None = None) -> dict[str, Any]:
    """A v3 webhook's body: one event. `assignees` and `agent` are (user id, name)."""
    base = "https://acme.pagerduty.com"
    incident_ref = {"html_url": f"{base}/incidents/{incident_id}", "id": incident_id,
                    "self": f"https://api.pagerduty.com/incidents/{incident_id}",
                    "summary": title, "type": "incident_reference"}
    if event_type == "incident.annotated":
        data: dict[str, Any] = {"incident": incident_ref, "id": "P2LA89X",
                                "content": note or "", "trimmed": False,
                                "type": "incident_note"}
    else:
        data = {
            "id": incident_id, "type": "incident",
            "self": f"https://api.pagerduty.com/incidents/{incident_id}",
            "html_url": f"{base}/incidents/{incident_id}", "number": number,
            "status": event_type.removeprefix("incident."), "title": title,
            "service": {"html_url": f"{base}/services/PF9KMXH", "id": "PF9KMXH",
                        "self": "https://api.pagerduty.com/services/PF9KMXH",
                        "summary": "Checkout API", "type": "service_reference"},
            "assignees": [_user(user_id, name) for user_id, name in assignees],
            "escalation_policy": {"html_url": f"{base}/escalation_policies/PUS0KTE",
                                  "id": "PUS0KTE",
                                  "self": "https://api.pagerduty.com/escalation_policies/"
                                          "PUS0KTE",
                                  "summary": "Default", "type": "escalation_policy_reference"},
            "teams": [],
            "priority": None if priority is None else {
                "html_url": f"{base}/account/incident_priorities", "id": "PSO75BM",
                "self": "https://api.pagerduty.com/priorities/PSO75BM", "summary": priority,
                "type": "priority_reference"},
            "urgency": urgency,
            "conference_bridge": None,
            "resolve_reason": None,
        }
    return {"event": {
        "id": event_id or str(uuid.uuid4()),
        "event_type": event_type,
        "resource_type": "incident",
        "occurred_at": rfc3339(occurred_at),
        "agent": _user(*agent) if agent is not None else None,
        "client": {"name": "PagerDuty"} if agent is None else None,
        "data": data,
    }}


def pagerduty_ping() -> dict[str, Any]:
    return {"event": {"id": str(uuid.uuid4()), "event_type": "pagey.ping",
                      "resource_type": "pagey", "occurred_at": rfc3339(datetime.now(UTC)),
                      "agent": None, "client": None, "data": {"message": "Hello from your "
                                                              "friend Pagey!",
                                                              "type": "ping"}}}


def _user(user_id: str, name: str) -> dict[str, str]:
    return {"html_url": f"https://acme.pagerduty.com/users/{user_id}", "id": user_id,
            "self": f"https://api.pagerduty.com/users/{user_id}", "summary": name,
            "type": "user_reference"}


def pagerduty_signature(body: bytes, secret: str) -> str:
    return "v1=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class PageSender:
    """Sends pages to a bot at `base_url` over real HTTP."""

    def __init__(self, base_url: str, *, alertmanager_token: str | None = None,
                 pagerduty_secret: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.alertmanager_token = alertmanager_token
        self.pagerduty_secret = pagerduty_secret
        self._session: ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def alertmanager(self, payload: Mapping[str, Any] | bytes, *,
                           authorization: str | None = None) -> Answer:
        """As Alertmanager's `http_config.authorization` sends it; `authorization` replaces
        the header (empty: none at all)."""
        header = authorization if authorization is not None else \
            f"Bearer {self.alertmanager_token}"
        headers = {"Content-Type": "application/json", "User-Agent": "Alertmanager/0.27.0"}
        if header:
            headers["Authorization"] = header
        return await self._post(ALERTMANAGER_PATH, _bytes(payload), headers)

    async def pagerduty(self, payload: Mapping[str, Any] | bytes, *,
                        webhook_id: str | None = None,
                        signature: str | None = None) -> Answer:
        """Signed with the secret, as PagerDuty does (`signature` replaces the header)."""
        body = _bytes(payload)
        headers = {"Content-Type": "application/json",
                   "User-Agent": "PagerDuty-Webhook/V3.0",
                   "X-Webhook-Id": webhook_id or str(uuid.uuid4()),
                   "X-Webhook-Subscription": "PY1OYTU"}
        signed = signature if signature is not None else \
            pagerduty_signature(body, self.pagerduty_secret or "")
        if signed:
            headers["X-PagerDuty-Signature"] = signed
        return await self._post(PAGERDUTY_PATH, body, headers)

    async def _post(self, path: str, body: bytes, headers: dict[str, str]) -> Answer:
        if self._session is None:
            self._session = ClientSession()
        async with self._session.post(self.base_url + path, data=body,
                                      headers=headers) as response:
            try:
                said = await response.json(content_type=None)
            except ValueError:
                said = {"text": await response.text()}
            return Answer(status=response.status,
                          body=said if isinstance(said, dict) else {"body": said})


def _bytes(payload: Mapping[str, Any] | bytes) -> bytes:
    return payload if isinstance(payload, bytes) else json.dumps(payload).encode()
