"""A long incident for the benchmark and its correctness test: a day, many entries, many
handovers, every kind of text the timeline holds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.vocabulary import Role
from bot.retro.facts import ActionFacts, Entry, IncidentFacts, RetroFacts, RoleSpan

KINDS = ("key_event", "update", "note", "hypothesis")
PEOPLE = {f"U{index:04d}": f"engineer-{index}" for index in range(1, 21)}


def long_incident(*, entries: int = 10_000, handovers: int = 50,
                  hours: int = 24) -> RetroFacts:
    start = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    span = timedelta(hours=hours)
    people = list(PEOPLE)
    shift = span / (handovers + 1)
    roles = [RoleSpan(Role.COMMANDER, people[i % len(people)], start + i * shift,
                      start + (i + 1) * shift if i < handovers else None)
             for i in range(handovers + 1)]
    step = span / entries
    timeline = [
        Entry(occurred_at=start + i * step, kind=KINDS[i % len(KINDS)],
              author=f"<@{people[i % len(people)]}>",
              text=(f"Entry {i}: p99 at {i % 900} ms on *checkout* <@{people[(i + 1) % 20]}>"
                    + ("\nsecond line | with a pipe" if i % 10 == 0 else "")),
              permalink=f"https://example.slack.com/archives/C1/p{1_000_000 + i}")
        for i in range(entries)]
    return RetroFacts(
        incident=IncidentFacts(number=4242, title="Slow burn: checkout latency", severity=2,
                               status="resolved", summary="Connection pool exhaustion.",
                               impact="p99 latency above 2 s for a day.", started_at=start,
                               first_status_change_at=start + timedelta(minutes=30),
                               mitigated_at=start + span - timedelta(hours=2),
                               resolved_at=start + span),
        roles=roles, entries=timeline,
        actions=[ActionFacts(f"Follow-up {i}", people[i % 20], i % 3 == 0) for i in range(30)],
        people=PEOPLE,
    )
