"""The digest's text with many open incidents: whole incidents within Slack's limit on a
message, and a word for those that did not fit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.domain.reminders import DigestLine
from bot.slack.reminder_wording import DIGEST_CHARS, digest

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Slack cuts a message's text at this many characters.
SLACK_TEXT_LIMIT = 40_000


def _line(number: int, *, update: str) -> DigestLine:
    return DigestLine(number=number, title=f"Checkout & <payments> fail in region {number} "
                      + "x" * 150, severity=2, status="investigating",
                      channel_id=f"C{number:08d}", started_at=NOW - timedelta(hours=number),
                      commander_id="U0ALICE", last_update=update,
                      last_update_at=NOW - timedelta(minutes=number))


def test_fifty_open_incidents_are_all_listed_within_slacks_limit() -> None:
    said = digest([_line(n, update="Rolled back " + "y" * 300) for n in range(1, 51)],
                  now=NOW, names={"U0ALICE": "alice"})
    assert said.startswith(":sunrise: *Open incidents: 50*")
    assert all(f"*INC-{n}*" in said for n in range(1, 51))
    assert "more open incidents" not in said
    assert len(said) <= SLACK_TEXT_LIMIT


def test_too_many_to_list_are_counted_never_cut_mid_line() -> None:
    lines = [_line(n, update="<" * 400) for n in range(1, 301)]
    said = digest(lines, now=NOW, names={"U0ALICE": "alice"})
    assert len(said) <= DIGEST_CHARS < SLACK_TEXT_LIMIT
    *listed, last = said.split("\n")
    shown = [n for n in range(1, 301) if f"*INC-{n}*" in said]
    assert shown == list(range(1, len(shown) + 1)) and len(shown) < 300
    assert last == f"_…and {300 - len(shown)} more open incidents not listed here._"
    # Each listed incident is whole: its second line (age, commander, update) is there.
    assert sum("open " in line and "IC alice" in line for line in listed) == len(shown)
