"""When reminders fall due, from the record alone: the cadence per severity, what resets
it, monitoring's gentler pace, snoozes, the stale nudges' growing waits that skip weekends,
and the digest at the same local time on both sides of a change of summer time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.settings import DEFAULT_UPDATE_REMINDERS
from bot.domain.reminders import (
    UpdateClock,
    needs_handover,
    next_digest,
    next_stale_nudge,
    next_update_reminder,
)

T0 = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday
LONDON = ZoneInfo("Europe/London")


def _clock(**changes: object) -> UpdateClock:
    values: dict[str, object] = {"severity": 1, "status": "investigating", "opened_at": T0,
                                 "last_update_at": None, "last_change_at": None}
    values.update(changes)
    return UpdateClock(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(("severity", "after"), [(1, timedelta(minutes=30)),
                                                 (2, timedelta(hours=1)),
                                                 (3, timedelta(hours=4)),
                                                 (4, None)])
def test_the_default_cadence_per_severity(severity: int, after: timedelta | None) -> None:
    due = next_update_reminder(_clock(severity=severity), DEFAULT_UPDATE_REMINDERS)
    assert due == (T0 + after if after is not None else None)


def test_an_update_a_change_or_a_reminder_starts_the_clock_again() -> None:
    later = T0 + timedelta(minutes=20)
    cadence = DEFAULT_UPDATE_REMINDERS
    assert next_update_reminder(_clock(last_update_at=later), cadence) == later + timedelta(
        minutes=30)
    # From SEV3 to SEV1 twenty minutes in: SEV1's cadence, from the change.
    assert next_update_reminder(_clock(last_change_at=later), cadence) == later + timedelta(
        minutes=30)
    assert next_update_reminder(_clock(reminded_at=later), cadence) == later + timedelta(
        minutes=30)


def test_monitoring_doubles_the_wait_and_resolved_stops_it() -> None:
    cadence = DEFAULT_UPDATE_REMINDERS
    assert next_update_reminder(_clock(status="monitoring"), cadence) == T0 + timedelta(hours=1)
    assert next_update_reminder(_clock(status="resolved"), cadence) is None


def test_a_snooze_holds_the_reminder_until_it_ends() -> None:
    cadence = DEFAULT_UPDATE_REMINDERS
    until = T0 + timedelta(hours=2)
    assert next_update_reminder(_clock(snoozed_until=until), cadence) == until
    # A snooze shorter than the wait changes nothing.
    assert next_update_reminder(_clock(snoozed_until=T0 + timedelta(minutes=5)),
                                cadence) == T0 + timedelta(minutes=30)


def test_a_handover_is_suggested_once_the_commander_has_held_the_role_long_enough() -> None:
    assert not needs_handover(T0, T0 + timedelta(hours=2, minutes=59), timedelta(hours=3))
    assert needs_handover(T0, T0 + timedelta(hours=3), timedelta(hours=3))
    assert not needs_handover(T0, T0 + timedelta(days=1), None)


def test_stale_nudges_wait_longer_each_time_and_skip_weekends() -> None:
    three_days = timedelta(days=3)
    # Quiet since Monday 10:00 UTC: Thursday 10:00.
    first = next_stale_nudge(T0, last_nudge=None, nudges=0, stale_after=three_days, tz=LONDON)
    assert first == datetime(2026, 12, 3, 10, 0, tzinfo=UTC)
    # Then six days: Wednesday 9 December.
    second = next_stale_nudge(T0, last_nudge=first, nudges=1, stale_after=three_days,
                              tz=LONDON)
    assert second == datetime(2026, 12, 9, 10, 0, tzinfo=UTC)
    # Quiet since Wednesday evening: Saturday evening moves to Monday, same time.
    wednesday = datetime(2026, 12, 2, 18, 0, tzinfo=UTC)
    assert next_stale_nudge(wednesday, last_nudge=None, nudges=0, stale_after=three_days,
                            tz=LONDON) == datetime(2026, 12, 7, 18, 0, tzinfo=UTC)
    # Activity after a nudge starts the count again.
    assert next_stale_nudge(second, last_nudge=first, nudges=1, stale_after=three_days,
                            tz=LONDON) == datetime(2026, 12, 14, 10, 0, tzinfo=UTC)


def test_weekends_are_the_teams_not_utcs() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    # Friday 20:00 UTC is Saturday 05:00 in Tokyo: moved to Monday 05:00 there.
    friday_evening = datetime(2026, 12, 4, 20, 0, tzinfo=UTC) - timedelta(days=3)
    assert next_stale_nudge(friday_evening, last_nudge=None, nudges=0,
                            stale_after=timedelta(days=3), tz=tokyo) == datetime(
        2026, 12, 6, 20, 0, tzinfo=UTC)


def test_the_digest_keeps_its_local_time_across_a_change_of_summer_time() -> None:
    nine = time(9, 0)
    # London leaves GMT for BST on Sunday 28 March 2027.
    saturday = datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
    sunday = next_digest(saturday, nine, LONDON)
    assert sunday == datetime(2027, 3, 28, 8, 0, tzinfo=UTC)  # 09:00 BST
    assert next_digest(sunday, nine, LONDON) == datetime(2027, 3, 29, 8, 0, tzinfo=UTC)
    # Before nine today: today; at nine or after: tomorrow.
    assert next_digest(datetime(2027, 1, 4, 8, 59, tzinfo=UTC), nine, LONDON) == datetime(
        2027, 1, 4, 9, 0, tzinfo=UTC)
    assert next_digest(datetime(2027, 1, 4, 9, 0, tzinfo=UTC), nine, LONDON) == datetime(
        2027, 1, 5, 9, 0, tzinfo=UTC)
