"""SITREP_WORKING_HOURS and SITREP_NIGHT_HOURS: how `sitrep stats` splits the commander's
hours; a wrong value is one line naming the setting."""

from __future__ import annotations

import pytest

from bot.core.settings import ConfigError, load_settings
from bot.domain.stats import DayParts
from bot.usecases.insights import day_parts


def test_the_defaults_are_nine_to_six_and_eleven_to_seven() -> None:
    assert day_parts(load_settings(_env_file=None)) == DayParts(
        work_start=9 * 3600, work_end=18 * 3600, wake=7 * 3600, sleep=23 * 3600)


def test_a_team_sets_its_own_and_a_night_from_midnight_ends_the_day() -> None:
    settings = load_settings(_env_file=None, SITREP_WORKING_HOURS="08:30-17:00",
                             SITREP_NIGHT_HOURS="00:00-06:00")
    assert day_parts(settings) == DayParts(work_start=8 * 3600 + 1800, work_end=17 * 3600,
                                           wake=6 * 3600, sleep=24 * 3600)


@pytest.mark.parametrize(("variable", "value", "said"), [
    ("SITREP_WORKING_HOURS", "9-5", "SITREP_WORKING_HOURS is invalid: write a range"),
    ("SITREP_WORKING_HOURS", "09:00-25:00", "SITREP_WORKING_HOURS is invalid"),
    ("SITREP_WORKING_HOURS", "18:00-09:00", "must lie within the day"),
    ("SITREP_NIGHT_HOURS", "22:00-10:00", "must lie within the day"),
    ("SITREP_NIGHT_HOURS", "01:00-07:00", "the night must take in midnight"),
])
def test_a_wrong_value_names_the_setting(variable: str, value: str, said: str) -> None:
    with pytest.raises(ConfigError) as refused:
        load_settings(_env_file=None, **{variable: value})
    assert said in str(refused.value)
    assert "\n" not in str(refused.value)
