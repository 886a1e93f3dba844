"""Slack's failures: what still fails after the client's retries, in plain words.

A refusal by Slack is not a rule of the incident, so it is its own family; the use case
decides what the person is told, and `str()` of a failure is the sentence for them."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from slack_sdk.errors import SlackApiError

from bot.domain.errors import IncidentError

log = logging.getLogger(__name__)

PLAIN_WORDS = {
    "missing_scope": "Sitrep's Slack app is missing a permission it needs ({needed}). Ask a "
                     "workspace admin to reinstall it from app.yaml.",
    "channel_not_found": "Slack can't find that channel (channel_not_found); it may be "
                         "private or deleted.",
    "not_in_channel": "Sitrep isn't a member of that channel (not_in_channel). Invite it with "
                      "`/invite @Sitrep` and try again.",
    "is_archived": "That channel is archived (is_archived), so Sitrep can't post in it.",
    "ratelimited": "Slack is rate-limiting Sitrep right now (ratelimited). Please try again "
                   "in a minute.",
    "restricted_action": "Your workspace's settings don't let Sitrep do that "
                         "(restricted_action). Ask a workspace admin.",
    "name_taken": "Every channel name Sitrep tried is taken (name_taken).",
    "invalid_auth": "Sitrep's Slack token was refused (invalid_auth). Check SLACK_BOT_TOKEN.",
    "token_revoked": "Sitrep's Slack token was revoked (token_revoked). Reinstall the app.",
    "account_inactive": "Sitrep's Slack token belongs to a deactivated app (account_inactive).",
}


class SlackFailure(IncidentError):
    """Slack said no after the client's retries. `str()` is the sentence for the person."""

    def __init__(self, method: str, error: str, sentence: str) -> None:
        super().__init__(sentence)
        self.method = method
        self.error = error


def failure_from(method: str, exc: SlackApiError) -> SlackFailure:
    response = exc.response
    status = getattr(response, "status_code", None)
    error = str(response.get("error") or (f"http_{status}" if status else "unknown_error"))
    if status == 429:
        error = "ratelimited"
    template = PLAIN_WORDS.get(error)
    if template is None:
        sentence = f"Slack refused {method} ({error}). Please try again; if it keeps " \
                   "happening, tell whoever runs Sitrep."
    else:
        sentence = template.format(needed=response.get("needed") or "a scope")
    log.warning("Slack %s failed: %s (http %s, needed=%s)", method, error, status,
                response.get("needed"))
    return SlackFailure(method, error, sentence)


@contextmanager
def plain_words(method: str) -> Iterator[None]:
    try:
        yield
    except SlackApiError as exc:
        raise failure_from(method, exc) from exc


