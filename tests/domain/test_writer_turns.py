"""SQLite's writers take turns; a writer an ack waits for goes first (issue 9)."""

from __future__ import annotations

import asyncio

from bot.db.engine import WriterTurns


async def _write(turns: WriterTurns, name: str, order: list[str], *, urgent: bool,
                 hold: asyncio.Event | None = None) -> None:
    async with turns.turn(urgent):
        order.append(name)
        if hold is not None:
            await hold.wait()


async def test_an_urgent_writer_goes_before_the_writers_already_waiting() -> None:
    turns, order, hold = WriterTurns(), [], asyncio.Event()
    first = asyncio.create_task(_write(turns, "worker-1", order, urgent=False, hold=hold))
    await asyncio.sleep(0)
    waiting = [asyncio.create_task(_write(turns, f"worker-{n}", order, urgent=False))
               for n in (2, 3)]
    await asyncio.sleep(0)
    inbox = asyncio.create_task(_write(turns, "inbox", order, urgent=True))
    await asyncio.sleep(0)
    hold.set()
    await asyncio.gather(first, *waiting, inbox)
    assert order == ["worker-1", "inbox", "worker-2", "worker-3"]


async def test_a_writer_cancelled_while_waiting_does_not_keep_the_others_out() -> None:
    turns, order, hold = WriterTurns(), [], asyncio.Event()
    first = asyncio.create_task(_write(turns, "first", order, urgent=False, hold=hold))
    await asyncio.sleep(0)
    gone = asyncio.create_task(_write(turns, "gone", order, urgent=True))
    later = asyncio.create_task(_write(turns, "later", order, urgent=False))
    await asyncio.sleep(0)
    gone.cancel()
    hold.set()
    await asyncio.wait_for(asyncio.gather(first, later), timeout=5)
    assert order == ["first", "later"]
    async with asyncio.timeout(5), turns.turn(False):
        pass  # the turn is free again


async def test_a_writer_cancelled_as_its_turn_came_passes_the_turn_on() -> None:
    turns, order, hold = WriterTurns(), [], asyncio.Event()
    first = asyncio.create_task(_write(turns, "first", order, urgent=False, hold=hold))
    await asyncio.sleep(0)
    unlucky = asyncio.create_task(_write(turns, "unlucky", order, urgent=False))
    after = asyncio.create_task(_write(turns, "after", order, urgent=False))
    await asyncio.sleep(0)
    hold.set()
    await asyncio.sleep(0)  # "first" hands the turn to "unlucky", which has not run yet
    unlucky.cancel()
    await asyncio.wait_for(asyncio.gather(first, after), timeout=5)
    assert "after" in order and "unlucky" not in order
