"""Work after Slack's ack, on a fixed number of workers fed by a bounded queue.

One task per event would let a burst of a major incident crowd the event loop (and the
database pool) until acks wait behind post-ack work. A bounded queue keeps the work in
hand finite: when it is full, `submit` says so at once and the caller leaves the work to
a slower path (the event inbox replays what was never done).

Acks come first: Slack resends what is not acknowledged within 3 seconds, while the work
after the ack may take a little longer. While requests are being answered (`serving`),
a worker waits before its next piece of work, up to `yield_s`, so a burst of acks is
answered at full speed and its work done right after; a steady stream still gets its work
done, a piece per worker every `yield_s`.

Work that is cheaper done together (`submit_together`: the news of one incident channel,
stored in one transaction) joins the batch of its key still waiting in the queue, and one
key's batches run one after another: while the workers give way to a burst of acks, or
while the key's batch before is under way, its work piles up into a few large batches
rather than many small ones fighting for the same lock. While requests are being answered
a batch is kept small (`max_batch_serving`), so the work done meanwhile stays a small
share of the processor; the large ones come once the answers are out."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import Any, TypeVar

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[object]]
Item = TypeVar("Item")


@dataclass(eq=False)
class _Piece:
    """One place in the queue: a piece of work, or the batch of one key's items."""

    work: Work | None = None
    key: Hashable | None = None
    items: list[Any] = field(default_factory=list)
    together: Callable[[list[Any]], Awaitable[object]] | None = None

    @property
    def size(self) -> int:
        return len(self.items) if self.key is not None else 1

    async def run(self) -> object:
        if self.together is not None:
            return await self.together(self.items)
        assert self.work is not None
        return await self.work()


class WorkQueue:
    def __init__(self, *, workers: int, capacity: int, name: str = "work",
                 yield_s: float = 0.5, max_batch: int = 100,
                 max_batch_serving: int = 20) -> None:
        self.name = name
        self._workers = workers
        self._yield_s = yield_s
        self._capacity = capacity
        self._max_batch = max_batch
        self._max_batch_serving = max_batch_serving
        # Bounded by the items waiting (`_waiting`), batched or not, not by its own length.
        self._queue: asyncio.Queue[_Piece] = asyncio.Queue()
        self._waiting = 0
        # Each key's batches not yet taken, in order: the first is in the queue unless one
        # of the key's is under way (`_busy`); items for the key join the last.
        self._lines: dict[Hashable, deque[_Piece]] = {}
        self._busy: set[Hashable] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._serving = 0
        self._idle = asyncio.Event()
        self._idle.set()

    @contextmanager
    def serving(self) -> Iterator[None]:
        """Around the answer to a request: the workers give way to it."""
        self._serving += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._serving -= 1
            if self._serving == 0:
                self._idle.set()

    def start(self) -> None:
        if not self._tasks:
            self._tasks = [asyncio.create_task(self._work(), name=f"{self.name}-{index}")
                           for index in range(self._workers)]

    def submit(self, work: Work) -> bool:
        """Queue `work`; False when the queue is full (nothing was queued). The workers
        start with the first work, so a queue nobody submits to costs nothing."""
        return self._put(_Piece(work=work))

    def submit_together(self, key: Hashable, item: Item,
                        work: Callable[[list[Item]], Awaitable[object]]) -> bool:
        """Queue `item` for `work(items)`, run once with the other items of `key` queued
        before a worker takes them (at most `max_batch`; the `work` given with the first
        item is the one run), never while another batch of `key` runs. False when the
        queue is full (nothing was queued)."""
        if self._waiting >= self._capacity:
            return False
        line = self._lines.setdefault(key, deque())
        if line and len(line[-1].items) < self._max_batch:
            line[-1].items.append(item)
            self._waiting += 1
            return True
        piece = _Piece(key=key, items=[item], together=work)
        line.append(piece)
        self.start()
        self._waiting += 1
        if len(line) == 1 and key not in self._busy:
            self._queue.put_nowait(piece)
        return True

    def _put(self, piece: _Piece) -> bool:
        self.start()
        if self._waiting >= self._capacity:
            return False
        self._waiting += piece.size
        self._queue.put_nowait(piece)
        return True

    @property
    def backlog(self) -> int:
        """Items waiting for a worker."""
        return self._waiting

    async def drain(self, timeout: float) -> bool:  # noqa: ASYNC109
        """Wait until everything queued is done; False if `timeout` seconds passed first."""
        try:
            async with asyncio.timeout(timeout):
                await self._queue.join()
        except TimeoutError:
            return False
        return True

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    async def _work(self) -> None:
        while True:
            piece = await self._queue.get()
            if not self._idle.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), self._yield_s)
            if piece.key is not None:
                self._take(piece)
            self._waiting -= piece.size
            try:
                await piece.run()
            except Exception:
                # The work's own owner logs with context; this is the last line of defence
                # that keeps the worker alive.
                log.exception("%s: work failed", self.name)
            finally:
                if piece.key is not None:
                    self._done_with(piece.key)
                self._queue.task_done()

    def _take(self, piece: _Piece) -> None:
        """A key's first batch is taken: items for the key arriving from now on start the
        next one, which waits until this one is done. While requests are still being
        answered, only `max_batch_serving` items are taken, the rest waiting first in line:
        the work done meanwhile takes the processor from the answers."""
        assert piece.key is not None
        line = self._lines[piece.key]
        line.popleft()
        if not self._idle.is_set() and len(piece.items) > self._max_batch_serving:
            line.appendleft(_Piece(key=piece.key, items=piece.items[self._max_batch_serving:],
                                   together=piece.together))
            del piece.items[self._max_batch_serving:]
        if not line:
            del self._lines[piece.key]
        self._busy.add(piece.key)

    def _done_with(self, key: Hashable) -> None:
        self._busy.discard(key)
        line = self._lines.get(key)
        if line:
            self._queue.put_nowait(line[0])
