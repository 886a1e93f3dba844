"""Talks to an emulator process: its control surface (`/_emulator/`, the humans and the
recorded calls) and its response_url endpoint."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import aiohttp

# Seeding thousands of messages in one request would hold the emulator's loop for long.
SEED_CHUNK = 250


@dataclass(frozen=True)
class CallCounts:
    by_method: Counter[str] = field(default_factory=Counter)
    rate_limited_by_method: Counter[str] = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.by_method.values())

    @property
    def rate_limited(self) -> int:
        return sum(self.rate_limited_by_method.values())


class EmulatorApi:
    def __init__(self, session: aiohttp.ClientSession, api_url: str) -> None:
        self.session = session
        self.api_url = api_url
        self.base_url = api_url.removesuffix("/").removesuffix("/api")

    def response_url(self, key: str) -> str:
        return f"{self.base_url}/response/{key}"

    async def _get(self, path: str) -> dict[str, Any]:
        async with self.session.get(f"{self.base_url}/_emulator/{path}") as response:
            body: dict[str, Any] = await response.json()
        return body

    async def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        async with self.session.post(f"{self.base_url}/_emulator/{path}",
                                     json=payload) as response:
            body: dict[str, Any] = await response.json()
        if not body.get("ok"):
            raise RuntimeError(f"the emulator refused {path}: {body.get('error')}")
        return body

    async def post_messages(self, channel: str, authors: list[str],
                            texts: list[str]) -> list[dict[str, Any]]:
        """People's messages, oldest first; chunk after chunk, each by the next author."""
        messages: list[dict[str, Any]] = []
        for chunk, start in enumerate(range(0, len(texts), SEED_CHUNK)):
            body = await self._post("messages", {"channel": channel,
                                                 "user": authors[chunk % len(authors)],
                                                 "texts": texts[start:start + SEED_CHUNK]})
            messages.extend(body["messages"])
        return messages

    async def add_reactions(self, channel: str, name: str,
                            reactions: list[dict[str, str]]) -> None:
        for start in range(0, len(reactions), SEED_CHUNK):
            await self._post("reactions", {"channel": channel, "name": name,
                                           "reactions": reactions[start:start + SEED_CHUNK]})

    async def channels(self) -> list[dict[str, str]]:
        channels: list[dict[str, str]] = (await self._get("channels"))["channels"]
        return channels

    async def call_total(self) -> int:
        total: int = (await self._get(f"calls?since={2**62}"))["total"]
        return total

    async def calls_since(self, position: int) -> CallCounts:
        counts = CallCounts()
        for call in (await self._get(f"calls?since={position}"))["calls"]:
            counts.by_method[call["method"]] += 1
            if call["status"] == 429:
                counts.rate_limited_by_method[call["method"]] += 1
        return counts

    async def responses(self) -> list[dict[str, Any]]:
        """Every body posted to a response_url so far, with its key."""
        responses: list[dict[str, Any]] = (await self._get("responses"))["responses"]
        return responses

    async def wait_for_response(self, key: str, *, timeout_s: float) -> dict[str, Any]:
        """The first body the bot posted to the response_url with this key."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            for response in (await self._get("responses"))["responses"]:
                if response["key"] == key:
                    body: dict[str, Any] = response["body"]
                    return body
            await asyncio.sleep(0.1)
        raise TimeoutError(f"nothing was posted to response_url {key} within {timeout_s}s")

    async def wait_until_quiet(self, *, quiet_s: float, timeout_s: float) -> None:
        """Until no Web API call has come in for ``quiet_s`` (or ``timeout_s`` passed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        seen = await self.call_total()
        while loop.time() < deadline:
            await asyncio.sleep(quiet_s)
            total = await self.call_total()
            if total == seen:
                return
            seen = total
