"""The Web API client, counted in one place for `GET /metrics`: every call by method and
outcome with its time (`MeteredWebClient`), and every 429 Slack answers, those the client
waits out and retries included (`RateLimitCounter`)."""

from __future__ import annotations

import re
import time
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from bot.core.metrics import SLACK_API_CALL_SECONDS, SLACK_API_CALLS, SLACK_API_RATE_LIMITED
from bot.slack.failures import CONNECTION_LOST, TIMEOUT, slack_error

OK = "ok"
# Slack's error codes are short snake_case words; anything else is not made a series.
_ERROR_CODE = re.compile(r"^[a-z0-9_]{1,60}$")
OTHER = "other"


class MeteredWebClient(AsyncWebClient):
    async def api_call(self, api_method: str, **kwargs: Any) -> AsyncSlackResponse:
        started = time.perf_counter()
        outcome = OTHER
        try:
            response = await super().api_call(api_method, **kwargs)
            outcome = OK
            return response
        except SlackApiError as exc:
            error = slack_error(exc)[0]
            outcome = error if _ERROR_CODE.match(error) else OTHER
            raise
        except TimeoutError:
            outcome = TIMEOUT
            raise
        except ClientError:
            outcome = CONNECTION_LOST
            raise
        finally:
            SLACK_API_CALLS.labels(api_method, outcome).inc()
            SLACK_API_CALL_SECONDS.labels(api_method).observe(time.perf_counter() - started)


class RateLimitCounter(AsyncRetryHandler):
    """First among the retry handlers, so it sees every answer; it never retries itself."""

    async def can_retry_async(self, *, state: RetryState, request: HttpRequest,
                              response: HttpResponse | None = None,
                              error: Exception | None = None) -> bool:
        if response is not None and response.status_code == 429:
            method = urlsplit(request.url).path.rsplit("/", 1)[-1]
            SLACK_API_RATE_LIMITED.labels(method if _METHOD.match(method) else OTHER).inc()
        return False


_METHOD = re.compile(r"^[A-Za-z.]{1,60}$")
