"""A timeline entry in words: people are stored as ids and named by whoever shows the entry."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.db.models import TimelineEntry
from bot.domain.timeline import sentence

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


def _entry(kind: str, text: str, subject: str | None = None,
           previous: str | None = None) -> TimelineEntry:
    return TimelineEntry(team_id="T1", incident_id=1, kind=kind, text=text, subject_id=subject,
                         previous_id=previous, occurred_at=NOW, created_at=NOW)


def _name(user_id: str) -> str:
    return {"U1": "alice", "U2": "bob"}[user_id]


def test_a_handover_names_both_commanders() -> None:
    entry = _entry("role", "commander", subject="U2", previous="U1")
    assert sentence(entry, person=_name) == "Commander handed over from alice to bob"


def test_a_first_holder_of_a_role() -> None:
    assert sentence(_entry("role", "comms", subject="U2"), person=_name) == "bob is now comms"


def test_an_action_item_names_its_owner_and_one_without_owner_says_nothing_more() -> None:
    owned = _entry("action", "Action item: add an alert", subject="U1")
    assert sentence(owned, person=_name) == "Action item: add an alert (owner alice)"
    assert sentence(_entry("action", "Action item: tidy up"), person=_name) == \
        "Action item: tidy up"


def test_rows_written_before_people_were_ids_keep_their_sentence() -> None:
    legacy = _entry("role", "Commander handed over from <@U1> to <@U2>")
    assert sentence(legacy, person=_name) == "Commander handed over from <@U1> to <@U2>"
