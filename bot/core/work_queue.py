"""Work after Slack's ack, on a fixed number of workers fed by a bounded queue.

One task per event would let a burst of a major incident crowd the event loop (and the
database pool) until acks wait behind post-ack work. A bounded queue keeps the work in
hand finite: when it is full, `submit` says so at once and the caller leaves the work to
a slower path (the event inbox replays what was never done)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import suppress

log = logging.getLogger(__name__)

Work = Callable[[], Awaitable[object]]


class WorkQueue:
    def __init__(self, *, workers: int, capacity: int, name: str = "work") -> None:
        self.name = name
        self._workers = workers
        self._queue: asyncio.Queue[Work] = asyncio.Queue(maxsize=capacity)
        self._tasks: list[asyncio.Task[None]] = []

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
            try:
                await work()
            except Exception:
                # The work's own owner logs with context; this is the last line of defence
                # that keeps the worker alive.
                log.exception("%s: work failed", self.name)
            finally:
                self._queue.task_done()
