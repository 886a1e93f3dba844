"""Due times as rows (`DueJob`): armed by the use cases that change the record, claimed by
the scheduler under a lease, so each falls due once whatever the number of replicas.

A row is a wake-up, not a promise: the work it names is run when `due_at` has come, reads
the record, decides whether anything is really due, does it, and says when to look next
(`complete`). So a row may safely be early — a use case that changed something only asks
for a look now (`due_now`) and the work computes the rest — and after a restart an
overdue row is claimed once, not once per period missed.

Claims skip rows another replica is claiming (FOR UPDATE SKIP LOCKED on PostgreSQL;
SQLite's writers take turns) and rows whose lease has not run out; a process that dies
mid-run leaves its lease to run out, and the work is done again by whoever claims it
next."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import insert_unless_present
from bot.db.models import DueJob

# Longer than any one run (a few Slack calls with their retries); a run still going when
# it runs out may be done twice, never lost.
LEASE = timedelta(minutes=5)
# Rows one round claims; the next round takes the rest.
CLAIMED_AT_ONCE = 20

Memo = Mapping[str, Any]


@dataclass(frozen=True)
class Due:
    """A claimed row, as the work that runs it sees it."""

    kind: str
    subject: str
    team_id: str | None
    due_at: datetime
    version: int
    owner: str
    memo: Memo = field(default_factory=dict)
    failures: int = 0


def new_owner() -> str:
    """An id for one round of claims, whatever process runs it."""
    return uuid.uuid4().hex


async def due_now(session: AsyncSession, *, kind: str, subject: str,
                  team_id: str | None, now: datetime) -> None:
    """Ask for `kind`'s work about `subject` to look at the record now: something it
    depends on changed. Makes the row if there is none."""
    await insert_unless_present(session, DueJob, key=["kind", "subject"], kind=kind,
                                subject=subject, team_id=team_id, due_at=now, version=0,
                                memo="{}", failures=0)
    await session.exec(
        update(DueJob)
        .where(col(DueJob.kind) == kind, col(DueJob.subject) == subject)
        # A look already due sooner stays sooner; a row with no due time gets one.
        .values(due_at=case((col(DueJob.due_at) < now, col(DueJob.due_at)), else_=now),
                version=col(DueJob.version) + 1))


async def ensure(session: AsyncSession, *, kind: str, subject: str, team_id: str | None,
                 at: datetime) -> None:
    """A row for `kind`'s work about `subject`, due `at`, unless there is one already
    (whose time stands)."""
    await insert_unless_present(session, DueJob, key=["kind", "subject"], kind=kind,
                                subject=subject, team_id=team_id, due_at=at, version=0,
                                memo="{}", failures=0)


async def arm(session: AsyncSession, *, kind: str, subject: str, team_id: str | None,
              at: datetime | None) -> None:
    """Set when `kind`'s work about `subject` falls due (None: not until asked again),
    whatever was set before; makes the row if there is none."""
    await insert_unless_present(session, DueJob, key=["kind", "subject"], kind=kind,
                                subject=subject, team_id=team_id, due_at=at, version=0,
                                memo="{}", failures=0)
    await session.exec(
        update(DueJob)
        .where(col(DueJob.kind) == kind, col(DueJob.subject) == subject)
        .values(due_at=at, version=col(DueJob.version) + 1))


async def remember(session: AsyncSession, *, kind: str, subject: str,
                   team_id: str | None, changes: Memo) -> None:
    """Set keys of the row's memory (None removes one), leaving the others: a use case
    (a snooze) and a run may each keep their own keys without losing the other's."""
    await insert_unless_present(session, DueJob, key=["kind", "subject"], kind=kind,
                                subject=subject, team_id=team_id, due_at=None, version=0,
                                memo="{}", failures=0)
    row = await _locked(session, kind, subject)
    assert row is not None
    row.memo = _merged(row.memo, changes)
    session.add(row)


