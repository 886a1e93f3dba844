"""The messages of incident channels, kept as Slack last told us about them.

Slack sends every message of a channel the bot is in as an event, and every reaction; keeping
them means a 📌 is resolved from the database, not from Slack's history methods (about 50
calls a minute). News can arrive late, twice or out of order, so every row remembers the
Slack time of the news it holds (`as_of`) and only later news changes it. A message the bot
never heard of (posted before it was kept, or missed) is read from Slack once and kept with
its reactions as a snapshot."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select as sa_select
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import upsert_if_newer, upsert_many_if_newer
from bot.db.models import KeptMessage, KeptReaction
from bot.domain.messages import ChannelMessage

_MESSAGE_KEY = ["channel_id", "ts"]
_REACTION_KEY = ["channel_id", "ts", "emoji", "user_id"]


# `reactions_as_of` of a message heard of as it was posted: every reaction is news to apply.
SINCE_POSTED = "0"


@dataclass(frozen=True)
class Kept:
    """What the bot knows of a message: `message` None when it was deleted;
    `reactions_known` False when its reactions must be read from Slack before use."""

    message: ChannelMessage | None
    reactions_known: bool
    since_posted: bool = False  # heard of as it was posted: every reaction event applies


async def keep(session: AsyncSession, *, team_id: str, channel_id: str,
               message: ChannelMessage, as_of: str, posted: bool) -> None:
    """A message as posted (`posted`) or as edited."""
    await upsert_if_newer(session, KeptMessage, key=_MESSAGE_KEY, newer="as_of",
                          insert_only=frozenset({"reactions_as_of"}),
                          channel_id=channel_id, ts=message.ts, team_id=team_id,
                          thread_ts=message.thread_ts, author_id=message.author_id,
                          bot_name=message.bot_name, text=message.text, deleted=False,
                          as_of=as_of, reactions_as_of=SINCE_POSTED if posted else None)


async def keep_posted(session: AsyncSession, *, team_id: str, channel_id: str,
                      messages: Sequence[tuple[ChannelMessage, str]]) -> None:
    """Messages heard of as they were posted (each with its news's Slack time), in one
    round trip: `keep(posted=True)` for each."""
    await upsert_many_if_newer(session, KeptMessage, key=_MESSAGE_KEY, newer="as_of",
                               insert_only=frozenset({"reactions_as_of"}), rows=[
        {"channel_id": channel_id, "ts": message.ts, "team_id": team_id,
         "thread_ts": message.thread_ts, "author_id": message.author_id,
         "bot_name": message.bot_name, "text": message.text, "deleted": False,
         "as_of": as_of, "reactions_as_of": SINCE_POSTED} for message, as_of in messages])


async def forget(session: AsyncSession, *, team_id: str, channel_id: str, ts: str,
                 as_of: str) -> None:
    """A deleted message: its text goes; the row stays, so late news of it changes nothing."""
    await upsert_if_newer(session, KeptMessage, key=_MESSAGE_KEY, newer="as_of",
                          insert_only=frozenset({"reactions_as_of"}),
                          channel_id=channel_id, ts=ts, team_id=team_id, text="",
                          deleted=True, as_of=as_of, reactions_as_of=None)


async def react(session: AsyncSession, *, channel_id: str, ts: str, emoji: str,
                user_id: str, present: bool, as_of: str, since_posted: bool = False) -> None:
    """`reaction_added` (present) or `reaction_removed` by one person. `since_posted`: the
    caller knows the message's reactions were known since it was posted (they stay so: no
    snapshot is ever taken of such a message), which spares a read."""
    snapshot = SINCE_POSTED if since_posted else (await session.exec(
        select(KeptMessage.reactions_as_of).where(col(KeptMessage.channel_id) == channel_id,
                                                  col(KeptMessage.ts) == ts))).first()
    if _in_snapshot(as_of, snapshot):
        return
    await upsert_if_newer(session, KeptReaction, key=_REACTION_KEY, newer="as_of",
                          channel_id=channel_id, ts=ts, emoji=emoji, user_id=user_id,
                          present=present, as_of=as_of)


@dataclass(frozen=True)
class Reaction:
    """News of one person's reaction on a message: added (`present`) or taken back."""

    ts: str
    emoji: str
    user_id: str
    present: bool
    as_of: str


async def reactions_known_since(session: AsyncSession, channel_id: str,
                                tss: Collection[str]) -> dict[str, str | None]:
    """For each kept message among `tss`: since when its reactions are known (None: not
    known; `SINCE_POSTED`: always), a deleted one's as "known" (it has none to know)."""
    if not tss:
        return {}
    rows = (await session.exec(select(KeptMessage.ts, KeptMessage.reactions_as_of,
                                      KeptMessage.deleted).where(
        col(KeptMessage.channel_id) == channel_id, col(KeptMessage.ts).in_(tss)))).all()
    return {ts: (SINCE_POSTED if deleted and since is None else since)
            for ts, since, deleted in rows}


