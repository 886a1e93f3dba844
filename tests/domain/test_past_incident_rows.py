"""The rules a row of `sitrep import`'s file must pass, and what a person is told when one
does not: the file's own line numbers, and a reason that says what to fix."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from bot.domain.past_incidents import (
    BadRow,
    PastIncident,
    Person,
    UnusableFile,
    read,
    row_for,
)

HEADER = "id,title,severity,started_at,mitigated_at,resolved_at,commander,summary\n"
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")


def _read(text: str | bytes, zone: ZoneInfo = PARIS) -> list[PastIncident | BadRow]:
    raw = text.encode() if isinstance(text, str) else text
    return list(read(raw.splitlines(keepends=True), zone=zone, now=NOW))


def _bad(text: str) -> list[str]:
    return [str(row) for row in _read(HEADER + text) if isinstance(row, BadRow)]


def test_a_good_row_reads_as_the_incident_it_describes() -> None:
    (row,) = _read(HEADER + 'PD-7,"Checkout, down",sev2,2026-01-02T09:00,'
                            "2026-01-02T09:30+00:00,2026-01-02T11:00Z,U0ALICE123,"
                            '"It broke.\nWe fixed ""it""."\n')
    assert row == PastIncident(
        line=2, source_id="PD-7", title="Checkout, down", severity=2,
        # Without an offset, the team's time zone (Paris is UTC+1 in January).
        started_at=datetime(2026, 1, 2, 8, 0, tzinfo=UTC),
        mitigated_at=datetime(2026, 1, 2, 9, 30, tzinfo=UTC),
        resolved_at=datetime(2026, 1, 2, 11, 0, tzinfo=UTC),
        commander=Person(slack_id="U0ALICE123", name=None),
        summary='It broke.\nWe fixed "it".')


def test_line_numbers_are_the_files_own_across_quoted_line_breaks_and_blank_lines() -> None:
    bad = _bad('A,"three\nline\ntitle",1,2026-01-01T00:00,,,,\n'
               "\n"
               "B,ok,9,2026-01-01T00:00,,,,\n")
    # The header is line 1; A spans lines 2-4; a blank line 5; B is on line 6.
    assert bad == ['line 6: severity must be 1-4 (or sev1-sev4), got "9"']


@pytest.mark.parametrize(("row", "reason"), [
    ("X,t,P1,2026-01-02T09:00,,,,", 'severity must be 1-4 (or sev1-sev4), got "P1"'),
    ("X,t,1,2026-01-02T09:00,,2026-01-01T10:00,,",
     "resolved_at 2026-01-01T10:00 is before started_at 2026-01-02T09:00"),
    ("X,t,1,2026-01-02T09:00,2026-01-02T08:00,,,",
     "mitigated_at 2026-01-02T08:00 is before started_at 2026-01-02T09:00"),
    ("X,t,1,2026-01-02T09:00,2026-01-02T12:00,2026-01-02T11:00,,",
     "mitigated_at 2026-01-02T12:00 is after resolved_at 2026-01-02T11:00"),
    ("X,t,1,02/01/2026 09:00,,,,", 'started_at "02/01/2026 09:00" is not an ISO 8601 time'),
    ("X,t,1,,,,,", "started_at is empty"),
    ("X,t,1,2027-01-02T09:00,,,,", "started_at 2027-01-02T09:00 is in the future"),
    (",t,1,2026-01-02T09:00,,,,", "id is empty"),
    ("X,  ,1,2026-01-02T09:00,,,,", "title is empty"),
    ("X," + "t" * 151 + ",1,2026-01-02T09:00,,,,", "title is 151 characters"),
    ("X,t,1,2026-01-02T09:00,,,", "7 fields where the header has 8"),
    ("X,t,1,2026-01-02T09:00,,,,a,b", "9 fields where the header has 8"),
    ('X,"t"x,1,2026-01-02T09:00,,,,', "a double quote inside a value is written twice"),
])
def test_a_bad_row_says_what_to_fix(row: str, reason: str) -> None:
    (said,) = _bad(row + "\n")
    assert said.startswith("line 2: ")
    assert reason in said


def test_every_problem_of_a_row_is_told_at_once() -> None:
    (said,) = _bad("X,,P1,2026-01-02T09:00,,2026-01-01T10:00,,\n")
    assert said == ('line 2: title is empty; severity must be 1-4 (or sev1-sev4), got "P1"; '
                    "resolved_at 2026-01-01T10:00 is before started_at 2026-01-02T09:00")


def test_an_id_twice_in_the_file_is_a_bad_row_pointing_at_the_first() -> None:
    assert _bad("A,one,1,2026-01-02T09:00,,,,\nA,two,1,2026-01-03T09:00,,,,\n") == [
        'line 3: id "A" is also on line 2: each incident once']


@pytest.mark.parametrize("written", ["2", "sev2", "SEV2", "Sev 2", "SEV-2", "s2", "severity 2"])
def test_common_spellings_of_a_severity_are_accepted(written: str) -> None:
    (row,) = _read(HEADER + f"X,t,{written},2026-01-02T09:00,,,,\n")
    assert isinstance(row, PastIncident) and row.severity == 2


@pytest.mark.parametrize(("written", "person"), [
    ("U0ALICE123", Person(slack_id="U0ALICE123", name=None)),
    ("W0ENTERPRISE", Person(slack_id="W0ENTERPRISE", name=None)),
    ("<@U0ALICE123|alice>", Person(slack_id="U0ALICE123", name=None)),
    ("alice@example.com", Person(slack_id=None, name="alice@example.com")),
    ("  Alice   Martin ", Person(slack_id=None, name="Alice Martin")),
    ("", None),
])
def test_a_commander_is_a_slack_id_when_given_one_else_kept_as_written(
        written: str, person: Person | None) -> None:
    (row,) = _read(HEADER + f"X,t,1,2026-01-02T09:00,,,{written},\n")
    assert isinstance(row, PastIncident) and row.commander == person


def test_an_excel_file_reads_the_same_bom_crlf_and_all() -> None:
    excel = ("\ufeff" + HEADER + "X,t,1,2026-01-02T09:00,,,,\n").replace("\n", "\r\n")
    (row,) = _read(excel.encode("utf-8"))
    assert isinstance(row, PastIncident) and row.source_id == "X" and row.line == 2


@pytest.mark.parametrize(("separator", "title"), [(";", "Checkout; down"),
                                                  ("\t", "Checkout down")])
def test_excels_semicolons_and_tab_separated_files_read_the_same(separator: str,
                                                                 title: str) -> None:
    rows = [HEADER.strip().replace(",", ";"), 'X;"Checkout; down";1;2026-01-02T09:00;;;;']
    (row,) = _read("\n".join(line.replace(";", separator) for line in rows) + "\n")
    assert isinstance(row, PastIncident)
    assert (row.source_id, row.title) == ("X", title)


def test_columns_may_come_in_any_order_and_case_and_unknown_ones_are_left_alone() -> None:
    (row,) = _read("Summary,Commander,Resolved_At,Mitigated_At,Started_At,Severity,Title,ID,"
                   "Priority\n,,,,2026-01-02T09:00,3,Disk full,X,P2\n")
    assert isinstance(row, PastIncident)
    assert (row.source_id, row.title, row.severity) == ("X", "Disk full", 3)


def test_nul_characters_are_dropped_from_what_is_kept() -> None:
    (row,) = _read(HEADER + "X\x00,Disk\x00 full,1,2026-01-02T09:00,,,,note\x00\n")
    assert isinstance(row, PastIncident)
    assert (row.source_id, row.title, row.summary) == ("X", "Disk full", "note")


@pytest.mark.parametrize(("text", "said"), [
    (b"", "line 1: the file is empty"),
    (b"\xef\xbb\xbf", "line 1: the file is empty"),
    (b"id,title,sevrity,started_at,mitigated_at,resolved_at,commander,summary\n",
     'line 1: the header has no column "severity" (is "sevrity" it?)'),
    (b"id,title,severity,started_at,summary\n",
     'line 1: the header has no column "mitigated_at", "resolved_at", "commander"'),
    (b"id,id,title,severity,started_at,mitigated_at,resolved_at,commander,summary\n",
     'line 1: column "id" appears more than once'),
    (HEADER.encode() + b"X,t,1,2026-01-02T09:00,,,,\nY,caf\xe9,1,2026-01-02T09:00,,,,\n",
     "line 3: not UTF-8 text (byte 0xe9 at column 6)"),
    (HEADER.encode() + b'X,"never closed,1,2026-01-02T09:00,,,,\nY,t,1,2026,,,,\n',
     "line 2: a double quote opened on this line is never closed"),
])
def test_a_file_that_cannot_be_read_as_incidents_says_where_and_why(text: bytes,
                                                                   said: str) -> None:
    with pytest.raises(UnusableFile) as refused:
        _read(text)
    assert str(refused.value).startswith(said)


def test_a_header_alone_is_no_incidents() -> None:
    assert _read(HEADER) == []


def test_a_written_row_reads_back_as_the_same_incident() -> None:
    incident = PastIncident(
        line=2, source_id="INC-4", title='Quotes "and", commas', severity=1,
        started_at=datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=timezone(timedelta(hours=1))),
        mitigated_at=None, resolved_at=datetime(2026, 3, 29, 4, 0, tzinfo=UTC),
        commander=Person(slack_id=None, name="alice@example.com"),
        summary="line one\nline two, with a comma")
    out = io.StringIO()
    csv.writer(out).writerow(row_for(incident))
    (back,) = _read(HEADER + out.getvalue())
    assert back == incident
