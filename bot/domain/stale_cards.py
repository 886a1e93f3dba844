"""Cards that may disagree with their incident: drawing them (or the topic) failed.

A change is saved before the card is drawn, so when Slack fails the row is right and the
card is not. The mark is a count of such failures rather than a flag: a redraw clears
only the count it read before drawing, so a failure meanwhile keeps the card marked."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Incident


async def mark_stale(session: AsyncSession, incident_id: int) -> None:
    await session.exec(update(Incident).where(col(Incident.id) == incident_id)
                       .values(card_stale=Incident.card_stale + 1))


async def drawn(session: AsyncSession, incident_id: int, *, stale_as_read: int) -> None:
    """The card now shows the row as read when it was `stale_as_read`."""
    if stale_as_read == 0:
        return
    await session.exec(update(Incident).where(col(Incident.id) == incident_id,
                                              col(Incident.card_stale) == stale_as_read)
                       .values(card_stale=0))


async def stale(session: AsyncSession, *, limit: int = 100) -> Sequence[Incident]:
    return (await session.exec(select(Incident).where(
        col(Incident.card_stale) > 0, col(Incident.channel_id).is_not(None),
    ).order_by(col(Incident.id)).limit(limit))).all()
