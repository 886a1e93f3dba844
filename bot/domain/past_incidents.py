"""Past incidents as a file holds them (`sitrep import`, `sitrep export`): the columns, and
the rules a row must pass before anything is imported.

Reading is a generator over the file's lines, so a history of 100,000 incidents is checked
without holding it; each row comes out as a `PastIncident` or a `BadRow` that says, with the
file's own line number, what to fix. Plain functions rather than a pydantic model: the
reasons are the product here ("resolved_at … is before started_at …"), and pydantic's
would need rewriting one by one.

No database here: whether a row's incident is already in the database is the use case's
question (`bot.usecases.incident_import`)."""

from __future__ import annotations

import csv
import difflib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, tzinfo
from itertools import chain

from bot.domain.vocabulary import MAX_TITLE_LENGTH

COLUMNS = ("id", "title", "severity", "started_at", "mitigated_at", "resolved_at",
           "commander", "summary")
MAX_ID_LENGTH = 255  # bot.db.models.SOURCE_ID
MAX_PERSON_LENGTH = 255  # bot.db.models.PERSON_NAME

_SEVERITY = re.compile(r"^(?:sev(?:erity)?|s)?[\s_-]*([1-4])$", re.IGNORECASE)
# How Slack writes a person: an id (U… or, on Enterprise Grid, W…), or a mention of one.
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{7,}$")
_MENTION = re.compile(r"^<@([UW][A-Z0-9]+)(?:\|[^>]*)?>$")
# Sitrep's own way of naming an incident, as `sitrep export` writes it.
_LABEL = re.compile(r"^INC-(\d{1,12})$", re.IGNORECASE)
MAX_LABEL = 1_000_000_000


@dataclass(frozen=True, slots=True)
class Person:
    """A commander as the file names them: a Slack user id when the file gives one, else
    an email or a name kept as written (`slack_id` None)."""

    slack_id: str | None
    name: str | None

    @property
    def written(self) -> str:
        return self.slack_id or self.name or ""


@dataclass(frozen=True, slots=True)
class PastIncident:
    line: int
    source_id: str
    title: str
    severity: int
    started_at: datetime
    mitigated_at: datetime | None
    resolved_at: datetime | None
    commander: Person | None
    summary: str | None

    @property
    def sitrep_number(self) -> int | None:
        """N when the id is `INC-N`, as Sitrep's export names its own incidents."""
        return label_number(self.source_id)


@dataclass(frozen=True, slots=True)
class BadRow:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class UnusableFile(Exception):
    """Nothing in the file can be read as incidents: no header, a wrong one, or text that
    is not UTF-8. `str()` is the `line N: …` to print."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(f"line {line}: {reason}")
        self.line = line


def label_number(source_id: str) -> int | None:
    found = _LABEL.match(source_id)
    # A number beyond any real history is just an id (and would not fit the column).
    return int(found.group(1)) if found and int(found.group(1)) <= MAX_LABEL else None


def read(lines: Iterable[bytes], *, zone: tzinfo, now: datetime,
         ) -> Iterator[PastIncident | BadRow]:
    """Every row of the file, checked: `lines` are its raw lines (a binary file iterated),
    so that a byte that is not UTF-8 is reported on its own line. Raises `UnusableFile`
    before the first row when the header will not do."""
    text = _decoded(lines)
    first = next(text, "")
    reader = csv.reader(chain([first], text), delimiter=_delimiter(first), strict=True)
    header = _header(reader)
    seen: dict[str, int] = {}
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            if "end of data" in str(error):
                # A quote opened and never closed swallowed the rest of the file: nothing
                # after it can be trusted.
                raise UnusableFile(line, "a double quote opened on this line is never "
                                         "closed") from error
            yield BadRow(line, f"{error} (a double quote inside a value is written twice, "
                               'and the value put in quotes: "say ""hi""")')
            continue
        if not any(field.strip() for field in fields):
            continue  # a blank line, or one of nothing but commas
        yield _checked(line, fields, header, seen, zone=zone, now=now)


