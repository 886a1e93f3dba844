"""`sitrep import`: past incidents from a CSV file, all or nothing; the imports listed; an
import undone.

The file is read twice and never held whole: once to check every row (nothing touches
the database while any row is bad, unless bad rows are to be skipped), then again inside
one transaction that adds the incidents in pages.

Numbering: an imported incident is numbered like Sitrep's own, from the workspace's
counter, so `INC-N` never means two incidents and the next `/incident start` follows on.
A row whose id is `INC-N` (Sitrep's own export, or a tool that names incidents the same
way) keeps N when the database has never handed N out; the others get the next numbers
in file order."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from itertools import islice
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import SessionFactory, transaction
from bot.domain import imports
from bot.domain.past_incidents import BadRow, PastIncident, read
from bot.domain.vocabulary import label

PAGE = 500


@dataclass
class Imported:
    """What an import did, or (`refused`) why it did nothing."""

    imported: int = 0
    already_there: int = 0
    bad: list[BadRow] = field(default_factory=list)
    batch_id: int | None = None
    refused: bool = False


class _Refused(Exception):
    """Rolls the transaction back when a row turns out bad only against the database."""


@dataclass(frozen=True)
class Checked:
    """The file's first reading: its bad rows, and what the second one needs to know."""

    bad: list[BadRow]
    good: int
    highest_label: int  # the largest N of the ids written INC-N

    def refused(self, *, skip_bad: bool) -> bool:
        return bool(self.bad) and not skip_bad


def check_file(path: Path, *, zone: tzinfo, now: datetime) -> Checked:
    """Every row checked, nothing written. Raises `UnusableFile` when the file cannot be
    read as incidents at all."""
    bad: list[BadRow] = []
    good = highest_label = 0
    for row in _rows(path, zone=zone, now=now):
        if isinstance(row, BadRow):
            bad.append(row)
        else:
            good += 1
            highest_label = max(highest_label, row.sitrep_number or 0)
    return Checked(bad=bad, good=good, highest_label=highest_label)


async def import_file(sessions: SessionFactory, path: Path, checked: Checked, *,
                      team_id: str, zone: tzinfo, now: datetime, skip_bad: bool) -> Imported:
    """Add the good rows of a file `check_file` passed (or, with `skip_bad`, the good rows
    of any file), in one transaction."""
    result = Imported(bad=list(checked.bad))
    if checked.refused(skip_bad=skip_bad):
        result.refused = True
        return result
    if checked.good == 0:
        return result
    try:
        async with transaction(sessions) as session:
            await _add(session, path, result, team_id=team_id, zone=zone, now=now,
                       highest_label=checked.highest_label)
            if result.bad and not skip_bad:
                raise _Refused
    except _Refused:
        result.refused, result.imported, result.already_there = True, 0, 0
        result.batch_id = None
    result.bad.sort(key=lambda bad: bad.line)
    return result


async def _add(session: AsyncSession, path: Path, result: Imported, *, team_id: str,
               zone: tzinfo, now: datetime, highest_label: int) -> None:
    last = await imports.hold_numbering(session, team_id)
    batch = await imports.start_batch(session, team_id=team_id, file_name=path.name,
                                      file_sha256=file_sha256(path), now=now)
    good = (row for row in _rows(path, zone=zone, now=now) if isinstance(row, PastIncident))
    # Numbers above any the database has handed out are free to keep; the others follow
    # the highest of them.
    next_number = max(last, highest_label) + 1
    kept: set[int] = set()
    while page := list(islice(good, PAGE)):
        present = await imports.already_imported(session, team_id,
                                                 [past.source_id for past in page])
        own = await imports.own_starts(session, team_id, [
            number for past in page if (number := past.sitrep_number) is not None])
        numbered: list[tuple[int, PastIncident]] = []
        for past in page:
            number = past.sitrep_number
            if past.source_id in present:
                result.already_there += 1
            elif number is not None and number in own:
                if own[number] == past.started_at:
                    result.already_there += 1  # this database's own export, read back
                else:
                    result.bad.append(BadRow(past.line, _taken(past, own[number], zone)))
            elif number is not None and number > last and number not in kept:
                kept.add(number)
                numbered.append((number, past))
            else:
                numbered.append((next_number, past))
                next_number += 1
        if numbered:
            await imports.add(session, batch, numbered)
    result.imported = batch.added
    if batch.added:
        await imports.set_last_number(session, team_id, next_number - 1)
        result.batch_id = batch.id
    else:
        assert batch.id is not None
        await imports.remove_batch(session, batch.id)


def _taken(past: PastIncident, started: datetime, zone: tzinfo) -> str:
    number = past.sitrep_number
    assert number is not None
    return (f"id {past.source_id} is this database's own {label(number)}, which started "
            f"{started.astimezone(zone).isoformat()}, not {past.started_at.isoformat()}: "
            f"give this incident the id it has in its own system")


def _rows(path: Path, *, zone: tzinfo, now: datetime) -> Iterator[PastIncident | BadRow]:
    with path.open("rb") as lines:
        yield from read(lines, zone=zone, now=now)


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- listing and undoing --------------------------------------------------------------------

class NothingToUndo(Exception):
    """The import named is not recorded; the message says what is."""


async def listing(sessions: SessionFactory, team_id: str | None) -> list[imports.Batch]:
    async with sessions() as session:
        return await imports.batches(session, team_id)


@dataclass(frozen=True)
class Undone:
    batches: list[imports.Batch]
    removed: int


async def undo_batch(sessions: SessionFactory, batch_id: int) -> Undone:
    async with transaction(sessions) as session:
        found = await imports.batch(session, batch_id)
        if found is None:
            raise NothingToUndo(f"there is no import {batch_id}; `sitrep import --list` "
                                "shows the imports there are")
        removed = await imports.remove_batch(session, batch_id)
    return Undone(batches=[found], removed=removed)


async def undo_file(sessions: SessionFactory, path: Path, team_id: str | None) -> Undone:
    """Undo every import of this file as it is now (found by its SHA-256: a file edited
    since its import is not taken for it)."""
    digest = file_sha256(path)
    async with transaction(sessions) as session:
        found = await imports.batches_of_file(session, team_id, digest)
        if not found:
            raise NothingToUndo(f"no import of {path.name} as it is now is recorded (an "
                                "import that added nothing is not, nor a file changed "
                                "since); `sitrep import --list` shows the imports, and "
                                "`sitrep import --undo-batch N` removes one")
        removed = 0
        for each in found:
            removed += await imports.remove_batch(session, each.id)
    return Undone(batches=found, removed=removed)
