"""A burst of signed Slack requests over real HTTP, with each one's status and ack time.

Bodies are built and signed before the clock starts, so the load generator's own work is
not in the figures; N workers share one connection pool of N connections, each sending its
next request as soon as the last was answered (a closed loop, like Slack's delivery
workers)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

import aiohttp

from bot.devtools.signed_client import sign

# Slack gives up on an event not acknowledged within 3 seconds, and sends it again.
SLACK_ACK_DEADLINE_S = 3.0
# A request that long without an answer counts as lost rather than holding the run.
REQUEST_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class SignedRequest:
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Ack:
    index: int
    # The HTTP status, or 0 when no answer came (refused connection, timeout, cut short).
    status: int
    latency_s: float
    # Wall-clock time (Unix seconds) the answer arrived: compared with rows' created_at.
    acked_at: float


@dataclass(frozen=True)
class Burst:
    acks: list[Ack]
    started_at: float
    ended_at: float

    @property
    def duration_s(self) -> float:
        return max(self.ended_at - self.started_at, 1e-9)

    @property
    def throughput(self) -> float:
        answered = sum(1 for ack in self.acks if ack.status != 0)
        return answered / self.duration_s

    @property
    def non_2xx(self) -> int:
        return sum(1 for ack in self.acks if not 200 <= ack.status < 300)

    @property
    def over_deadline(self) -> int:
        return sum(1 for ack in self.acks if ack.latency_s > SLACK_ACK_DEADLINE_S)


def signed(bodies: Sequence[str], content_type: str, signing_secret: str) -> list[SignedRequest]:
    timestamp = str(int(time.time()))
    return [
        SignedRequest(
            body=body.encode(),
            headers={
                "Content-Type": content_type,
                "X-Slack-Request-Timestamp": timestamp,
                "X-Slack-Signature": sign(signing_secret, timestamp, body),
            },
        )
        for body in bodies
    ]


async def fire(url: str, requests: Sequence[SignedRequest], *, connections: int,
               limit_s: float) -> Burst:
    """POST every request to ``url`` over ``connections`` connections; stops sending after
    ``limit_s`` seconds (what was not sent counts as unanswered)."""
    results: list[Ack | None] = [None] * len(requests)
    next_index = iter(range(len(requests)))
    connector = aiohttp.TCPConnector(limit=connections, force_close=False)
    timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_S)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s

    async def worker(session: aiohttp.ClientSession) -> None:
        for index in next_index:
            if loop.time() > deadline:
                return
            request = requests[index]
            started = time.perf_counter()
            status = 0
            try:
                async with session.post(url, data=request.body,
                                        headers=request.headers) as response:
                    await response.read()
                    status = response.status
            except (aiohttp.ClientError, TimeoutError):
                status = 0
            results[index] = Ack(index, status, time.perf_counter() - started, time.time())

    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        started_at = time.time()
        await asyncio.gather(*(worker(session) for _ in range(connections)))
        ended_at = time.time()
    acks = [ack if ack is not None else Ack(i, 0, float("inf"), ended_at)
            for i, ack in enumerate(results)]
    return Burst(acks=acks, started_at=started_at, ended_at=ended_at)
