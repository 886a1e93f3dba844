"""The after-ack queue: work of one key that waits together is done together, the queue's
bound counts every item, and a full queue says so at once."""

from __future__ import annotations

import asyncio

from bot.core.work_queue import WorkQueue


async def test_items_of_one_key_waiting_together_are_done_in_one_batch() -> None:
    queue = WorkQueue(workers=2, capacity=100, name="test")
    done: list[tuple[str, list[int]]] = []

    async def store(key: str, items: list[int]) -> None:
        done.append((key, items))

    try:
        for item in range(5):
            for key in ("C1", "C2"):
                assert queue.submit_together(key, item, lambda items, k=key: store(k, items))
        assert queue.backlog == 10
        assert await queue.drain(5.0)
    finally:
        await queue.stop()
    assert sorted(done) == [("C1", [0, 1, 2, 3, 4]), ("C2", [0, 1, 2, 3, 4])]
    assert queue.backlog == 0


async def test_items_arriving_once_a_batch_is_taken_start_the_next_one() -> None:
    queue = WorkQueue(workers=1, capacity=100, name="test", max_batch=3)
    batches: list[list[int]] = []
    first_taken = asyncio.Event()
    go_on = asyncio.Event()

    async def store(items: list[int]) -> None:
        batches.append(items)
        first_taken.set()
        await go_on.wait()

    try:
        queue.submit_together("C1", 0, store)
        await first_taken.wait()
        for item in range(1, 8):  # more than a batch holds while the first is under way
            queue.submit_together("C1", item, store)
        go_on.set()
        assert await queue.drain(5.0)
    finally:
        await queue.stop()
    assert batches == [[0], [1, 2, 3], [4, 5, 6], [7]]


async def test_a_full_queue_refuses_at_once_counting_batched_items() -> None:
    queue = WorkQueue(workers=1, capacity=3, name="test")

    async def store(items: list[int]) -> None:
        pass

    async def other() -> None:
        pass

    try:
        assert queue.submit_together("C1", 1, store)
        assert queue.submit_together("C1", 2, store)
        assert queue.submit(other)
        assert not queue.submit_together("C1", 3, store)
        assert not queue.submit_together("C2", 1, store)
        assert not queue.submit(other)
        assert await queue.drain(5.0)
        assert queue.submit_together("C1", 4, store)
    finally:
        await queue.stop()


async def test_a_batch_that_fails_leaves_the_workers_running() -> None:
    queue = WorkQueue(workers=1, capacity=10, name="test")
    done: list[list[int]] = []

    async def fail(items: list[int]) -> None:
        raise RuntimeError("database gone")

    async def store(items: list[int]) -> None:
        done.append(items)

    try:
        queue.submit_together("C1", 1, fail)
        assert await queue.drain(5.0)
        queue.submit_together("C1", 2, store)
        assert await queue.drain(5.0)
    finally:
        await queue.stop()
    assert done == [[2]]


async def test_batches_of_one_key_run_one_after_another_and_other_keys_meanwhile() -> None:
    queue = WorkQueue(workers=4, capacity=100, name="test", max_batch=2)
    running: dict[str, int] = {"C1": 0, "C2": 0}
    most: dict[str, int] = {"C1": 0, "C2": 0}
    both_keys_at_once = False

    async def store(key: str, items: list[int]) -> None:
        nonlocal both_keys_at_once
        running[key] += 1
        most[key] = max(most[key], running[key])
        both_keys_at_once = both_keys_at_once or all(running.values())
        await asyncio.sleep(0.01)
        running[key] -= 1

    try:
        for item in range(6):
            for key in ("C1", "C2"):
                queue.submit_together(key, item, lambda items, k=key: store(k, items))
        assert await queue.drain(5.0)
    finally:
        await queue.stop()
    assert most == {"C1": 1, "C2": 1}
    assert both_keys_at_once


async def test_while_requests_are_answered_batches_stay_small_and_the_rest_follows() -> None:
    queue = WorkQueue(workers=1, capacity=100, name="test", yield_s=0.01,
                      max_batch_serving=3)
    batches: list[list[int]] = []
    two_done = asyncio.Event()

    async def store(items: list[int]) -> None:
        batches.append(list(items))
        if len(batches) == 2:
            two_done.set()

    try:
        with queue.serving():
            for item in range(7):
                queue.submit_together("C1", item, store)
            await asyncio.wait_for(two_done.wait(), 5.0)
        assert await queue.drain(5.0)
    finally:
        await queue.stop()
    assert batches[:2] == [[0, 1, 2], [3, 4, 5]]
    assert batches[2:] == [[6]]  # the answers are out: the rest in one go
