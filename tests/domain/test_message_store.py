"""Kept messages and their reactions: the latest news wins, whatever order it arrives in,
and a snapshot read from Slack holds all news older than it. On SQLite and PostgreSQL."""

from __future__ import annotations

from bot.db.engine import SessionFactory, transaction
from bot.domain import message_store
from bot.domain.message_store import Kept
from bot.domain.messages import ChannelMessage

CHANNEL = "C0INC1"
TS = "1764480000.000100"


def _message(text: str, reactions: dict[str, tuple[str, ...]] | None = None) -> ChannelMessage:
    return ChannelMessage(ts=TS, text=text, author_id="U0BOB", thread_ts=None,
                          reactions=reactions or {})


async def _keep(sessions: SessionFactory, text: str, as_of: str, *, posted: bool) -> None:
    async with transaction(sessions) as session:
        await message_store.keep(session, team_id="T1", channel_id=CHANNEL,
                                 message=_message(text), as_of=as_of, posted=posted)


async def _react(sessions: SessionFactory, user: str, present: bool, as_of: str) -> None:
    async with transaction(sessions) as session:
        await message_store.react(session, channel_id=CHANNEL, ts=TS, emoji="pushpin",
                                  user_id=user, present=present, as_of=as_of)


async def _kept(sessions: SessionFactory) -> Kept | None:
    async with sessions() as session:
        return await message_store.kept(session, CHANNEL, TS)


async def test_an_edit_heard_before_the_message_itself_is_not_undone(
        sessions: SessionFactory) -> None:
    await _keep(sessions, "errors at 3%", "1764480060.000000", posted=False)
    await _keep(sessions, "errors at 30%", TS, posted=True)  # the original, delivered late
    kept = await _kept(sessions)
    assert kept is not None and kept.message is not None
    assert kept.message.text == "errors at 3%"


async def test_reactions_converge_on_the_latest_news_in_any_order(
        sessions: SessionFactory) -> None:
    await _keep(sessions, "rolled back", TS, posted=True)
    # Alice pinned (t1) and unpinned (t2); Bob pinned (t3). Slack delivers them reversed.
    await _react(sessions, "U0BOB", True, "1764480003.000000")
    await _react(sessions, "U0ALICE", False, "1764480002.000000")
    await _react(sessions, "U0ALICE", True, "1764480001.000000")
    await _react(sessions, "U0BOB", True, "1764480003.000000")  # and again, redelivered
    kept = await _kept(sessions)
    assert kept is not None and kept.message is not None and kept.reactions_known
    assert kept.message.reactions == {"pushpin": ("U0BOB",)}


async def test_a_snapshot_holds_the_news_before_it_and_later_news_still_applies(
        sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        await message_store.keep_snapshot(
            session, team_id="T1", channel_id=CHANNEL, ts=TS, as_of="1764480010.000000",
            message=_message("DNS looks wrong", {"pushpin": ("U0ALICE",)}))
    # Alice's own pin (before the read) arrives now: the snapshot already holds it.
    await _react(sessions, "U0ALICE", True, "1764480005.000000")
    # Carol's pin came before the read but was taken back before it too: old news.
    await _react(sessions, "U0CAROL", True, "1764480006.000000")
    # Bob pinned after the read.
    await _react(sessions, "U0BOB", True, "1764480020.000000")
    kept = await _kept(sessions)
    assert kept is not None and kept.message is not None
    assert kept.message.reactions == {"pushpin": ("U0ALICE", "U0BOB")}


async def test_a_message_first_heard_of_through_an_edit_has_unknown_reactions(
        sessions: SessionFactory) -> None:
    await _keep(sessions, "edited before we kept it", "1764480060.000000", posted=False)
    kept = await _kept(sessions)
    assert kept is not None and not kept.reactions_known


async def test_a_deleted_message_stays_deleted_when_older_news_arrives(
        sessions: SessionFactory) -> None:
    await _keep(sessions, "oops", TS, posted=True)
    async with transaction(sessions) as session:
        await message_store.forget(session, team_id="T1", channel_id=CHANNEL, ts=TS,
                                   as_of="1764480090.000000")
    await _keep(sessions, "oops, edited", "1764480030.000000", posted=False)
    assert await _kept(sessions) == Kept(None, reactions_known=True)
    async with sessions() as session:
        assert await message_store.kept(session, CHANNEL, "1764480000.999999") is None


async def _react_together(sessions: SessionFactory,
                          news: list[tuple[str, bool, str]]) -> None:
    async with transaction(sessions) as session:
        known = await message_store.reactions_known_since(session, CHANNEL, {TS})
        await message_store.react_many(session, channel_id=CHANNEL, known_since=known,
                                       reactions=[message_store.Reaction(
                                           ts=TS, emoji="pushpin", user_id=user,
                                           present=present, as_of=as_of)
                                           for user, present, as_of in news])


async def test_reactions_stored_together_converge_as_they_do_one_by_one(
        sessions: SessionFactory) -> None:
    await _keep(sessions, "rolled back", TS, posted=True)
    # The same news as above, in one batch: reversed, with a redelivery inside it.
    await _react_together(sessions, [("U0BOB", True, "1764480003.000000"),
                                     ("U0ALICE", False, "1764480002.000000"),
                                     ("U0ALICE", True, "1764480001.000000"),
                                     ("U0BOB", True, "1764480003.000000")])
    # Older news in a later batch changes nothing.
    await _react_together(sessions, [("U0BOB", False, "1764480000.500000")])
    async with sessions() as session:
        (kept,) = (await message_store.kept_many(session, CHANNEL, {TS, "1.0"})).values()
    assert kept.message is not None and kept.message.reactions == {"pushpin": ("U0BOB",)}


async def test_reactions_stored_together_skip_what_a_snapshot_already_holds(
        sessions: SessionFactory) -> None:
    async with transaction(sessions) as session:
        await message_store.keep_snapshot(
            session, team_id="T1", channel_id=CHANNEL, ts=TS, as_of="1764480010.000000",
            message=_message("DNS looks wrong", {"pushpin": ("U0ALICE",)}))
    await _react_together(sessions, [("U0ALICE", True, "1764480005.000000"),
                                     ("U0CAROL", True, "1764480006.000000"),
                                     ("U0BOB", True, "1764480020.000000")])
    kept = await _kept(sessions)
    assert kept is not None and kept.message is not None
    assert kept.message.reactions == {"pushpin": ("U0ALICE", "U0BOB")}


async def test_messages_kept_as_posted_together_do_not_undo_an_earlier_edit(
        sessions: SessionFactory) -> None:
    await _keep(sessions, "errors at 3%", "1764480060.000000", posted=False)
    other = ChannelMessage(ts="1764480001.000100", text="paging the DB on-call",
                           author_id="U0ALICE", thread_ts=None, reactions={})
    async with transaction(sessions) as session:
        await message_store.keep_posted(session, team_id="T1", channel_id=CHANNEL, messages=[
            (_message("errors at 30%"), TS), (other, other.ts)])
    async with sessions() as session:
        kept = await message_store.kept_many(session, CHANNEL, {TS, other.ts})
    assert {ts: (k.message.text if k.message else None, k.reactions_known, k.since_posted)
            for ts, k in kept.items()} == {
        TS: ("errors at 3%", False, False),  # heard of first through its edit
        other.ts: ("paging the DB on-call", True, True)}
