"""Sitrep's vocabulary: the words an SRE uses for an incident's states, roles and timeline,
as enums, so a typo is a NameError rather than a silent mismatch. StrEnum members are
their own values, so rows keep storing the plain words."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final

from bot.core.settings import COMMANDER

SEVERITIES: Final = (1, 2, 3, 4)

# A card's header block holds at most 150 characters; a title longer than that would be
# cut everywhere it is shown.
MAX_TITLE_LENGTH: Final = 150
MAX_TEXT_LENGTH: Final = 3000  # one section block's text


class Status(StrEnum):
    INVESTIGATING = "investigating"
    IDENTIFIED = "identified"
    MONITORING = "monitoring"
    RESOLVED = "resolved"


STATUSES: Final = tuple(Status)


class Role(StrEnum):
    """The role every incident has whatever SITREP_ROLES names (handover, the card and the
    brief depend on it); the others are a team's to choose, so they are settings, not
    words of the code. The value comes from the settings' default, so there is one."""

    COMMANDER = COMMANDER


class Kind(StrEnum):
    """Timeline kinds the lifecycle writes itself; marked messages take the kinds a team
    maps its emoji to (SITREP_TIMELINE_EMOJI, `key_event` by default)."""

    STARTED = "started"
    ROLE = "role"
    SEVERITY = "severity"
    STATUS = "status"
    UPDATE = "update"
    NOTE = "note"
    ACTION = "action"
    ACTION_DONE = "action_done"
    ACTION_REASSIGNED = "action_reassigned"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    REVIEWED = "reviewed"
    # From the paging webhooks: an alert of an Alertmanager group firing, the same alert
    # resolved (said, never acted on), and a PagerDuty incident's news.
    ALERT = "alert"
    ALERT_RESOLVED = "alert_resolved"
    PAGERDUTY = "pagerduty"


# Entries a page wrote: their links lead to the paging tool, not to a Slack message.
PAGE_KINDS: Final = frozenset({Kind.ALERT, Kind.ALERT_RESOLVED, Kind.PAGERDUTY})


class PageSource(StrEnum):
    """Where a page came from: the paging webhooks (`POST /hooks/...`)."""

    ALERTMANAGER = "alertmanager"
    PAGERDUTY = "pagerduty"


PAGE_SOURCE_NAMES: Final[Mapping[str, str]] = {
    PageSource.ALERTMANAGER: "Alertmanager",
    PageSource.PAGERDUTY: "PagerDuty",
}


class Via(StrEnum):
    """How an entry got on the timeline. `reaction` entries follow the message's reactions
    (removed with the last one); the others stay until the message is deleted."""

    AUTO = "auto"
    REACTION = "reaction"
    SHORTCUT = "shortcut"


class OpeningStep(StrEnum):
    """How far the start of an incident got, in order: numbered, its channel made, its
    card posted, the card pinned and the topic set. Announcing ends the opening."""

    NUMBERED = "numbered"
    CHANNEL = "channel"
    CARD = "card"
    READY = "ready"


OPENING_STEPS: Final = tuple(OpeningStep)


def label(number: int) -> str:
    """`INC-4`: how people name an incident."""
    return f"INC-{number}"


def severity_label(severity: int) -> str:
    return f"SEV{severity}"


def kind_label(kind: str) -> str:
    return kind.replace("_", " ")
