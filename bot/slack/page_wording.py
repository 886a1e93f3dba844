"""What a page puts on an incident's timeline, in plain text as the paging tool said it
(the timeline keeps it; whoever shows it in Slack makes it inert: `wording.alert_line`,
`wording.pagerduty_news`). Beside `wording.py`, which says it in the channel."""

from __future__ import annotations

from typing import Final

from bot.domain.pages import Alert, PagerDutyEvent, clip

# Label values shown beside an alert are cut at this length; the rest is in Alertmanager.
LABEL_VALUE_CHARS: Final = 200


def alert_text(alert: Alert, *, resolved: bool = False) -> str:
    """Its name, state and summary first (the line the card and the channel show), then
    its labels, then its other annotations (a runbook link, a description)."""
    said = alert.annotations.get("summary") or alert.annotations.get("description") or ""
    head = f"{alert.name} {'resolved' if resolved else 'firing'}" + (f": {said}" if said else "")
    labels = ", ".join(f"{name}={clip(value, LABEL_VALUE_CHARS)}"
                       for name, value in sorted(alert.labels.items()) if name != "alertname")
    lines = [head]
    if labels:
        lines.append(f"Labels: {labels}")
    if not resolved:
        others = {name: value for name, value in alert.annotations.items()
                  if name != "summary" and value and value != said}
        lines += [f"{name.capitalize()}: {value}" for name, value in sorted(others.items())]
    return "\n".join(lines)


def alerts_left_out(count: int) -> str:
    return (f"Alertmanager left out {count} more alert{'' if count == 1 else 's'} of this "
            "group (its max_alerts); see them in Alertmanager")


def pagerduty_text(event: PagerDutyEvent) -> str:
    who = f" by {event.agent.name}" if event.agent is not None else ""
    what = event.event_type.removeprefix("incident.").replace("_", " ").replace(".", " ")
    number = f" #{event.incident_number}" if event.incident_number else ""
    text = f"PagerDuty incident{number} {what}{who}"
    return text + (f": {event.said}" if event.said else "")