def _delimiter(header: str) -> str:
    """A comma; or what separates the header's names when a comma does not, as with Excel
    in the many locales whose decimal point is a comma (a semicolon), or a TSV export."""
    for candidate in (",", ";", "\t"):
        names = {name.strip().lower() for name in header.split(candidate)}
        if names >= set(COLUMNS):
            return candidate
    return ","


def _decoded(lines: Iterable[bytes]) -> Iterator[str]:
    for number, raw in enumerate(lines, start=1):
        if number == 1:
            raw = raw.removeprefix(b"\xef\xbb\xbf")  # the byte-order mark Excel writes
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            column = len(raw[:error.start].decode("utf-8", "replace")) + 1
            raise UnusableFile(number, f"not UTF-8 text (byte 0x{raw[error.start]:02x} at "
                                       f"column {column}); save the file as UTF-8 (in Excel: "
                                       "CSV UTF-8) and import it again") from error


@dataclass(frozen=True, slots=True)
class _Header:
    at: dict[str, int]  # column name → position
    width: int


def _header(reader: Iterator[list[str]]) -> _Header:
    """Where each column is. Names are matched without case or surrounding spaces;
    columns Sitrep does not know are left alone."""
    try:
        names = next(reader)
    except StopIteration:
        names = []
    except csv.Error as error:
        raise UnusableFile(1, f"the header cannot be read: {error}") from error
    if not any(name.strip() for name in names):
        empty = "the file is empty" if _at_end(reader) else "this line is empty"
        raise UnusableFile(1, f"{empty}; the first line must be the header: "
                              f"{','.join(COLUMNS)}")
    cleaned = [name.strip().lower() for name in names]
    doubled = sorted({name for name in cleaned if name and cleaned.count(name) > 1})
    if doubled:
        raise UnusableFile(1, f"column {_quoted(doubled)} appears more than once in the header")
    missing = [name for name in COLUMNS if name not in cleaned]
    if missing:
        unknown = [name for name in cleaned if name not in COLUMNS]
        guesses = [_guess(name, unknown) for name in missing]
        raise UnusableFile(1, f"the header has no column {', '.join(guesses)}; it needs "
                              f"{','.join(COLUMNS)} (the last four may be empty in a row)")
    return _Header(at={name: cleaned.index(name) for name in COLUMNS}, width=len(cleaned))


def _at_end(reader: Iterator[list[str]]) -> bool:
    try:
        next(reader)
    except StopIteration:
        return True
    except csv.Error:
        return False
    return False


def _guess(missing: str, unknown: list[str]) -> str:
    close = difflib.get_close_matches(missing, unknown, n=1, cutoff=0.6)
    return f'"{missing}" (is "{close[0]}" it?)' if close else f'"{missing}"'