async def memo_of(session: AsyncSession, *, kind: str, subject: str) -> Memo:
    row = await session.get(DueJob, (kind, subject))
    return json.loads(row.memo) if row is not None else {}


async def due_at_of(session: AsyncSession, *, kind: str, subject: str) -> datetime | None:
    row = await session.get(DueJob, (kind, subject))
    return row.due_at if row is not None else None


async def claim_due(session: AsyncSession, *, owner: str, now: datetime,
                    kinds: Sequence[str], limit: int = CLAIMED_AT_ONCE) -> Sequence[Due]:
    """Rows of `kinds` whose time has come and that nobody holds, now held by `owner`
    until `now + LEASE`, most overdue first."""
    rows = (await session.exec(
        select(DueJob)
        .where(col(DueJob.kind).in_(kinds), col(DueJob.due_at) <= now,
               or_(col(DueJob.lease_until).is_(None), col(DueJob.lease_until) < now))
        .order_by(col(DueJob.due_at))
        .limit(limit)
        .with_for_update(skip_locked=True))).all()
    claimed = []
    for row in rows:
        assert row.due_at is not None
        row.lease_owner = owner
        row.lease_until = now + LEASE
        session.add(row)
        claimed.append(Due(kind=row.kind, subject=row.subject, team_id=row.team_id,
                           due_at=row.due_at, version=row.version, owner=owner,
                           memo=json.loads(row.memo), failures=row.failures))
    return claimed


async def complete(session: AsyncSession, due: Due, *, next_due: datetime | None,
                   memo: Memo, failed: bool = False) -> bool:
    """The run of `due` is over: its memory changes kept, the lease given back, and the
    next due time set — unless a use case asked for a look since the claim, whose time
    stands. False when the lease was lost meanwhile (the row is someone else's now)."""
    row = await _locked(session, due.kind, due.subject)
    if row is None or row.lease_owner != due.owner:
        return False
    if row.version == due.version:
        row.due_at = next_due
    elif next_due is not None and row.due_at is not None:
        row.due_at = min(row.due_at, next_due)
    row.memo = _merged(row.memo, memo)
    row.failures = row.failures + 1 if failed else 0
    row.lease_owner = None
    row.lease_until = None
    session.add(row)
    return True


async def next_wake(session: AsyncSession, *, kinds: Sequence[str]) -> datetime | None:
    """The earliest time a row of `kinds` may be claimed: its due time, or the end of the
    lease another run holds on it."""
    free = (await session.exec(
        select(func.min(DueJob.due_at)).where(col(DueJob.kind).in_(kinds),
                                              col(DueJob.due_at).is_not(None),
                                              col(DueJob.lease_until).is_(None)))).one()
    held = (await session.exec(
        select(func.min(DueJob.lease_until)).where(col(DueJob.kind).in_(kinds),
                                                   col(DueJob.due_at).is_not(None),
                                                   col(DueJob.lease_until).is_not(None)))
            ).one()
    times = [_aware(time) for time in (free, held) if time is not None]
    return min(times) if times else None


async def forget(session: AsyncSession, *, kind: str, subject: str) -> None:
    """Nothing will ever be due about `subject` again (its incident is gone)."""
    row = await session.get(DueJob, (kind, subject))
    if row is not None:
        await session.delete(row)


async def _locked(session: AsyncSession, kind: str, subject: str) -> DueJob | None:
    return (await session.exec(
        select(DueJob).where(col(DueJob.kind) == kind, col(DueJob.subject) == subject)
        .with_for_update().execution_options(populate_existing=True))).first()


def _merged(stored: str, changes: Memo) -> str:
    memo = dict(json.loads(stored or "{}"))
    for key, value in changes.items():
        if value is None:
            memo.pop(key, None)
        else:
            memo[key] = value
    return json.dumps(memo, sort_keys=True)


def _aware(value: Any) -> datetime:
    # min() over a UTCDateTime column comes back through the driver, not the column type:
    # SQLite hands text or a naive datetime, PostgreSQL an aware one.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
