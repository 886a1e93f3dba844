"""Action items after the incident: their state, closing and handing them on, and who has
what open across incidents.

An item is open until someone marks it done. Its due day (`due_on`) is a calendar day in
the team's time zone: an open item is overdue from the day after it. Who may close or
hand on an item is `bot.domain.permissions.check_follow_up`'s to say; the use case asks."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.core.settings import WeeklyAt
from bot.db.models import ActionItem, Incident, TimelineEntry
from bot.domain.errors import Gone, InvalidInput, WrongState
from bot.domain.vocabulary import Kind

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


class ItemState(StrEnum):
    OPEN = "open"
    OVERDUE = "overdue"
    DONE = "done"


@dataclass(frozen=True)
class Standing:
    """An item's state on a given day, and the day that state dates from: the day it was
    done, or the first day it was overdue."""

    state: ItemState
    since: date | None = None


def today(now: datetime, zone: ZoneInfo) -> date:
    """The team's calendar day at `now`."""
    return now.astimezone(zone).date()


def standing(item: ActionItem, *, on: date, zone: ZoneInfo) -> Standing:
    if item.done_at is not None:
        return Standing(ItemState.DONE, item.done_at.astimezone(zone).date())
    if item.due_on is not None and on > item.due_on:
        return Standing(ItemState.OVERDUE, item.due_on + timedelta(days=1))
    return Standing(ItemState.OPEN)


def parse_due(typed: str) -> date:
    """`YYYY-MM-DD`, the one way a due day is written (unambiguous in every locale)."""
    found = _DAY.match(typed.strip())
    if found is None:
        raise InvalidInput(f"`{typed}` is not a date: write the due day as YYYY-MM-DD, "
                           "for example `due 2026-12-04`.")
    try:
        return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
    except ValueError:
        raise InvalidInput(f"`{typed}` is not a day of the calendar: write the due day as "
                           "YYYY-MM-DD, for example `due 2026-12-04`.") from None


def check_due(due_on: date | None, *, on: date) -> date | None:
    """A due day must not be in the past already (today is fine: due by tonight)."""
    if due_on is not None and due_on < on:
        raise InvalidInput(f"{due_on.isoformat()} is in the past (today is {on.isoformat()}): "
                           "give a due day from today on.")
    return due_on


def parse_item_id(value: str) -> int:
    """A button's value: the item's id."""
    try:
        item_id = int(value)
    except ValueError:
        item_id = 0
    if item_id < 1:
        raise InvalidInput("That action item is not one Sitrep knows.")
    return item_id


async def find(session: AsyncSession, item_id: int, *, for_change: bool = False,
               ) -> tuple[ActionItem, Incident]:
    """The item and its incident; `for_change` holds the item's row until the transaction
    ends, so two people pressing Done at once close it exactly once."""
    query = select(ActionItem).where(col(ActionItem.id) == item_id)
    if for_change:
        query = query.with_for_update()
    item = (await session.exec(query)).first()
    incident = await session.get(Incident, item.incident_id) if item is not None else None
    if item is None or incident is None:
        raise Gone("That action item no longer exists.")
    return item, incident


async def mark_done(session: AsyncSession, item: ActionItem, incident: Incident, *, by: str,
                    now: datetime) -> None:
    if item.done_at is not None:
        raise WrongState(f"“{item.text}” was already marked done"
                         + (f" by <@{item.done_by}>." if item.done_by else "."))
    item.done_at, item.done_by = now, by
    session.add(item)
    _record(session, incident, Kind.ACTION_DONE, item.text, by=by, now=now,
            subject_id=item.owner_id)


async def reassign(session: AsyncSession, item: ActionItem, incident: Incident, *,
                   owner_id: str, by: str, now: datetime) -> str | None:
    """Hand the item to `owner_id`; returns the previous owner."""
    if item.done_at is not None:
        raise WrongState(f"“{item.text}” is done already; there is nothing to hand on.")
    if item.owner_id == owner_id:
        raise WrongState(f"<@{owner_id}> already owns “{item.text}”.")
    previous = item.owner_id
    item.owner_id = owner_id
    session.add(item)
    _record(session, incident, Kind.ACTION_REASSIGNED, item.text, by=by, now=now,
            subject_id=owner_id, previous_id=previous)
    return previous


