"""`sitrep stats`, run as an operator runs it, on a history written into the bot's database:
the JSON object of the contract, a readable table with the weekday sentence, the filters,
and plain refusals. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.db.engine import create_engine, session_factory
from tests.support.history import Past, write_history
from tests.support.sitrep_cli import Finished, clean_environment, run_sitrep

MONDAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
# 10, 12, 9, 11, 25, 3, 2 incidents from Monday to Sunday, a week apart each time.
SKEWED = (10, 12, 9, 11, 25, 3, 2)


async def _history(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await write_history(session_factory(engine), [
            Past(started=MONDAY + timedelta(days=day, hours=n % 8) - timedelta(weeks=n % 4),
                 severity=1 + n % 4, mitigated_after=timedelta(minutes=10 + n),
                 resolved_after=timedelta(minutes=60 + n),
                 commanders=[("U0ANN", MONDAY + timedelta(days=day, hours=n % 8)
                              - timedelta(weeks=n % 4))],
                 action_items=[(n % 2 == 0, date(2026, 11, 1))])
            for day, count in enumerate(SKEWED) for n in range(count)])
    finally:
        await engine.dispose()


async def _stats(database_url: str, *args: str, cwd: Path) -> Finished:
    env = clean_environment(DATABASE_URL=database_url, SITREP_TIMEZONE="Europe/Berlin")
    return await run_sitrep("stats", *args, env=env, cwd=cwd)


async def test_json_has_the_contracts_keys(database_url: str, tmp_path: Path) -> None:
    await _history(database_url)

    done = await _stats(database_url, "--format", "json", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)
    assert found["incidents"] == 72
    assert found["by_weekday"] == dict(zip(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
                                           SKEWED, strict=True))
    assert found["weekday_test"]["busiest"] == "Fri"
    assert found["weekday_test"]["significant"] is True
    assert found["weekday_test"]["dof"] == 6
    assert set(found["by_hour"]) == {str(hour) for hour in range(24)}
    # Severities 1, 2, 3, 4 in turn within each day.
    per_severity = {str(sev): sum((count + 4 - sev) // 4 for count in SKEWED)
                    for sev in (1, 2, 3, 4)}
    assert found["by_severity"] == per_severity == {"1": 21, "2": 19, "3": 17, "4": 15}
    assert found["time_to_mitigate"]["1"]["n"] == 21
    assert {"median_s", "p90_s", "ci_low_s", "ci_high_s"} <= set(found["time_to_resolve"]["4"])
    assert found["open"] == 0
    # Each incident's one action item, due before today, is done for every even n.
    not_done = sum(count // 2 for count in SKEWED)
    assert found["action_items"] == {"open": not_done, "done": 72 - not_done,
                                     "overdue": not_done}
    assert found["people"][0]["user_id"] == "U0ANN"
    assert found["people"][0]["incidents"] == 72


async def test_the_table_says_whether_a_weekday_stands_out(database_url: str,
                                                           tmp_path: Path) -> None:
    await _history(database_url)

    done = await _stats(database_url, cwd=tmp_path)
    one_severity = await _stats(database_url, "--severity", "1", "--format", "json",
                                cwd=tmp_path)
    one_week = await _stats(database_url, "--since", "2026-11-02", "--until", "2026-11-08",
                            "--format", "json", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "72 incidents" in done.stdout
    assert "Fridays stand out: 25 of 72, p = 8.8e-06." in done.stdout
    assert "U0ANN" in done.stdout and "Time to resolve" in done.stdout
    assert json.loads(one_severity.stdout)["incidents"] == 21
    # The history's latest week: every fourth incident of each day.
    assert json.loads(one_week.stdout)["incidents"] == sum((n + 3) // 4 for n in SKEWED)


async def test_the_operator_counts_private_incidents_too(database_url: str,
                                                        tmp_path: Path) -> None:
    engine = create_engine(database_url)
    try:
        await write_history(session_factory(engine), [
            Past(started=MONDAY), Past(started=MONDAY, severity=1, private=True)])
    finally:
        await engine.dispose()

    done = await _stats(database_url, "--format", "json", cwd=tmp_path)

    found = json.loads(done.stdout)
    assert (found["incidents"], found["by_severity"]["1"]) == (2, 1)
    assert found["private_included"] is True


async def test_mistakes_are_one_line_and_change_nothing(database_url: str,
                                                        tmp_path: Path) -> None:
    bad_day = await _stats(database_url, "--since", "2026-13-01", cwd=tmp_path)
    bad_severity = await _stats(database_url, "--severity", "7", cwd=tmp_path)
    backwards = await _stats(database_url, "--since", "2026-11-02", "--until", "2026-11-01",
                             cwd=tmp_path)

    assert bad_day.returncode == 2 and "YYYY-MM-DD" in bad_day.stderr
    assert bad_severity.returncode == 2 and "1, 2, 3 or 4" in bad_severity.stderr
    assert backwards.returncode == 2 and "is after --until" in backwards.stderr
    for each in (bad_day, bad_severity, backwards):
        assert len(each.stderr.strip().splitlines()) == 1 and each.stdout == ""
