"""A nudge from the code that changed something to a loop that sleeps until it is due."""

from __future__ import annotations

import asyncio
from contextlib import suppress


class Wakeup:
    """`poke` wakes whoever `wait`s, now or at its next wait; pokes while nobody waits
    are kept as one, so a change made during a round is seen by the next."""

    def __init__(self) -> None:
        self._poked = asyncio.Event()

    def poke(self) -> None:
        self._poked.set()

    async def wait(self, within_s: float) -> bool:
        """Until poked or `within_s` seconds have passed; True when poked."""
        with suppress(TimeoutError):
            await asyncio.wait_for(self._poked.wait(), within_s)
        poked = self._poked.is_set()
        self._poked.clear()
        return poked
