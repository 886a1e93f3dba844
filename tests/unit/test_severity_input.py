"""What people type for a severity, read without a database."""

from __future__ import annotations

import pytest

from bot.domain import incidents
from bot.domain.errors import IncidentError


@pytest.mark.parametrize(("typed", "expected"), [("1", 1), ("sev2", 2), ("SEV3", 3),
                                                 ("s4", 4)])
def test_severities_are_read_the_ways_people_type_them(typed: str, expected: int) -> None:
    assert incidents.parse_severity(typed) == expected


@pytest.mark.parametrize("typed", ["0", "5", "sev", "high", ""])
def test_other_severities_are_refused_with_the_allowed_values(typed: str) -> None:
    with pytest.raises(IncidentError, match="Use one of `1`, `2`, `3`, `4`"):
        incidents.parse_severity(typed)
