"""Slack's failures: what still fails after the client's retries.

A refusal by Slack is not a rule of the incident, so it is a family of its own, apart
from `bot.domain.errors`: the use case decides whether it undoes anything, and the person
is told in `wording.slack_failure`'s words. The failure itself carries only what Slack
said (which method, which error code), so `str()` is for the log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


class SlackFailure(Exception):
    """Slack said no after the client's retries."""

    def __init__(self, method: str, error: str, *, needed: str | None = None) -> None:
        super().__init__(f"Slack {method} failed: {error}")
        self.method = method
        self.error = error
        # The scope Slack says is missing, on missing_scope.
        self.needed = needed


def failure_from(method: str, exc: SlackApiError) -> SlackFailure:
    response = exc.response
    status = getattr(response, "status_code", None)
    error = str(response.get("error") or (f"http_{status}" if status else "unknown_error"))
    if status == 429:
        error = "ratelimited"
    needed = response.get("needed")
    log.warning("Slack %s failed: %s (http %s, needed=%s)", method, error, status, needed)
    return SlackFailure(method, error, needed=str(needed) if needed else None)


@contextmanager
def as_failure(method: str) -> Iterator[None]:
    """Slack's API errors inside become `SlackFailure`s of `method`."""
    try:
        yield
    except SlackApiError as exc:
        raise failure_from(method, exc) from exc


class MembershipUnknown(SlackFailure):
    """Slack would not say who is in a channel, so whether a person may act there is
    unknown. Refused rather than allowed: an outage must not open incidents to everyone."""

    def __init__(self, failure: SlackFailure, channel_id: str) -> None:
        super().__init__(failure.method, failure.error, needed=failure.needed)
        self.channel_id = channel_id
