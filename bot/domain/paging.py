"""Pages on the record: which incident tracks an Alertmanager group or a PagerDuty
incident, and their alerts and news on its timeline, each exactly once.

"Exactly once" is the database's: `track` locks the tracking row, so deliveries about the
same group or PagerDuty incident take turns on every replica; each timeline entry from a
page carries a key unique per incident (`TimelineEntry`'s source constraint), so a repeat
notification, a redelivery or a replay inserts nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import insert_unless_present
from bot.db.models import Incident, PageTracking, TimelineEntry
from bot.domain.pages import clip
from bot.domain.vocabulary import MAX_TEXT_LENGTH, Kind, Status


def digest(text: str, length: int = 64) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:length]


async def track(session: AsyncSession, *, team_id: str, source: str, external_key: str,
                now: datetime) -> PageTracking:
    """The tracking row of a group or PagerDuty incident, made if new, locked until the
    transaction ends (on SQLite the writers' turn is the lock)."""
    key = digest(external_key)
    await insert_unless_present(session, PageTracking, key=["team_id", "source", "page_key"],
                                team_id=team_id, source=source, page_key=key,
                                external_key=external_key, updated_at=now)
    row = (await session.exec(select(PageTracking).where(
        col(PageTracking.team_id) == team_id, col(PageTracking.source) == source,
        col(PageTracking.page_key) == key).with_for_update())).one()
    return row


async def tracked_incident(session: AsyncSession, tracking: PageTracking, *,
                           open_only: bool) -> Incident | None:
    """The incident that tracks it (with `open_only`, only while it is not resolved)."""
    if tracking.incident_id is None:
        return None
    incident = await session.get(Incident, tracking.incident_id)
    if incident is None or (open_only and incident.status == Status.RESOLVED):
        return None
    return incident


def point(session: AsyncSession, tracking: PageTracking, incident: Incident,
          now: datetime) -> None:
    tracking.incident_id = incident.id
    tracking.updated_at = now
    session.add(tracking)


async def record(session: AsyncSession, incident: Incident, *, kind: str, key: str, text: str,
                 link: str | None, occurred_at: datetime, by: str, now: datetime) -> bool:
    """A timeline entry from a page, unless one with this `key` is there already; True when
    it is new. The key lives where a marked message's ts does (`source_ts`, unique per
    incident and kind), digested to fit; no Slack ts looks like it."""
    values = {"team_id": incident.team_id, "incident_id": incident.id, "kind": kind,
              "via": "auto", "text": clip(text, MAX_TEXT_LENGTH), "source_ts": digest(key, 32),
              "permalink": link, "author_id": by, "created_by": by,
              "occurred_at": occurred_at, "created_at": now}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(TimelineEntry).values(**values).on_conflict_do_nothing(
        index_elements=["incident_id", "kind", "source_ts"]).returning(col(TimelineEntry.id))
    return (await session.exec(statement)).first() is not None


async def any_new(session: AsyncSession, incident: Incident, *, kind: str,
                  keys: Sequence[str]) -> bool:
    """Whether any of `keys` is not on the incident's timeline yet."""
    digests = {digest(key, 32) for key in keys}
    if not digests:
        return False
    present = set((await session.exec(select(TimelineEntry.source_ts).where(
        col(TimelineEntry.incident_id) == incident.id, col(TimelineEntry.kind) == kind,
        col(TimelineEntry.source_ts).in_(digests)))).all())
    return bool(digests - present)


async def alerts_of(session: AsyncSession, incident: Incident, *,
                    limit: int) -> tuple[Sequence[TimelineEntry], int]:
    """The incident's alerts, oldest first, up to `limit`, and how many it has in all."""
    # Counted apart: a group of thousands of alerts costs the card's redraw a count, not
    # thousands of rows read to show five.
    alerts = (col(TimelineEntry.incident_id) == incident.id,
              col(TimelineEntry.kind) == Kind.ALERT)
    rows = (await session.exec(select(TimelineEntry).where(*alerts).order_by(
        col(TimelineEntry.occurred_at), col(TimelineEntry.id)).limit(limit))).all()
    total = (await session.exec(select(func.count()).select_from(TimelineEntry)
                                .where(*alerts))).one()
    return rows, total
