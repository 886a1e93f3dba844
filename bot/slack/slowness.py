"""Telling the person who waits that Slack is slow, while the work goes on.

The client's retry handlers (`bot/slack/retry_handlers.py`) call `report` when Slack makes
them wait (a rate limit's Retry-After, a retry after Slack failed), and so does a watchdog
when the work simply takes long. Whoever waits on the work (`handlers.replies.answer`) said
how to tell the person, with `telling`. A context variable carries it, so the gateway's
methods need no extra argument, and work nobody waits on tells nobody."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

log = logging.getLogger(__name__)

Notice = Callable[[], Awaitable[None]]


@dataclass
class _Waiting:
    notice: Notice
    told: bool = False


# The longest the work waits for the notice to be said.
NOTICE_WAIT_S = 2.0
_telling: set[asyncio.Task[None]] = set()

_waiting: ContextVar[_Waiting | None] = ContextVar("sitrep_waiting_on_slack", default=None)


@contextmanager
def telling(notice: Notice, *, after_s: float | None = None) -> Iterator[None]:
    """While inside, the first time Slack is slow `notice` is awaited (once only). With
    `after_s`, work still going after that long counts as slow too (an answer that is
    simply late, with no retry to report it)."""
    token = _waiting.set(_Waiting(notice))
    watchdog = asyncio.create_task(_report_after(after_s)) if after_s is not None else None
    try:
        yield
    finally:
        if watchdog is not None:
            watchdog.cancel()
        _waiting.reset(token)


async def _report_after(seconds: float) -> None:
    await asyncio.sleep(seconds)
    await report()


async def report() -> None:
    """Slack is making the current work wait: tell whoever waits on it, once."""
    waiting = _waiting.get()
    if waiting is None or waiting.told:
        return
    # Set before telling: telling goes through Slack too, and may be slow itself.
    waiting.told = True
    notice = asyncio.create_task(_tell(waiting.notice))
    _telling.add(notice)
    notice.add_done_callback(_telling.discard)
    # Said before the work goes on (so it comes before the reply), but never holding the
    # work up for long: the notice is a courtesy.
    await asyncio.wait({notice}, timeout=NOTICE_WAIT_S)


async def _tell(notice: Notice) -> None:
    try:
        await notice()
    except Exception:
        log.warning("could not tell the person Slack is slow", exc_info=True)
