"""Incidents to try a retrospective template on before any real one depends on it.

A team's template that works for a tidy sample can still break on what real incidents hold:
an action item nobody owns yet, a person Slack gave no name for, an entry without a link, the
team's own timeline kinds, text full of Markdown, a night that crosses midnight, a reopen.
`realistic_facts` holds all of that at once; `bare_facts` holds nothing optional at all."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from bot.domain.vocabulary import Kind, Role
from bot.retro.facts import ActionFacts, Entry, IncidentFacts, RetroFacts, RoleSpan

_START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)
_LINK = "https://example.slack.com/archives/C0INC1/p1767306060000100"
_REPLY_LINK = ("https://example.slack.com/archives/C0INC1/p1767306060000200"
               "?thread_ts=1767306060.000100&cid=C0INC1")


def sample_facts() -> RetroFacts:
    """A small incident with every part filled."""
    return RetroFacts(
        incident=IncidentFacts(1, "Sample", 2, "resolved", "Summary", "Impact", _START,
                               _START + 5 * _MINUTE, _START + 20 * _MINUTE,
                               _START + 40 * _MINUTE),
        roles=[RoleSpan(Role.COMMANDER, "U1", _START, _START + 30 * _MINUTE),
               RoleSpan(Role.COMMANDER, "U2", _START + 30 * _MINUTE, None)],
        entries=[Entry(_START, "started", "<@U1>", "Declared"),
                 Entry(_START + _MINUTE, "key_event", "bob", "Look <@U2>",
                       "https://example.slack.com/archives/C1/p1", "a comment")],
        actions=[ActionFacts("Add an alert", "U2", False)],
        people={"U1": "alice", "U2": "bob"},
    )


def bare_facts() -> RetroFacts:
    """An incident with nothing optional filled: no summary, no status change, no timeline."""
    return RetroFacts(
        incident=IncidentFacts(1, "Sample", 3, "resolved", None, None, _START, None, None,
                               None),
        roles=[RoleSpan(Role.COMMANDER, "U1", _START, None)], entries=[], actions=[])


def realistic_facts(marker_kinds: Iterable[str] = ("key_event",)) -> RetroFacts:
    """A night's SEV1 as the record really holds one: handed over and back, reopened and
    resolved again across midnight, every kind of entry (the lifecycle's and the team's
    `marker_kinds`), people Slack named and one it did not, entries with and without links
    and comments, Slack text with Markdown, newlines and emoji, and action items done, open,
    and with no owner."""
    start = datetime(2026, 3, 13, 22, 48, tzinfo=UTC)
    at = [start + 7 * step * _MINUTE for step in range(25)]
    people = {"U0ALICE": "alice", "U0BOB": "bob", "U0CAROL": "carol"}
    # U0DAVE is in the record but Slack gave no name for him (left the workspace, say).
    roles = [RoleSpan(Role.COMMANDER, "U0ALICE", start, at[9]),
             RoleSpan(Role.COMMANDER, "U0BOB", at[9], at[20]),
             RoleSpan(Role.COMMANDER, "U0ALICE", at[20], None),
             RoleSpan("comms", "U0CAROL", at[1], None),
             RoleSpan("scribe", "U0DAVE", at[2], at[12])]
    lifecycle = [
        Entry(start, Kind.STARTED, "<@U0ALICE>",
              "Declared: Payments API: 5xx on card checkout (SEV1)"),
        Entry(at[1], Kind.ROLE, "<@U0ALICE>", "<@U0CAROL> is now comms"),
        Entry(at[2], Kind.ROLE, "<@U0ALICE>", "<@U0DAVE> is now scribe"),
        Entry(at[3], Kind.SEVERITY, "<@U0BOB>", "Severity SEV2 → SEV1"),
        Entry(at[4], Kind.STATUS, "<@U0ALICE>", "Status investigating → identified"),
        Entry(at[5], Kind.UPDATE, "<@U0CAROL>",
              "Card payments failing for ~3% of EU users.\nNext update in 30 min :clock1:"),
        Entry(at[6], Kind.NOTE, "Sitrep", "Paged the payments on-call"),
        Entry(at[7], Kind.ACTION, "<@U0BOB>", "Add a canary stage (owner <@U0DAVE>)"),
        Entry(at[9], Kind.ROLE, "<@U0ALICE>",
              "Commander handed over from <@U0ALICE> to <@U0BOB>"),
        Entry(at[10], Kind.STATUS, "<@U0BOB>", "Status identified → monitoring"),
        Entry(at[11], Kind.RESOLVED, "<@U0BOB>", "Resolved"),
        Entry(at[13], Kind.REOPENED, "<@U0ALICE>", "Reopened: errors are back"),
        Entry(at[20], Kind.ROLE, "<@U0BOB>",
              "Commander handed over from <@U0BOB> to <@U0ALICE>"),
        Entry(at[24], Kind.RESOLVED, "<@U0ALICE>", "Resolved"),
    ]
    marked = [
        Entry(at[8 + index % 3] + _MINUTE, kind, ("bob", "<@U0DAVE>", "carol")[index % 3],
              ("Deploy 4512 is *bad*: `TokenError` | 500s <https://grafana.example/d/1|graph>"
               "\n> quoted\n- a list\n1. a number 🔥"),
              (_LINK, _REPLY_LINK, None)[index % 3],
              ("seen by <@U0DAVE> too", None, "")[index % 3])
        for index, kind in enumerate(dict.fromkeys([*marker_kinds, "key_event"]))]
    long_entry = Entry(at[15], Kind.NOTE, "<@U0CAROL>", "Stack trace: " + "frame | " * 360)
    return RetroFacts(
        incident=IncidentFacts(
            number=1042, title="Payments API: 5xx on card checkout | *EU* <prod> & retries",
            severity=1, status="resolved",
            summary="Deploy 4512 broke card tokenisation.\n\n- rolled back\n- cache flushed",
            impact="~3% of EU card checkouts failed for 41 min (about 1,900 orders).",
            started_at=start, first_status_change_at=at[4], mitigated_at=at[10],
            resolved_at=at[24]),
        roles=roles,
        entries=sorted([*lifecycle, *marked, long_entry], key=lambda e: e.occurred_at),
        actions=[ActionFacts("Add a canary stage for payments", "U0DAVE", False),
                 ActionFacts("Alert on tokenisation errors, paging <@U0BOB>", "U0BOB", True),
                 ActionFacts("Write the customer notice", None, False)],
        people=people,
    )
