"""Work after Slack's ack, on a fixed number of workers fed by a bounded queue.

One task per event would let a burst of a major incident crowd the event loop (and the
database pool) until acks wait behind post-ack work. A bounded queue keeps the work in
hand finite: when it is full, `submit` says so at once and the caller leaves the work to
a slower path (the event inbox replays what was never done).

Acks come first: Slack resends what is not acknowledged within 3 seconds, while the work
after the ack may take a little longer. While requests are being answered (`serving`),
a worker waits before its next piece of work, up to `yield_s`, so a burst of acks is
answered at full speed and its work done right after; a steady stream still gets its work
done, a piece per worker every `yield_s`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[object]]


class WorkQueue:
    def __init__(self, *, workers: int, capacity: int, name: str = "work",
                 yield_s: float = 0.5) -> None:
        self.name = name
        self._workers = workers
        self._yield_s = yield_s
        self._queue: asyncio.Queue[Work] = asyncio.Queue(maxsize=capacity)
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
        self.start()
        try:
            self._queue.put_nowait(work)
        except asyncio.QueueFull:
            return False
        return True

    @property
    def backlog(self) -> int:
        return self._queue.qsize()

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
            work = await self._queue.get()
            if not self._idle.is_set():
                with suppress(TimeoutError):
                    await asyncio.wait_for(self._idle.wait(), self._yield_s)
            try:
                await work()
            except Exception:
                # The work's own owner logs with context; this is the last line of defence
                # that keeps the worker alive.
                log.exception("%s: work failed", self.name)
            finally:
                self._queue.task_done()
