"""One log line for each change to an incident that whoever runs Sitrep cares about:
opened, a role handed over, severity, status, resolved, reopened, the retrospective posted
or not. Each names the incident (`INC-4`) and carries its number and team as fields; the
Slack request's or event's id comes with the line (`bot/core/logging.py`).

Titles and texts stay out of the log: a private incident's title is for its channel."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.core.durations import humanize
from bot.db.models import Incident
from bot.domain.incidents import Change, RoleChange
from bot.domain.vocabulary import label, severity_label
from bot.slack.failures import SlackFailure

log = logging.getLogger("sitrep.incidents")


def opened(incident: Incident) -> None:
    _say(incident, "opened", "%s opened: %s, %s, by %s in %s", label(incident.number),
         severity_label(incident.severity), "private" if incident.private else "public",
         incident.reporter_id, incident.channel_id)


def role_assigned(incident: Incident, change: RoleChange, *, by: str) -> None:
    _say(incident, "role_assigned", "%s %s is now %s (was %s), by %s", label(incident.number),
         change.role, change.user_id, change.previous_user_id or "nobody", by)


def severity_changed(incident: Incident, change: Change, *, by: str) -> None:
    _say(incident, "severity_changed", "%s severity %s (was %s), by %s",
         label(incident.number), change.new, change.old, by)


def status_changed(incident: Incident, change: Change, *, by: str) -> None:
    _say(incident, "status_changed", "%s status %s (was %s), by %s", label(incident.number),
         change.new, change.old, by)


def resolved(incident: Incident, *, took: timedelta, by: str) -> None:
    _say(incident, "resolved", "%s resolved after %s, by %s", label(incident.number),
         humanize(took), by)


def reopened(incident: Incident, *, by: str) -> None:
    _say(incident, "reopened", "%s reopened, by %s", label(incident.number), by)


def retro_posted(incident: Incident, *, version: int, where: str) -> None:
    _say(incident, "retrospective_posted", "%s retrospective v%d posted as a %s",
         label(incident.number), version, where)


def retro_not_posted(incident: Incident, failure: SlackFailure) -> None:
    _say(incident, "retrospective_not_posted",
         "%s retrospective stored but not posted: Slack %s said %s (`sitrep retro %d` "
         "prints it)", label(incident.number), failure.method, failure.error,
         incident.number, level=logging.WARNING)


def _say(incident: Incident, what: str, message: str, *args: object,
         level: int = logging.INFO) -> None:
    log.log(level, message, *args, extra={"incident": incident.number,
                                          "team": incident.team_id, "incident_event": what})
