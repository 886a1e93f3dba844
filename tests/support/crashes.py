"""A crash at the worst moment, for tests of what is saved together.

`sessions_that_crash` makes sessions whose commit fails when the transaction did a given
thing (wrote a timeline entry, or marked a Slack event processed): the process "dies" after
the work and before the commit, so a test sees what the database kept."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlalchemy.orm import ORMExecuteState
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.orm.session import Session

from bot.db.engine import SessionFactory
from bot.db.models import InboxEvent, TimelineEntry


class CrashWhen(StrEnum):
    TIMELINE_WRITTEN = "timeline written"
    EVENT_MARKED_PROCESSED = "event marked processed"


class SimulatedCrash(Exception):
    pass


class _CrashingSession(Session):
    pass


def sessions_that_crash(engine: AsyncEngine, when: CrashWhen) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False,
                              sync_session_class=_CrashingSession, info={"crash_when": when})


def _note(session: Session, what: CrashWhen) -> None:
    session.info.setdefault("done", set()).add(what)


@event.listens_for(_CrashingSession, "after_flush")
def _note_timeline_writes(session: Session, _context: Any) -> None:
    # A later statement in the transaction may flush the entry before the commit does.
    if any(isinstance(row, TimelineEntry) for row in session.new):
        _note(session, CrashWhen.TIMELINE_WRITTEN)


@event.listens_for(_CrashingSession, "do_orm_execute")
def _note_inbox_marks(state: ORMExecuteState) -> None:
    mapped = state.bind_mapper.class_ if state.bind_mapper is not None else None
    if state.is_update and mapped is InboxEvent:
        _note(state.session, CrashWhen.EVENT_MARKED_PROCESSED)
    # Entries added many at once, in one INSERT statement on the table.
    if state.is_insert and getattr(state.statement, "table", None) is TimelineEntry.__table__:
        _note(state.session, CrashWhen.TIMELINE_WRITTEN)


@event.listens_for(_CrashingSession, "before_commit")
def _crash_before_the_commit(session: Session) -> None:
    if any(isinstance(row, TimelineEntry) for row in session.new):
        _note(session, CrashWhen.TIMELINE_WRITTEN)
    done = session.info.pop("done", set())
    if session.info["crash_when"] in done:
        raise SimulatedCrash(f"the process died before committing ({session.info['crash_when']})")
