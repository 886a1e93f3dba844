"""Imported incidents count in the insights like recorded ones: the object `sitrep stats
--format json` prints (`Insights.as_json`) is read straight after an import."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.db.engine import SessionFactory
from bot.domain.stats import DayParts
from bot.usecases import incident_import
from bot.usecases.insights import StatsQuery, gather_insights

PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


async def test_imported_incidents_count_in_the_stats(sessions: SessionFactory,
                                                     tmp_path: Path) -> None:
    path = tmp_path / "old.csv"
    path.write_text(
        "id,title,severity,started_at,mitigated_at,resolved_at,commander,summary\n"
        # Monday 5 January, 09:00 in Paris: mitigated in 20 minutes, resolved in an hour.
        "PD-1,Checkout down,1,2026-01-05T09:00,2026-01-05T09:20,2026-01-05T10:00,U0ALICE123,\n"
        "PD-2,Disk full,3,2026-01-06T22:15,,2026-01-07T01:00,bob@example.com,\n"
        "PD-3,Slow search,2,2026-01-09T14:00,,,,\n", encoding="utf-8")
    checked = incident_import.check_file(path, zone=PARIS, now=NOW)
    done = await incident_import.import_file(sessions, path, checked, team_id="T0SITREP",
                                             zone=PARIS, now=NOW, skip_bad=False)
    assert done.imported == 3

    insights = (await gather_insights(sessions, StatsQuery(), zone=PARIS,
                                      parts=DayParts(),
                                      now=NOW)).as_json()
    assert insights["incidents"] == 3
    assert insights["by_severity"] == {"1": 1, "2": 1, "3": 1, "4": 0}
    assert (insights["by_weekday"]["Mon"], insights["by_weekday"]["Tue"],
            insights["by_weekday"]["Fri"]) == (1, 1, 1)
    assert (insights["by_hour"]["9"], insights["by_hour"]["22"], insights["by_hour"]["14"]) \
        == (1, 1, 1)
    assert insights["time_to_mitigate"]["1"]["median_s"] == 20 * 60
    assert insights["time_to_resolve"]["1"]["median_s"] == 60 * 60
    assert insights["open"] == 1
    # A commander known only by an email is a person of their own, not one nameless
    # heap of everyone imported without a Slack id.
    people = {person["user_id"]: person for person in insights["people"]}
    assert set(people) == {"U0ALICE123", "bob@example.com"}
    # Bob's 22:15-01:00 (Paris): 45 min of evening, 2 h of night.
    bob = people["bob@example.com"]
    assert (bob["incidents"], bob["evening_hours"], bob["night_hours"]) == (1, 0.75, 2.0)