@dataclass(frozen=True)
class ListedItem:
    """One item of an incident's, as `/incident actions` and the retrospective show it."""

    item_id: int
    text: str
    owner_id: str | None
    due_on: date | None
    standing: Standing
    done_by: str | None


async def listing(session: AsyncSession, incident: Incident, *, on: date,
                  zone: ZoneInfo) -> list[ListedItem]:
    """The incident's items in the order they were recorded."""
    items = (await session.exec(select(ActionItem).where(
        col(ActionItem.incident_id) == incident.id)
        .order_by(col(ActionItem.created_at), col(ActionItem.id)))).all()
    return [ListedItem(item_id=item.id or 0, text=item.text, owner_id=item.owner_id,
                       due_on=item.due_on, standing=standing(item, on=on, zone=zone),
                       done_by=item.done_by)
            for item in items]


@dataclass(frozen=True)
class OwnedItem:
    """One open item of an owner's, with what the owner needs to find its incident."""

    item_id: int
    text: str
    due_on: date | None
    incident_number: int
    incident_title: str
    channel_id: str | None
    overdue: bool


async def open_items_by_owner(session: AsyncSession, *, team_id: str, on: date,
                              ) -> dict[str, list[OwnedItem]]:
    """Every owner with an open item in the workspace, across incidents, each with their
    items: overdue first, then by due day (none last), then oldest first. Nobody with
    nothing open is in it."""
    rows = (await session.exec(
        select(ActionItem, Incident).join(Incident, col(Incident.id) == ActionItem.incident_id)
        .where(col(ActionItem.team_id) == team_id, col(ActionItem.done_at).is_(None),
               col(ActionItem.owner_id).is_not(None))
        .order_by(col(ActionItem.created_at), col(ActionItem.id)))).all()
    owners: dict[str, list[OwnedItem]] = {}
    for item, incident in rows:
        assert item.owner_id is not None and item.id is not None
        owners.setdefault(item.owner_id, []).append(OwnedItem(
            item_id=item.id, text=item.text, due_on=item.due_on,
            incident_number=incident.number, incident_title=incident.title,
            channel_id=incident.channel_id,
            overdue=item.due_on is not None and on > item.due_on))
    for items in owners.values():
        items.sort(key=lambda i: (not i.overdue, i.due_on is None, i.due_on or on))
    return owners


def next_owners_message(after: datetime, weekly: WeeklyAt, zone: ZoneInfo) -> datetime:
    """The first moment of the owners' weekly message strictly after `after`: `weekly`'s
    weekday and wall-clock time in the team's zone, whatever the offset that day (a
    daylight-saving change keeps it at 09:00 local, not at 08:00 or 10:00)."""
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(weekly.weekday - local.weekday()) % 7)
    while True:
        moment = datetime.combine(day, weekly.at, tzinfo=zone)
        if moment > after:
            return moment
        day += timedelta(days=7)


async def teams_with_open_items(session: AsyncSession) -> Sequence[str]:
    return (await session.exec(select(ActionItem.team_id).where(
        col(ActionItem.done_at).is_(None), col(ActionItem.owner_id).is_not(None))
        .distinct())).all()


def _record(session: AsyncSession, incident: Incident, kind: str, text: str, *, by: str,
            now: datetime, subject_id: str | None = None,
            previous_id: str | None = None) -> None:
    assert incident.id is not None
    session.add(TimelineEntry(team_id=incident.team_id, incident_id=incident.id, kind=kind,
                              text=text, subject_id=subject_id, previous_id=previous_id,
                              author_id=by, occurred_at=now, created_by=by, created_at=now))
