"""Many small writes committed together: one transaction, one fsync, many callers.

During a burst every Slack event must be written to the inbox before it is acknowledged.
One transaction per event makes SQLite's single write lock the queue every ack waits in;
batching the writes of all requests waiting at that moment keeps the ack's wait to about
one commit however many arrive."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from contextlib import suppress
from typing import Generic, TypeVar

from sqlalchemy.exc import OperationalError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import SessionFactory, transaction

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# A batch larger than this is split; it bounds one transaction's time and memory.
MAX_BATCH = 500
BUSY_ATTEMPTS = 3
BUSY_PAUSE_S = 0.05


class GroupCommit(Generic[Item, Result]):
    """`await submit(item)` returns `write(session, items)`'s result for that item, once
    the transaction holding it has committed."""

    def __init__(self, sessions: SessionFactory,
                 write: Callable[[AsyncSession, Sequence[Item]], Awaitable[Sequence[Result]]],
                 *, name: str) -> None:
        self._sessions = sessions
        self._write = write
        self._name = name
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name=self._name)
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._wake.set()
        return await future

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending[:MAX_BATCH], self._pending[MAX_BATCH:]
                await self._commit(batch)

    async def _commit(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        try:
            results = await self._write_with_retries([item for item, _ in batch])
        except Exception as error:
            log.warning("%s: a batch of %d failed: %s", self._name, len(batch), error)
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def _write_with_retries(self, items: list[Item]) -> Sequence[Result]:
        # A busy database (SQLite's lock held past its busy timeout by a long writer, a
        # PostgreSQL connection dropped) is worth a few more tries before a request fails.
        for attempt in range(1, BUSY_ATTEMPTS + 1):
            try:
                async with transaction(self._sessions, urgent=True) as session:
                    return await self._write(session, items)
            except OperationalError:
                if attempt == BUSY_ATTEMPTS:
                    raise
                log.info("%s: the database was busy; trying again", self._name)
                await asyncio.sleep(BUSY_PAUSE_S * attempt)
        raise AssertionError("unreachable")
