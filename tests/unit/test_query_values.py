"""How the dashboard reads numbers, days and search text from an address: what a person
typed, or nothing, never an error."""

from __future__ import annotations

from datetime import date

import pytest

from bot.web.query_values import day, plain_text, whole_number


@pytest.mark.parametrize(("written", "read"), [
    ("3", 3), (" 12 ", 12), ("0", None), ("-1", None), ("1.5", None), ("", None),
    ("²", None), ("١٢", None), ("9" * 30, None), ("999999999", 999_999_999),
])
def test_whole_numbers_are_ascii_digits_within_bounds(written: str, read: int | None) -> None:
    assert whole_number(written) == read


@pytest.mark.parametrize(("written", "read"), [
    ("2026-11-30", date(2026, 11, 30)), ("9999-12-31", None), ("0001-01-01", None),
    ("2026-02-30", None), ("yesterday", None), ("", None),
])
def test_days_are_calendar_days_a_history_can_hold(written: str, read: date | None) -> None:
    assert day(written) == read


def test_search_text_loses_control_characters_and_is_cut() -> None:
    assert plain_text(" disk\x00 full\n ", longest=200) == "disk full"
    assert plain_text("x" * 500, longest=200) == "x" * 200
