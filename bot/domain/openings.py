"""Incidents being opened: each step of a start recorded as it is done, under a lease.

A start holds its opening's lease and renews it at every step. If the process dies or is
stopped mid-start, the lease runs out and any replica may claim the opening
(`claim_stalled`) to finish or abandon it; the claim is one transaction that skips rows
another replica is claiming (FOR UPDATE SKIP LOCKED on PostgreSQL; SQLite's writers take
turns), so exactly one replica works on a given opening. A holder that lost its lease
finds out at its next step (`advance` raises `TakenOver`) and stops."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Incident, IncidentOpening
from bot.domain.errors import TakenOver
from bot.domain.vocabulary import OPENING_STEPS, OpeningStep, label

# A start that has not renewed its lease for this long is taken to be dead. A live start
# renews it every `RENEW_EVERY` however slow Slack is (`bot.usecases.lifecycle`), so only a
# process that died or stopped lets it run out.
LEASE = timedelta(minutes=1)
RENEW_EVERY = LEASE / 3
# Openings one recovery round claims; the next round takes the rest.
CLAIMED_AT_ONCE = 20


def new_owner() -> str:
    """An id for one start or one recovery round, whatever process runs it."""
    return uuid.uuid4().hex


def done(opening_step: str, step: OpeningStep) -> bool:
    """Whether `step` is among those an opening at `opening_step` has done."""
    return OPENING_STEPS.index(OpeningStep(opening_step)) >= OPENING_STEPS.index(step)


async def begin(session: AsyncSession, incident: Incident, *, owner: str,
                now: datetime) -> None:
    """In the transaction that numbers the incident: its opening, held by `owner`."""
    if incident.id is None:
        raise ValueError("incident has not been flushed")
    session.add(IncidentOpening(incident_id=incident.id, team_id=incident.team_id,
                                step=OpeningStep.NUMBERED, owner=owner,
                                lease_until=now + LEASE))


async def advance(session: AsyncSession, incident: Incident, step: OpeningStep, *,
                  owner: str, now: datetime) -> None:
    """Record `step` as done and renew the lease; `TakenOver` if `owner` lost it."""
    result = await session.exec(
        update(IncidentOpening)
        .where(col(IncidentOpening.incident_id) == incident.id,
               col(IncidentOpening.owner) == owner)
        .values(step=step, lease_until=now + LEASE))
    _check_held(result, incident)


async def renew(session: AsyncSession, incident: Incident, *, owner: str,
                now: datetime) -> None:
    """Keep holding the opening while a step takes long; `TakenOver` if `owner` lost it."""
    result = await session.exec(
        update(IncidentOpening)
        .where(col(IncidentOpening.incident_id) == incident.id,
               col(IncidentOpening.owner) == owner)
        .values(lease_until=now + LEASE))
    _check_held(result, incident)


async def finish(session: AsyncSession, incident: Incident, *, owner: str) -> None:
    """The incident is open and announced: nothing is left to recover."""
    result = await session.exec(
        delete(IncidentOpening).where(col(IncidentOpening.incident_id) == incident.id,
                                      col(IncidentOpening.owner) == owner))
    _check_held(result, incident)


async def claim_stalled(session: AsyncSession, *, owner: str, now: datetime,
                        limit: int = CLAIMED_AT_ONCE
                        ) -> Sequence[tuple[IncidentOpening, Incident]]:
    """Openings whose lease ran out, now held by `owner`, with their incidents."""
    rows = (await session.exec(
        select(IncidentOpening, Incident)
        .join(Incident, col(Incident.id) == col(IncidentOpening.incident_id))
        .where(col(IncidentOpening.lease_until) < now)
        .order_by(col(IncidentOpening.lease_until))
        .limit(limit)
        .with_for_update(of=IncidentOpening, skip_locked=True))).all()
    for opening, _incident in rows:
        opening.owner = owner
        opening.lease_until = now + LEASE
        opening.attempts += 1
        session.add(opening)
    return rows


def _check_held(result: object, incident: Incident) -> None:
    # UPDATE and DELETE results are CursorResults; the generic Result type hides rowcount.
    if int(getattr(result, "rowcount", 0)) == 0:
        raise TakenOver(f"Opening {label(incident.number)} took so long that Sitrep handed it "
                        "to another of its processes to finish. You'll get a direct message "
                        "when it is ready.")
