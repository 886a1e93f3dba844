"""`sitrep stats`'s figures on hand-built histories whose right answers are worked out here,
on SQLite and PostgreSQL: local weekdays and hours across DST changes, medians and 90th
percentiles with odd and even n, the weekday test, the commander's hours by part of day."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.db.engine import SessionFactory
from bot.domain.stats import DayParts
from bot.usecases.insights import Insights, StatsQuery, gather_insights
from tests.support.history import Past, write_history

BERLIN = ZoneInfo("Europe/Berlin")
UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def insights(sessions: SessionFactory, zone: ZoneInfo = UTC_ZONE, *,
                   query: StatsQuery | None = None, parts: DayParts | None = None,
                   now: datetime = NOW) -> Insights:
    return await gather_insights(sessions, query or StatsQuery(), zone=zone,
                                 parts=parts or DayParts(), now=now)


async def test_weekdays_and_hours_are_those_of_the_start_in_berlin_across_dst_changes(
        sessions: SessionFactory) -> None:
    starts = [
        "2026-10-24 22:30",  # Sun 00:30 CEST (a Saturday in UTC)
        "2026-10-25 00:30",  # Sun 02:30 CEST, the first 02:30 of the night clocks go back
        "2026-10-25 01:30",  # Sun 02:30 CET, the second
        "2026-10-25 23:30",  # Mon 00:30 CET (a Sunday in UTC)
        "2026-03-28 23:15",  # Sun 00:15 CET (a Saturday in UTC)
        "2026-03-29 00:59",  # Sun 01:59 CET, a minute before clocks go forward
        "2026-03-29 01:00",  # Sun 03:00 CEST
        "2026-03-29 22:30",  # Mon 00:30 CEST (a Sunday in UTC)
        "2026-07-05 22:30",  # Mon 00:30 CEST: summer time, not November's offset
        "2026-06-30 22:30",  # Wed 1 July 00:30 CEST (a Tuesday in June in UTC)
    ]
    await write_history(sessions, [Past(started=utc(s)) for s in starts])

    found = (await insights(sessions, BERLIN)).as_json()

    assert found["incidents"] == 10
    assert found["by_weekday"] == {"Mon": 3, "Tue": 0, "Wed": 1, "Thu": 0, "Fri": 0,
                                   "Sat": 0, "Sun": 6}
    assert {hour: n for hour, n in found["by_hour"].items() if n} == {
        "0": 6, "1": 1, "2": 2, "3": 1}
    assert sum(found["by_hour"].values()) == 10 and len(found["by_hour"]) == 24
    assert found["by_weekday_hour"]["Sun"][2] == 2
    assert found["by_month"] == {"2026-03": 4, "2026-04": 0, "2026-05": 0, "2026-06": 0,
                                 "2026-07": 2, "2026-08": 0, "2026-09": 0, "2026-10": 4}
    in_utc = (await insights(sessions, UTC_ZONE)).as_json()
    assert in_utc["by_weekday"]["Sat"] == 2 and in_utc["by_weekday"]["Sun"] == 7


async def test_since_and_until_are_local_days_both_included(sessions: SessionFactory) -> None:
    await write_history(sessions, [
        Past(started=utc("2026-10-31 23:30"), severity=2),  # 1 November, 00:30 in Berlin
        Past(started=utc("2026-11-30 22:59"), severity=1),  # 30 November, 23:59
        Past(started=utc("2026-11-30 23:00"), severity=2),  # 1 December
    ])

    november = StatsQuery(since=date(2026, 11, 1), until=date(2026, 11, 30))
    assert (await insights(sessions, BERLIN, query=november)).incidents == 2
    assert (await insights(sessions, UTC_ZONE, query=november)).incidents == 2
    october = StatsQuery(until=date(2026, 10, 31))
    assert (await insights(sessions, BERLIN, query=october)).incidents == 0
    assert (await insights(sessions, UTC_ZONE, query=october)).incidents == 1
    sev2 = await insights(sessions, BERLIN, query=StatsQuery(severity=2))
    assert sev2.incidents == 2 and sev2.as_json()["by_severity"] == {"2": 2}


async def test_medians_p90_and_the_medians_interval_with_odd_and_even_n(
        sessions: SessionFactory) -> None:
    shuffle = random.Random(7).shuffle
    start = utc("2026-11-02 10:00")
    past: list[Past] = []
    # sev1, n = 5 (odd): 10…50 min to mitigate, twice that to resolve.
    for minutes in (10, 20, 30, 40, 50):
        past.append(Past(started=start, severity=1, mitigated_after=minutes * MINUTE,
                         resolved_after=2 * minutes * MINUTE))
    # sev2, n = 6 (even): 10…60 min; sev3, n = 10: 1…10 min; in no particular order.
    sev2 = [Past(started=start, severity=2, mitigated_after=m * 10 * MINUTE) for m in range(1, 7)]
    sev3 = [Past(started=start, severity=3, mitigated_after=m * MINUTE) for m in range(1, 11)]
    shuffle(sev2)
    shuffle(sev3)
    # Still open, never mitigated: counted as open, not in any duration.
    past += [*sev2, *sev3, Past(started=start, severity=3)]
    await write_history(sessions, past)

    found = (await insights(sessions)).as_json()

    mitigate = found["time_to_mitigate"]
    # n = 5: the 3rd value; p90 nearest rank ceil(4.5) = 5th; under 6 values no 95 % pair.
    assert mitigate["1"] == {"n": 5, "median_s": 1800, "p90_s": 3000, "ci_low_s": None,
                             "ci_high_s": None}
    # n = 6: the mean of the 3rd and 4th (30 and 40 min); p90 ceil(5.4) = 6th; the pair
    # (1st, 6th) misses the median with probability 2/64 = 3.1 % (the next, 2 x 7/64, is
    # too much).
    assert mitigate["2"] == {"n": 6, "median_s": 2100, "p90_s": 3600, "ci_low_s": 600,
                             "ci_high_s": 3600}
    # n = 10: mean of the 5th and 6th (5 and 6 min); p90 the 9th; (2nd, 9th): 2 x 11/1024.
    assert mitigate["3"] == {"n": 10, "median_s": 330, "p90_s": 540, "ci_low_s": 120,
                             "ci_high_s": 540}
    assert found["time_to_resolve"] == {"1": {"n": 5, "median_s": 3600, "p90_s": 6000,
                                              "ci_low_s": None, "ci_high_s": None}}
    assert found["open"] == 22 - 5
    assert found["by_severity"] == {"1": 5, "2": 6, "3": 11, "4": 0}


async def test_a_skewed_week_stands_out_and_a_flat_one_does_not(
        sessions: SessionFactory) -> None:
    monday = utc("2026-11-02 00:00")
    skewed = (10, 12, 9, 11, 25, 3, 2)
    await write_history(sessions, [
        Past(started=monday + timedelta(days=day, hours=n % 24))
        for day, count in enumerate(skewed) for n in range(count)])

    test = (await insights(sessions)).as_json()["weekday_test"]

    # 72 incidents, 72/7 expected a day: chi2 = sum (7 o - 72)^2 / (7 x 72)
    # = (4 + 144 + 81 + 25 + 10609 + 2601 + 3364) / 504 = 16828 / 504 = 33.389.
    assert test["chi2"] == pytest.approx(16828 / 504)
    assert test["dof"] == 6
    assert test["p_value"] == pytest.approx(8.8e-6, rel=0.01)
    assert test["busiest"] == "Fri" and test["significant"] is True
    assert test["sentence"] == "Fridays stand out: 25 of 72, p = 8.8e-06."


async def test_a_flat_week_stands_out_nowhere(sessions: SessionFactory) -> None:
    monday = utc("2026-11-02 09:00")
    await write_history(sessions, [Past(started=monday + timedelta(days=day, minutes=n))
                                   for day in range(7) for n in range(5)])

    test = (await insights(sessions)).as_json()["weekday_test"]

    assert test["chi2"] == 0 and test["p_value"] == pytest.approx(1.0)
    assert test["significant"] is False
    assert test["sentence"] == "No weekday stands out beyond chance with 35 incidents (p = 1)."


async def test_the_commanders_hours_split_into_working_hours_evenings_and_nights(
        sessions: SessionFactory) -> None:
    await write_history(sessions, [
        # Fri 27 Nov 17:00 CET to Sat 08:00 (U1), then U2 until it resolved at 10:30.
        Past(started=utc("2026-11-27 16:00"), resolved_after=timedelta(hours=17, minutes=30),
             commanders=[("U1", utc("2026-11-27 16:00")), ("U2", utc("2026-11-28 07:00"))]),
        # Mon 23 Nov 10:00 to 12:00: working hours.
        Past(started=utc("2026-11-23 09:00"), resolved_after=timedelta(hours=2),
             commanders=[("U1", utc("2026-11-23 09:00"))]),
        # Sat 24 Oct 22:00 CEST to Sun 08:00 CET: 11 real hours, the night clocks go back.
        Past(started=utc("2026-10-24 20:00"), resolved_after=timedelta(hours=11),
             commanders=[("U3", utc("2026-10-24 20:00"))]),
        # Still open: Mon 30 Nov from 09:00 until now (11:00).
        Past(started=utc("2026-11-30 08:00"), commanders=[("U4", utc("2026-11-30 08:00"))]),
    ])

    people = {p["user_id"]: p for p in (await insights(sessions, BERLIN)).as_json()["people"]}

    # U1: Fri 17-18 working, 18-23 evening, 23-07 night, Sat 07-08 evening; Mon 10-12.
    assert people["U1"] == {"user_id": "U1", "incidents": 2, "hours": 17.0,
                            "working_hours": 3.0, "evening_hours": 6.0, "night_hours": 8.0}
    # Saturday morning is not working hours.
    assert people["U2"] == {"user_id": "U2", "incidents": 1, "hours": 2.5,
                            "working_hours": 0.0, "evening_hours": 2.5, "night_hours": 0.0}
    # 22-23 and 07-08 evening; the night 23:00 to 07:00 lasted 9 hours.
    assert people["U3"] == {"user_id": "U3", "incidents": 1, "hours": 11.0,
                            "working_hours": 0.0, "evening_hours": 2.0, "night_hours": 9.0}
    assert people["U4"]["working_hours"] == 2.0 and people["U4"]["hours"] == 2.0

    early = DayParts(work_start=8 * 3600, work_end=16 * 3600, wake=6 * 3600,
                     sleep=22 * 3600)
    shifted = {p.user_id: p for p in (await insights(sessions, BERLIN, parts=early)).people}
    # Fri 17-22 evening, 22-06 night, Sat 06-08 evening; Mon 10-12 working.
    assert (shifted["U1"].working_s, shifted["U1"].evening_s, shifted["U1"].night_s) == (
        2 * 3600, 7 * 3600, 8 * 3600)


async def test_action_items_overdue_from_the_day_after_their_due_day_where_the_team_is(
        sessions: SessionFactory) -> None:
    await write_history(sessions, [Past(
        started=utc("2026-11-20 10:00"), resolved_after=timedelta(hours=1),
        action_items=[(True, date(2026, 11, 20)), (False, date(2026, 11, 30)),
                      (False, date(2026, 12, 1)), (False, None)])])
    # 23:30 UTC on 30 November is already 1 December in Berlin.
    late = utc("2026-11-30 23:30")

    in_berlin = (await insights(sessions, BERLIN, now=late)).as_json()["action_items"]
    in_utc = (await insights(sessions, UTC_ZONE, now=late)).as_json()["action_items"]

    assert in_berlin == {"open": 3, "done": 1, "overdue": 1}
    assert in_utc == {"open": 3, "done": 1, "overdue": 0}


async def test_an_empty_history_says_so(sessions: SessionFactory) -> None:
    found = (await insights(sessions, BERLIN)).as_json()

    assert found["incidents"] == 0 and found["people"] == [] and found["by_month"] == {}
    assert found["weekday_test"]["p_value"] is None
    assert found["weekday_test"]["sentence"] == "No incidents in this period."
    assert found["action_items"] == {"open": 0, "done": 0, "overdue": 0}


async def test_private_incidents_count_only_for_a_reader_who_may_know_of_them(
        sessions: SessionFactory) -> None:
    await write_history(sessions, [
        Past(started=utc("2026-11-02 10:00"), severity=2),
        Past(started=utc("2026-11-03 10:00"), severity=1, private=True,
             commanders=[("U0SEC", utc("2026-11-03 10:00"))]),
    ])

    everyone = (await insights(
        sessions, query=StatsQuery(private_channels_seen=frozenset()))).as_json()
    operator = (await insights(sessions, query=StatsQuery())).as_json()

    assert everyone["incidents"] == 1 and everyone["by_severity"]["1"] == 0
    assert everyone["people"] == [] and everyone["private_included"] is False
    assert operator["incidents"] == 2 and operator["people"][0]["user_id"] == "U0SEC"