def _checked(line: int, fields: list[str], header: _Header, seen: dict[str, int], *,
             zone: tzinfo, now: datetime) -> PastIncident | BadRow:
    if len(fields) != header.width:
        return BadRow(line, f"{len(fields)} fields where the header has {header.width} (a "
                            "value holding a comma or a line break needs double quotes)")
    row = {name: fields[at].replace("\x00", "").strip() for name, at in header.at.items()}
    reasons: list[str] = []

    source_id = row["id"]
    if not source_id:
        reasons.append("id is empty: give the incident's id in the system it comes from")
    elif len(source_id) > MAX_ID_LENGTH:
        reasons.append(f"id is {len(source_id)} characters; at most {MAX_ID_LENGTH}")
    elif source_id in seen:
        reasons.append(f'id "{source_id}" is also on line {seen[source_id]}: each '
                       "incident once")
    else:
        seen[source_id] = line

    title = " ".join(row["title"].split())
    if not title:
        reasons.append("title is empty")
    elif len(title) > MAX_TITLE_LENGTH:
        reasons.append(f"title is {len(title)} characters; Sitrep keeps titles to "
                       f"{MAX_TITLE_LENGTH} (move the rest to summary)")

    severity = parse_severity(row["severity"])
    if severity is None:
        reasons.append(f'severity must be 1-4 (or sev1-sev4), got "{row["severity"]}"')

    times = {name: _instant(row[name], name, zone, reasons)
             for name in ("started_at", "mitigated_at", "resolved_at")}
    started, mitigated, resolved = (times["started_at"], times["mitigated_at"],
                                    times["resolved_at"])
    if not row["started_at"]:
        reasons.append("started_at is empty: every incident needs its start")
    for name, at in times.items():
        if at is not None and at > now:
            reasons.append(f"{name} {row[name]} is in the future")
    if started and resolved and resolved < started:
        reasons.append(f"resolved_at {row['resolved_at']} is before started_at "
                       f"{row['started_at']}")
    if started and mitigated and mitigated < started:
        reasons.append(f"mitigated_at {row['mitigated_at']} is before started_at "
                       f"{row['started_at']}")
    if mitigated and resolved and mitigated > resolved:
        reasons.append(f"mitigated_at {row['mitigated_at']} is after resolved_at "
                       f"{row['resolved_at']}")

    commander = parse_person(row["commander"])
    if commander and commander.name and len(commander.name) > MAX_PERSON_LENGTH:
        reasons.append(f"commander is {len(commander.name)} characters; at most "
                       f"{MAX_PERSON_LENGTH}")

    if reasons:
        return BadRow(line, "; ".join(reasons))
    assert severity is not None and started is not None
    return PastIncident(line=line, source_id=source_id, title=title, severity=severity,
                        started_at=started, mitigated_at=mitigated, resolved_at=resolved,
                        commander=commander, summary=row["summary"] or None)


def parse_severity(written: str) -> int | None:
    """`2`, `sev2`, `SEV-2`, `Sev 2`, `S2`, `severity 2` all mean severity 2."""
    found = _SEVERITY.match(written.strip())
    return int(found.group(1)) if found else None


def parse_person(written: str) -> Person | None:
    written = " ".join(written.split())
    if not written:
        return None
    mention = _MENTION.match(written)
    if mention:
        return Person(slack_id=mention.group(1), name=None)
    if _SLACK_ID.match(written):
        return Person(slack_id=written, name=None)
    return Person(slack_id=None, name=written)


def _instant(written: str, name: str, zone: tzinfo, reasons: list[str]) -> datetime | None:
    if not written:
        return None
    try:
        at = datetime.fromisoformat(written)
    except ValueError:
        reasons.append(f'{name} "{written}" is not an ISO 8601 time; write it like '
                       "2026-01-02T09:00 (in SITREP_TIMEZONE) or 2026-01-02T09:00+01:00")
        return None
    # A time without an offset is the team's local time, as people read their clocks.
    return at if at.tzinfo is not None else at.replace(tzinfo=zone)


def _quoted(names: list[str]) -> str:
    return ", ".join(f'"{name}"' for name in names)


# --- writing (sitrep export) ---------------------------------------------------------------

def row_for(incident: PastIncident) -> list[str]:
    """The CSV row `read` reads back as the same incident."""
    return [incident.source_id, incident.title, str(incident.severity),
            _iso(incident.started_at), _iso(incident.mitigated_at),
            _iso(incident.resolved_at), incident.commander.written if incident.commander else "",
            incident.summary or ""]


def object_for(incident: PastIncident) -> dict[str, object]:
    """The same row as a JSON object: the same keys, null for what is empty."""
    return {"id": incident.source_id, "title": incident.title, "severity": incident.severity,
            "started_at": _iso(incident.started_at) or None,
            "mitigated_at": _iso(incident.mitigated_at) or None,
            "resolved_at": _iso(incident.resolved_at) or None,
            "commander": incident.commander.written if incident.commander else None,
            "summary": incident.summary}


def _iso(at: datetime | None) -> str:
    # Full precision, with the offset: read back, it is the same instant to the microsecond,
    # which is how an export imported into its own database finds Sitrep's incidents there.
    return at.isoformat() if at is not None else ""
