"""Slack's failures: what still fails after the client's retries.

A refusal by Slack is not a rule of the incident, so it is a family of its own, apart
from `bot.domain.errors`: the use case decides whether it undoes anything, and the person
is told in `wording.slack_failure`'s words. The failure itself carries only what Slack
said (which method, which error code), so `str()` is for the log.

Slack not answering at all (a timeout, a dropped connection) is a failure too, with an
error code of our own (`TIMEOUT`, `CONNECTION_LOST`): whatever was asked may or may not
have been done."""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import ClientError
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)

# Error codes for Slack not answering; they are not Slack's own.
TIMEOUT = "timeout"
CONNECTION_LOST = "connection_lost"
RATELIMITED = "ratelimited"
# Slack's own codes for trouble on its side, sent with HTTP 200 (its docs: "retry later").
_SLACK_SIDE_ERRORS = frozenset({"internal_error", "fatal_error", "service_unavailable",
                                "request_timeout"})


class SlackFailure(Exception):
    """Slack said no after the client's retries, or did not answer."""

    def __init__(self, method: str, error: str, *, needed: str | None = None) -> None:
        super().__init__(f"Slack {method} failed: {error}")
        self.method = method
        self.error = error
        # The scope Slack says is missing, on missing_scope.
        self.needed = needed

    @property
    def outcome_unknown(self) -> bool:
        """Slack may have done what was asked even so: its answer never arrived, or it
        failed on its side part way."""
        return self.error in {TIMEOUT, CONNECTION_LOST} or self.error.startswith("http_5")

    @property
    def passing(self) -> bool:
        """Slack's own bad moment (an outage, a rate limit, no answer), not a refusal of
        what was asked: the same request may well succeed later."""
        return self.outcome_unknown or self.error == RATELIMITED or \
            self.error in _SLACK_SIDE_ERRORS


def slack_error(exc: SlackApiError) -> tuple[str, int | None, str | None]:
    """Slack's error code, the HTTP status and the missing scope, read safely: a 5xx from
    Slack's edge comes with a text or HTML body instead of JSON."""
    response = exc.response
    status = getattr(response, "status_code", None)
    data: Any = getattr(response, "data", None)
    body = data if isinstance(data, dict) else {}
    if status == 429:
        return RATELIMITED, status, None
    error = body.get("error")
    if not isinstance(error, str) or not error:
        error = f"http_{status}" if status and status >= 300 else "unknown_error"
    needed = body.get("needed")
    return error, status, str(needed) if needed else None


def failure_from(method: str, exc: BaseException, *,
                 expected: Collection[str] = ()) -> SlackFailure:
    """The failure an exception from the Web API client stands for. Errors in `expected`
    are answers the caller handles (name_taken, already_pinned…), so not logged."""
    if isinstance(exc, SlackApiError):
        error, status, needed = slack_error(exc)
    else:
        error, status, needed = (TIMEOUT if isinstance(exc, TimeoutError) else CONNECTION_LOST,
                                 None, None)
    if error not in expected:
        log.warning("Slack %s failed: %s (http %s, needed=%s)", method, error, status, needed)
    return SlackFailure(method, error, needed=needed)


@contextmanager
def as_failure(method: str, *, expected: Collection[str] = ()) -> Iterator[None]:
    """Slack's API errors inside, and Slack not answering, become `SlackFailure`s of
    `method`."""
    try:
        yield
    except (SlackApiError, TimeoutError, ClientError) as exc:
        raise failure_from(method, exc, expected=expected) from exc


class MembershipUnknown(SlackFailure):
    """Slack would not say who is in a channel, so whether a person may act there is
    unknown. Refused rather than allowed: an outage must not open incidents to everyone."""

    def __init__(self, failure: SlackFailure, channel_id: str) -> None:
        super().__init__(failure.method, failure.error, needed=failure.needed)
        self.channel_id = channel_id
