"""The rules of follow-ups over plain values: an action item's state on a given day, when a
due day is refused, a review's deadline per severity (calendar and working days), when its
reminder is said, and when the owners' weekly message falls; and, on both databases, the
review reminder is claimed once however many callers try."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.core.settings import ReviewDeadline, Settings, WeeklyAt
from bot.db.engine import SessionFactory, transaction
from bot.db.models import ActionItem
from bot.domain import action_items, incidents, reviews
from bot.domain.action_items import ItemState, Standing
from bot.domain.errors import InvalidInput, WrongState

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
RULES = {1: ReviewDeadline(3), 2: ReviewDeadline(5, working=True)}


def _item(*, due_on: date | None = None, done_at: datetime | None = None) -> ActionItem:
    return ActionItem(team_id="T1", incident_id=1, text="Canary", created_by="U1",
                      created_at=datetime(2026, 11, 30, tzinfo=UTC), due_on=due_on,
                      done_at=done_at)


def test_an_item_is_open_until_the_end_of_its_due_day_then_overdue_from_the_next() -> None:
    item = _item(due_on=date(2026, 12, 4))
    assert action_items.standing(item, on=date(2026, 12, 4), zone=BERLIN) == Standing(
        ItemState.OPEN)
    assert action_items.standing(item, on=date(2026, 12, 5), zone=BERLIN) == Standing(
        ItemState.OVERDUE, date(2026, 12, 5))
    assert action_items.standing(_item(), on=date(2030, 1, 1), zone=BERLIN).state == \
        ItemState.OPEN


def test_a_done_item_is_done_on_the_teams_calendar_day() -> None:
    # 23:30 UTC on the 4th is already the 5th in Berlin.
    done = _item(due_on=date(2026, 12, 1), done_at=datetime(2026, 12, 4, 23, 30, tzinfo=UTC))
    assert action_items.standing(done, on=date(2026, 12, 9), zone=BERLIN) == Standing(
        ItemState.DONE, date(2026, 12, 5))


def test_a_due_day_in_the_past_is_refused_and_today_is_fine() -> None:
    today = date(2026, 11, 30)
    assert action_items.check_due(today, on=today) == today
    assert action_items.check_due(None, on=today) is None
    with pytest.raises(InvalidInput, match="2026-11-29 is in the past"):
        action_items.check_due(date(2026, 11, 29), on=today)


@pytest.mark.parametrize(("resolved", "severity", "due"), [
    # Sev1: 3 calendar days, weekends included (resolved Thursday → Sunday).
    (datetime(2026, 12, 3, 15, 0, tzinfo=UTC), 1, date(2026, 12, 6)),
    # Sev2: 5 working days (resolved Thursday → next Thursday).
    (datetime(2026, 12, 3, 15, 0, tzinfo=UTC), 2, date(2026, 12, 10)),
    # Resolved on a Saturday: working days count from the Monday.
    (datetime(2026, 12, 5, 10, 0, tzinfo=UTC), 2, date(2026, 12, 11)),
    # The team's day, not UTC's: 23:30 UTC Friday is Saturday in Berlin.
    (datetime(2026, 12, 4, 23, 30, tzinfo=UTC), 2, date(2026, 12, 11)),
    # Sev3 and sev4: optional, no deadline.
    (datetime(2026, 12, 3, 15, 0, tzinfo=UTC), 3, None),
    (datetime(2026, 12, 3, 15, 0, tzinfo=UTC), 4, None),
])
def test_the_review_deadline_follows_the_severity(resolved: datetime, severity: int,
                                                  due: date | None) -> None:
    assert reviews.due_on(resolved_at=resolved, severity=severity, rules=RULES,
                          zone=BERLIN) == due


def test_the_review_reminder_is_the_next_working_morning_after_the_deadline() -> None:
    # Deadline Thursday: Friday 09:00 local.
    assert reviews.reminder_at(date(2026, 12, 10), BERLIN) == datetime(
        2026, 12, 11, 9, 0, tzinfo=BERLIN)
    # Deadline Friday or Sunday: Monday 09:00 local, not the weekend.
    assert reviews.reminder_at(date(2026, 12, 11), BERLIN) == datetime(
        2026, 12, 14, 9, 0, tzinfo=BERLIN)
    assert reviews.reminder_at(date(2026, 12, 6), BERLIN) == datetime(
        2026, 12, 7, 9, 0, tzinfo=BERLIN)


def test_the_owners_message_is_the_next_weekday_at_its_local_time() -> None:
    monday_nine = WeeklyAt(0, time(9, 0))
    # From Wednesday: next Monday.
    wednesday = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    assert action_items.next_owners_message(wednesday, monday_nine, BERLIN) == datetime(
        2026, 12, 7, 9, 0, tzinfo=BERLIN)
    # Monday before nine: today; at nine exactly: a week later (strictly after).
    early = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
    assert action_items.next_owners_message(early, monday_nine, BERLIN) == datetime(
        2026, 12, 7, 9, 0, tzinfo=BERLIN)
    at_nine = datetime(2026, 12, 7, 9, 0, tzinfo=BERLIN)
    assert action_items.next_owners_message(at_nine, monday_nine, BERLIN) == datetime(
        2026, 12, 14, 9, 0, tzinfo=BERLIN)


def test_the_owners_message_keeps_its_local_time_across_daylight_saving() -> None:
    # New York leaves daylight saving on Sunday 2026-11-01: 09:00 EDT is 13:00 UTC before,
    # 09:00 EST is 14:00 UTC after.
    before = datetime(2026, 10, 26, 13, 0, tzinfo=UTC)  # Monday 09:00 EDT
    following = action_items.next_owners_message(before, WeeklyAt(0, time(9, 0)), NEW_YORK)
    assert following.astimezone(UTC) == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(("written", "rules"), [
    ("sev1=3d,sev2=5wd", RULES),
    ("sev1=1d", {1: ReviewDeadline(1), 2: ReviewDeadline(5, working=True)}),
    ("sev2=off,sev3=10wd", {1: ReviewDeadline(3), 3: ReviewDeadline(10, working=True)}),
    ("SEV-4 = 2d", {**RULES, 4: ReviewDeadline(2)}),
])
def test_sitrep_review_within_is_read_per_severity(written: str,
                                                   rules: dict[int, ReviewDeadline]) -> None:
    settings = Settings(_env_file=None, SITREP_REVIEW_WITHIN=written)  # type: ignore[call-arg]
    assert settings.review_within == rules


@pytest.mark.parametrize(("written", "weekly"), [
    ("mon 09:00", WeeklyAt(0, time(9, 0))),
    ("Friday 16:30", WeeklyAt(4, time(16, 30))),
    ("off", None),
])
def test_sitrep_action_items_dm_is_a_weekday_and_time(written: str,
                                                      weekly: WeeklyAt | None) -> None:
    settings = Settings(_env_file=None, SITREP_ACTION_ITEMS_DM=written)  # type: ignore[call-arg]
    assert settings.action_items_dm == weekly


# --- on the database ------------------------------------------------------------------------

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)  # a Thursday


async def test_the_review_reminder_is_claimed_once_and_not_after_the_review(
        sessions: SessionFactory) -> None:
    async with sessions() as session, session.begin():
        incident = await incidents.open_incident(
            session, team_id="T1", reporter_id="U1", title="Checkout down", severity=2,
            description=None, now=T0)
        await incidents.attach_channel(session, incident, "C1")
        await incidents.resolve(session, incident, summary=None, by="U1", now=T0)
        await reviews.set_deadline(session, incident, date(2026, 12, 10), zone=UTC)
        incident_id = incident.id
    assert incident_id is not None

    async def claim(now: datetime) -> bool:
        # Through the writers' turn, as the use case does (SQLite's writers take turns).
        async with transaction(sessions) as session:
            return await reviews.claim_reminder(session, incident_id, now=now,
                                                zone=UTC) is not None

    assert not await claim(datetime(2026, 12, 11, 8, 59, tzinfo=UTC))  # not yet
    later = datetime(2026, 12, 11, 9, 0, tzinfo=UTC)
    # Four callers at once (replicas, a retry): the conditional update lets one have it.
    claims = await asyncio.gather(*(claim(later) for _ in range(4)))
    assert sorted(claims) == [False, False, False, True]

    async with sessions() as session, session.begin():
        incident = await incidents.by_number(session, "T1", 1)
        assert incident is not None
        await reviews.mark_reviewed(session, incident, by="U2", now=later)
    async with sessions() as session, session.begin():
        incident = await incidents.by_number(session, "T1", 1)
        assert incident is not None
        assert reviews.retro_state(incident) == reviews.RetroState.REVIEWED
        with pytest.raises(WrongState, match="already marked held by <@U2>"):
            await reviews.mark_reviewed(session, incident, by="U1", now=later)
