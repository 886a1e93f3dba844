"""How the Web API client rides out Slack's bad moments, and where it stops.

slack-sdk's handlers retry a 429 after Retry-After, a 500/503 and a dropped connection.
Three things change here:
- a rate limit is waited out only while the wait is short (`MAX_RETRY_AFTER_S` at a time,
  `MAX_RATE_LIMIT_WAIT_S` in all for one call): a person is waiting, and a
  `Retry-After: 15` three times over is most of a minute with no word. Beyond that the
  call fails as `ratelimited`, and the person is told;
- a call that creates something (`NOT_REPEATED_BLINDLY`) is not sent again after a 5xx or
  a dropped connection, since Slack may have done it already; the gateway looks first;
- whoever waits on the work is told Slack is slow (`bot.slack.slowness`) before a wait."""

from __future__ import annotations

from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.slack import slowness

MAX_RETRY_AFTER_S = 10
MAX_RATE_LIMIT_WAIT_S = 20
# A person hears about a wait at least this long; shorter ones pass unremarked.
NOTICEABLE_WAIT_S = 3
NOT_REPEATED_BLINDLY = frozenset({"conversations.create"})
_WAITED = "rate_limit_waited_s"


def retry_after_s(response: HttpResponse) -> int | None:
    for name, values in response.headers.items():
        if name.lower() == "retry-after":
            value = values[0] if values else ""
            return int(value) if str(value).isdigit() else None
    return None


def _method(request: HttpRequest) -> str:
    return request.url.rstrip("/").rsplit("/", 1)[-1]


class CappedRateLimitRetryHandler(AsyncRateLimitErrorRetryHandler):
    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None,
                               error: Exception | None = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wait = retry_after_s(response) or 1
        waited = (state.custom_values or {}).get(_WAITED, 0)
        if wait > MAX_RETRY_AFTER_S or waited + wait > MAX_RATE_LIMIT_WAIT_S:
            return False
        state.custom_values = {**(state.custom_values or {}), _WAITED: waited + wait}
        if wait >= NOTICEABLE_WAIT_S:
            await slowness.report()
        return True


class CarefulServerErrorRetryHandler(AsyncServerErrorRetryHandler):
    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None,
                               error: Exception | None = None) -> bool:
        return await _carefully(request, await super()._can_retry_async(
            state=state, request=request, response=response, error=error))


class CarefulConnectionErrorRetryHandler(AsyncConnectionErrorRetryHandler):
    async def _can_retry_async(self, *, state: RetryState, request: HttpRequest,
                               response: HttpResponse | None = None,
                               error: Exception | None = None) -> bool:
        return await _carefully(request, await super()._can_retry_async(
            state=state, request=request, response=response, error=error))


async def _carefully(request: HttpRequest, retryable: bool) -> bool:
    """A retry slack-sdk would make, unless the call must not be repeated blindly; the
    person waiting hears that Slack is slow."""
    if not retryable or _method(request) in NOT_REPEATED_BLINDLY:
        return False
    await slowness.report()
    return True