async def react_many(session: AsyncSession, *, channel_id: str,
                     reactions: Sequence[Reaction],
                     known_since: Mapping[str, str | None]) -> None:
    """`react` for many reactions in one round trip, given `reactions_known_since` read in
    the same transaction."""
    await upsert_many_if_newer(session, KeptReaction, key=_REACTION_KEY, newer="as_of", rows=[
        {"channel_id": channel_id, "ts": news.ts, "emoji": news.emoji,
         "user_id": news.user_id, "present": news.present, "as_of": news.as_of}
        for news in reactions if not _in_snapshot(news.as_of, known_since.get(news.ts))])


def _in_snapshot(as_of: str, snapshot: str | None) -> bool:
    """Whether the snapshot read from Slack already holds news of this Slack time."""
    return snapshot is not None and snapshot != SINCE_POSTED and as_of <= snapshot


async def keep_snapshot(session: AsyncSession, *, team_id: str, channel_id: str, ts: str,
                        message: ChannelMessage | None, as_of: str) -> None:
    """The message as read from Slack at `as_of`, reactions and all (None: it is gone)."""
    if message is None:
        await forget(session, team_id=team_id, channel_id=channel_id, ts=ts, as_of=as_of)
        return
    await keep(session, team_id=team_id, channel_id=channel_id, message=message, as_of=as_of,
               posted=False)
    await session.exec(update(KeptMessage).where(
        col(KeptMessage.channel_id) == channel_id, col(KeptMessage.ts) == ts,
    ).values(reactions_as_of=as_of))
    present = {(emoji, user) for emoji, users in message.reactions.items() for user in users}
    for emoji, user in present:
        await upsert_if_newer(session, KeptReaction, key=_REACTION_KEY, newer="as_of",
                              channel_id=channel_id, ts=ts, emoji=emoji, user_id=user,
                              present=True, as_of=as_of)
    stale = (await session.exec(select(KeptReaction).where(
        col(KeptReaction.channel_id) == channel_id, col(KeptReaction.ts) == ts,
        col(KeptReaction.present), col(KeptReaction.as_of) < as_of))).all()
    for row in stale:
        if (row.emoji, row.user_id) not in present:
            row.present, row.as_of = False, as_of
            session.add(row)


async def kept(session: AsyncSession, channel_id: str, ts: str) -> Kept | None:
    """The message as the bot knows it, with its reactions in the order they came;
    None when the bot never heard of it."""
    row = await session.get(KeptMessage, (channel_id, ts))
    if row is None:
        return None
    if row.deleted:
        return Kept(None, reactions_known=True)
    reactions = (await session.exec(select(KeptReaction.emoji, KeptReaction.user_id).where(
        col(KeptReaction.channel_id) == channel_id, col(KeptReaction.ts) == ts,
        col(KeptReaction.present),
    ).order_by(col(KeptReaction.as_of)))).all()
    return _as_kept(row, reactions)


async def kept_many(session: AsyncSession, channel_id: str,
                    tss: Collection[str]) -> dict[str, Kept]:
    """`kept` for many messages of one channel in two queries; those the bot never heard
    of are missing."""
    if not tss:
        return {}
    # Plain columns, not table objects: in a burst this reads a hundred rows at a time.
    await session.flush()  # read below the ORM: what it holds must be written first
    table = KeptMessage.__table__.c  # type: ignore[attr-defined]
    rows = (await (await session.connection()).execute(sa_select(
        table.ts, table.text, table.author_id, table.thread_ts, table.bot_name, table.deleted,
        table.reactions_as_of).where(table.channel_id == channel_id,
                                     table.ts.in_(tss)))).all()
    live = [row.ts for row in rows if not row.deleted]
    reactions: dict[str, list[tuple[str, str]]] = {}
    if live:
        for ts, emoji, user in (await session.exec(
                select(KeptReaction.ts, KeptReaction.emoji, KeptReaction.user_id).where(
                    col(KeptReaction.channel_id) == channel_id, col(KeptReaction.ts).in_(live),
                    col(KeptReaction.present),
                ).order_by(col(KeptReaction.as_of)))).all():
            reactions.setdefault(ts, []).append((emoji, user))
    return {row.ts: _as_kept(row, reactions.get(row.ts, ())) for row in rows}


def _as_kept(row: _KeptRow, reactions: Iterable[tuple[str, str]]) -> Kept:
    if row.deleted:
        return Kept(None, reactions_known=True)
    return Kept(ChannelMessage(ts=row.ts, text=row.text, author_id=row.author_id,
                               thread_ts=row.thread_ts, reactions=_by_emoji(reactions),
                               bot_name=row.bot_name),
                reactions_known=row.reactions_as_of is not None,
                since_posted=row.reactions_as_of == SINCE_POSTED)


class _KeptRow(Protocol):
    ts: str
    text: str
    author_id: str | None
    thread_ts: str | None
    bot_name: str | None
    deleted: bool
    reactions_as_of: str | None


def _by_emoji(rows: Iterable[tuple[str, str]]) -> Mapping[str, tuple[str, ...]]:
    grouped: dict[str, list[str]] = {}
    for emoji, user in rows:
        grouped.setdefault(str(emoji), []).append(str(user))
    return {emoji: tuple(users) for emoji, users in grouped.items()}
