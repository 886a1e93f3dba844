"""The first thing every request meets in the Bolt app: is it Slack's, and is it whole?

It takes the place of Bolt's own request verification, which logs the unsigned body it
refuses (a forger's newlines become log records of their own) and raises on a timestamp
that is not a number, handing the unverified request to the app's error handler. Here a
request that is not signed is refused with 401 and one fixed line; a signed one that lacks
what its handler reads (`bot.slack.request_shapes`) with 400 and one line naming the field.
Socket Mode requests arrive over Slack's own authenticated connection and carry no
signature; only their shape is checked."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from slack_bolt.middleware.async_middleware import AsyncMiddleware
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse

from bot.slack.request_shapes import problem_with
from bot.slack.signatures import SlackSignatures

log = logging.getLogger(__name__)

SOCKET_MODE = "socket_mode"
# Set by `bot.server` on a request whose signature it checked on the raw bytes before
# parsing, so the check is not made twice (it is, per request, as dear as the rest of the gate).
VERIFIED_AT_THE_EDGE = "sitrep_verified_at_the_edge"


def not_signed() -> BoltResponse:
    return BoltResponse(status=401, body={"error": "invalid request"})


def malformed() -> BoltResponse:
    return BoltResponse(status=400, body={"error": "malformed request"})


def from_slack(request: AsyncBoltRequest, signatures: SlackSignatures | None) -> bool:
    """Socket Mode, or a valid signature on the body exactly as received."""
    if request.context.get(VERIFIED_AT_THE_EDGE):
        return True
    if request.mode == SOCKET_MODE or signatures is None:
        return request.mode == SOCKET_MODE
    headers = {name: values[0] for name, values in request.headers.items() if values}
    return signatures.verified(request.raw_body, headers)


class RequestGate(AsyncMiddleware):
    def __init__(self, signatures: SlackSignatures | None) -> None:
        """`signatures` None: Socket Mode only; a request over HTTP is then never trusted."""
        self.signatures = signatures

    async def async_process(self, *, req: AsyncBoltRequest, resp: BoltResponse,
                            next: Callable[[], Awaitable[BoltResponse]]) -> BoltResponse:
        if not from_slack(req, self.signatures):
            log.warning("refused a request without a valid Slack signature")
            return not_signed()
        problem = problem_with(req.body)
        if problem is not None:
            log.warning("refused a malformed request from Slack (%s)", problem)
            return malformed()
        return await next()
