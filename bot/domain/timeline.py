"""Marked Slack messages on an incident's timeline.

The rule is a function of Slack's current state, not of the events that reported it: a
message is on the timeline under a kind while at least one person has that kind's emoji
on it. Reconciling from the message as Slack has it now makes redeliveries, reordered
events and replays after a crash all converge on the same rows."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import col, delete, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Incident, TimelineEntry
from bot.domain.incidents import check_text
from bot.domain.messages import ChannelMessage
from bot.domain.vocabulary import Kind, Via

# The table itself, for statements that skip the ORM where it costs most.
ENTRIES = TimelineEntry.__table__  # type: ignore[attr-defined]


def wanted_kinds(message: ChannelMessage, emoji_kinds: Mapping[str, str],
                 bot_user_id: str | None) -> dict[str, str]:
    """Timeline kind → the first person whose reaction asks for it."""
    wanted: dict[str, str] = {}
    for emoji, users in message.reactions.items():
        kind = emoji_kinds.get(emoji)
        people = [user for user in users if user != bot_user_id]
        if kind is not None and people:
            wanted.setdefault(kind, people[0])
    return wanted


@dataclass(frozen=True)
class Source:
    """Where a marked message lives and how to show it."""

    channel_id: str
    ts: str
    author_name: str | None
    permalink: str | None


@dataclass(frozen=True)
class Reconciled:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    on_timeline: bool


async def entries_for(session: AsyncSession, incident: Incident,
                      source_ts: str) -> Sequence[TimelineEntry]:
    return (await session.exec(select(TimelineEntry).where(
        col(TimelineEntry.incident_id) == incident.id,
        col(TimelineEntry.source_ts) == source_ts))).all()


async def entries_for_many(session: AsyncSession, incident: Incident,
                           source_tss: Collection[str]) -> dict[str, list[TimelineEntry]]:
    """`entries_for` many messages in one query; a message with none is missing."""
    found: dict[str, list[TimelineEntry]] = {}
    if source_tss:
        for entry in (await session.exec(select(TimelineEntry).where(
                col(TimelineEntry.incident_id) == incident.id,
                col(TimelineEntry.source_ts).in_(source_tss)))).all():
            found.setdefault(entry.source_ts or "", []).append(entry)
    return found


@dataclass(frozen=True)
class Wanted:
    """A message as Slack has it now (None: deleted) and the kinds asked of its entries."""

    source: Source
    message: ChannelMessage | None
    kinds: Mapping[str, str]


async def reconcile(session: AsyncSession, incident: Incident, *, source: Source,
                    message: ChannelMessage | None, wanted: Mapping[str, str],
                    now: datetime,
                    existing: Sequence[TimelineEntry] | None = None) -> Reconciled:
    """Make the timeline agree with the message as Slack has it now.

    `message` None means it was deleted: its entries go. Otherwise every entry from it
    takes its current text (edits follow), reaction entries are added for kinds someone
    asks for and removed for kinds nobody does; shortcut entries stay. `existing`: its
    entries, when the caller has read them in this transaction already."""
    if existing is None:
        existing = await entries_for(session, incident, source.ts)
    (result,) = await reconcile_many(session, incident, [Wanted(source, message, wanted)],
                                     existing={source.ts: existing}, now=now)
    return result


async def reconcile_many(session: AsyncSession, incident: Incident,
                         messages: Sequence[Wanted], *,
                         existing: Mapping[str, Sequence[TimelineEntry]],
                         now: datetime) -> list[Reconciled]:
    """`reconcile` for many messages of one incident (`existing`: the entries of each, read
    in this transaction, a message with none left out), the new entries in one insert."""
    results: list[Reconciled] = []
    new_entries: list[dict[str, Any]] = []
    for wanted in messages:
        source, message = wanted.source, wanted.message
        entries = existing.get(source.ts, ())
        if message is None:
            if entries:
                await session.exec(delete(TimelineEntry).where(
                    col(TimelineEntry.incident_id) == incident.id,
                    col(TimelineEntry.source_ts) == source.ts))
            results.append(Reconciled(added=(), removed=tuple(e.kind for e in entries),
                                      on_timeline=False))
            continue
        by_kind = {entry.kind: entry for entry in entries}
        for entry in entries:
            if entry.text != message.text:
                entry.text = message.text
                session.add(entry)
        added = []
        for kind, marked_by in wanted.kinds.items():
            if kind not in by_kind:
                new_entries.append(_entry_values(incident, source, message, kind=kind,
                                                 via=Via.REACTION, marked_by=marked_by,
                                                 now=now))
                added.append(kind)
        removed = []
        for entry in entries:
            if entry.via == Via.REACTION and entry.kind not in wanted.kinds:
                await session.delete(entry)
                removed.append(entry.kind)
        on_timeline = bool(wanted.kinds) or any(e.via != Via.REACTION for e in entries)
        results.append(Reconciled(added=tuple(added), removed=tuple(removed),
                                  on_timeline=on_timeline))
    if new_entries:
        # One statement for them all, on the table itself: the ORM would insert one row at
        # a time on SQLite (to match ids to rows), and convert every row on the way.
        await session.exec(insert(ENTRIES), params=new_entries)
    return results


async def mark(session: AsyncSession, incident: Incident, *, source: Source,
               message: ChannelMessage, kind: str, by: str, comment: str | None,
               now: datetime) -> TimelineEntry:
    """Put a message on the timeline by hand (the "Add to timeline" shortcut). It stays
    there whatever happens to reactions on it."""
    if comment:
        comment = check_text(comment, "A comment", "Add to timeline")
    existing = {entry.kind: entry for entry in await entries_for(session, incident, source.ts)}
    entry = existing.get(kind)
    if entry is None:
        entry = _entry(incident, source, message, kind=kind, via=Via.SHORTCUT, marked_by=by,
                       now=now)
    entry.via = Via.SHORTCUT
    entry.comment = comment or entry.comment
    session.add(entry)
    return entry


def _entry(incident: Incident, source: Source, message: ChannelMessage, *, kind: str, via: str,
           marked_by: str, now: datetime) -> TimelineEntry:
    return TimelineEntry(**_entry_values(incident, source, message, kind=kind, via=via,
                                         marked_by=marked_by, now=now))


def _entry_values(incident: Incident, source: Source, message: ChannelMessage, *, kind: str,
                  via: str, marked_by: str, now: datetime) -> dict[str, Any]:
    assert incident.id is not None
    return {"team_id": incident.team_id, "incident_id": incident.id, "kind": kind, "via": via,
            "text": message.text, "author_id": message.author_id,
            "author_name": source.author_name, "source_channel_id": source.channel_id,
            "source_ts": source.ts, "permalink": source.permalink,
            # The moment the message was written, not when somebody reacted to it.
            "occurred_at": message.written_at, "created_by": marked_by, "created_at": now}


def sentence(entry: TimelineEntry, *, person: Callable[[str], str]) -> str:
    """The entry in words, naming people through `person` (a mention in Slack, a name in a
    document). Rows from before people were stored as ids carry the whole sentence."""
    if entry.kind == Kind.ROLE and entry.subject_id:
        role = entry.text
        if entry.previous_id:
            return (f"{role.capitalize()} handed over from {person(entry.previous_id)} to "
                    f"{person(entry.subject_id)}")
        return f"{person(entry.subject_id)} is now {role}"
    if entry.kind == Kind.ACTION and entry.subject_id:
        return f"{entry.text} (owner {person(entry.subject_id)})"
    if entry.kind == Kind.ACTION_DONE:
        return f"Action item done: {entry.text}"
    if entry.kind == Kind.ACTION_REASSIGNED and entry.subject_id:
        was = f" (was {person(entry.previous_id)})" if entry.previous_id else ""
        return f"Action item {entry.text} handed to {person(entry.subject_id)}{was}"
    return entry.text
