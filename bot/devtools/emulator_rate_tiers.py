"""Slack's published per-method rate limits, for an emulator that should throttle like Slack.

Slack limits each Web API method per app per workspace, in tiers (docs.slack.dev, "Rate
limits"): Tier 1 about 1 call a minute, Tier 2 about 20, Tier 3 about 50, Tier 4 about 100,
each "+" with some burst tolerated. A few methods have special limits: ``chat.postMessage``
about one message a second per channel (short bursts allowed) under a workspace-wide limit
of several hundred a minute; ``auth.test`` and ``chat.getPermalink`` "hundreds of requests
per minute". Beyond a limit Slack answers HTTP 429 with ``Retry-After`` (whole seconds).

Each limit is a token bucket: it holds up to ``burst`` calls, refilled at ``per_minute``
a minute, so a quiet app may spend a minute's allowance at once and then gets the steady
rate. A refused call spends nothing, as a retried call would otherwise never get through.

Slack's change of 2025 limits ``conversations.history`` and ``conversations.replies`` to one
call a minute (15 messages a page) for commercially distributed apps outside the Marketplace;
internal and Marketplace apps keep Tier 3, which is what is modelled here (pass ``limits``
to model the stricter one).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limit:
    per_minute: float
    # Calls allowed at once after a quiet spell; by default one minute's allowance.
    burst: float | None = None

    @property
    def capacity(self) -> float:
        return self.per_minute if self.burst is None else self.burst

    @property
    def per_second(self) -> float:
        return self.per_minute / 60.0


TIER_1 = Limit(1)
TIER_2 = Limit(20)
TIER_3 = Limit(50)
TIER_4 = Limit(100)
# "Hundreds of requests per minute" (auth.test, chat.getPermalink): read as 600.
HUNDREDS = Limit(600)
# chat.postMessage: "1 message per second to a specific channel", "generous burst behavior";
# the burst size is not published, so a modest one is assumed.
POST_MESSAGE_PER_CHANNEL = Limit(60, burst=10)
# "Several hundred messages per minute" across the workspace.
POST_MESSAGE_PER_WORKSPACE = Limit(300)

# Every method the emulator implements, with the tier its page on docs.slack.dev names.
METHOD_LIMITS: dict[str, Limit] = {
    "api.test": TIER_4,
    "apps.connections.open": TIER_1,
    "auth.test": HUNDREDS,
    "canvases.access.set": TIER_3,
    "canvases.create": TIER_2,
    "canvases.delete": TIER_3,
    "canvases.edit": TIER_3,
    "chat.delete": TIER_3,
    "chat.getPermalink": HUNDREDS,
    "chat.postEphemeral": TIER_4,
    "chat.postMessage": POST_MESSAGE_PER_WORKSPACE,
    "chat.update": TIER_3,
    "conversations.archive": TIER_2,
    "conversations.canvases.create": TIER_2,
    "conversations.create": TIER_2,
    "conversations.history": TIER_3,
    "conversations.info": TIER_3,
    "conversations.invite": TIER_3,
    "conversations.join": TIER_3,
    "conversations.list": TIER_2,
    "conversations.members": TIER_4,
    "users.conversations": TIER_3,
    "conversations.open": TIER_3,
    "conversations.rename": TIER_2,
    "conversations.replies": TIER_3,
    "conversations.setPurpose": TIER_2,
    "conversations.setTopic": TIER_2,
    "conversations.unarchive": TIER_2,
    "files.completeUploadExternal": TIER_4,
    "files.getUploadURLExternal": TIER_4,
    "files.info": TIER_4,
    "files.upload": TIER_2,
    "pins.add": TIER_2,
    "pins.list": TIER_2,
    "pins.remove": TIER_2,
    "reactions.add": TIER_3,
    "reactions.get": TIER_3,
    "reactions.remove": TIER_2,
    "users.info": TIER_4,
    "users.list": TIER_2,
    "users.lookupByEmail": TIER_3,
    "views.open": TIER_4,
    "views.publish": TIER_4,
    "views.push": TIER_4,
    "views.update": TIER_4,
}

# Limits that apply per channel (the ``channel`` argument), on top of the method's own.
PER_CHANNEL_LIMITS: dict[str, Limit] = {"chat.postMessage": POST_MESSAGE_PER_CHANNEL}


class _Bucket:
    def __init__(self, limit: Limit, now: float) -> None:
        self.limit = limit
        self.tokens = limit.capacity
        self.updated = now

    def refill(self, now: float) -> None:
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(self.limit.capacity, self.tokens + elapsed * self.limit.per_second)
        self.updated = now

    def wait(self) -> float:
        """Seconds until one call fits (0 when it fits now); call after ``refill``."""
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.limit.per_second


class RateTiers:
    """Admits or refuses Web API calls by Slack's per-method limits, on a clock tests move."""

    def __init__(
        self,
        now: Callable[[], float],
        *,
        limits: Mapping[str, Limit] | None = None,
        per_channel: Mapping[str, Limit] | None = None,
    ) -> None:
        self._now = now
        self.limits = {**METHOD_LIMITS, **(limits or {})}
        self.per_channel = dict(PER_CHANNEL_LIMITS if per_channel is None else per_channel)
        self._buckets: dict[tuple[str, str], _Bucket] = {}

    def admit(self, method: str, args: Mapping[str, Any]) -> int | None:
        """None when the call may go ahead (and is counted); otherwise the ``Retry-After``
        Slack would send: whole seconds until the call would be allowed, at least 1."""
        now = self._now()
        buckets = [self._bucket((method, ""), self.limits[method], now)]
        channel_limit = self.per_channel.get(method)
        if channel_limit is not None:
            channel = str(args.get("channel") or "")
            buckets.append(self._bucket((method, channel), channel_limit, now))
        for bucket in buckets:
            bucket.refill(now)
        wait = max(bucket.wait() for bucket in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.tokens -= 1
        return None

    def _bucket(self, key: tuple[str, str], limit: Limit, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(limit, now)
        return bucket
