"""Builds the Bolt app from settings and registers every Slack surface, in one visible list."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import ClientSession, ClientTimeout
from slack_bolt.async_app import AsyncApp
from slack_bolt.error import BoltUnhandledRequestError
from slack_bolt.logger.messages import warning_client_prioritized_and_token_skipped
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_bolt.response import BoltResponse
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.clock import Clock
from bot.core.settings import Settings
from bot.db.engine import SessionFactory
from bot.db.group_commit import GroupCommit
from bot.deps import Deps
from bot.domain.inbox import receive_many
from bot.pagerduty.people import PagerDutyPeople
from bot.retro.render import Renderer
from bot.slack import wording
from bot.slack.gateway import SlackGateway
from bot.slack.metered_client import MeteredWebClient, RateLimitCounter
from bot.slack.request_shapes import MalformedRequest
from bot.slack.response_urls import may_answer
from bot.slack.retry_handlers import (
    CappedRateLimitRetryHandler,
    CarefulConnectionErrorRetryHandler,
    CarefulServerErrorRetryHandler,
)
from bot.slack.signatures import SlackSignatures
from handlers import (
    card_actions,
    follow_up_actions,
    incident_command,
    log_context,
    modals,
    reminder_actions,
    slack_notices,
    timeline_events,
    timeline_shortcut,
)
from handlers.request_gate import RequestGate, from_slack, malformed

log = logging.getLogger(__name__)

# Slack asks clients to honour Retry-After; a few short tries ride out a burst without
# making a person wait minutes for an answer (the caps: bot/slack/retry_handlers.py).
RATE_LIMIT_RETRIES = 3
CONNECTION_RETRIES = 2
SERVER_ERROR_RETRIES = 2
# How long one Web API call may take. A call that takes longer fails as a timeout
# (`bot.slack.failures.TIMEOUT`) rather than keeping the person waiting.
WEB_API_TIMEOUT_S = 30

SURFACES = (slack_notices, incident_command, card_actions, modals, timeline_events,
            timeline_shortcut, follow_up_actions, reminder_actions)


def build_http_session() -> ClientSession:
    """The HTTP session every Web API call shares. slack-sdk applies its own timeout only
    to sessions it makes itself, so a shared one carries the same limit."""
    return ClientSession(timeout=ClientTimeout(total=WEB_API_TIMEOUT_S))


def build_web_client(settings: Settings, *, session: ClientSession | None = None,
                     wait_out_rate_limits: bool = True,
                     timeout: float = WEB_API_TIMEOUT_S) -> AsyncWebClient:
    """A Web API client. Given a `session` (`build_http_session`), every call reuses its
    connections instead of opening one per call. Without `wait_out_rate_limits` a 429
    fails at once (for calls nobody waits on)."""
    retry_handlers: list[AsyncRetryHandler] = [
        RateLimitCounter(),
        CarefulConnectionErrorRetryHandler(max_retry_count=CONNECTION_RETRIES),
        CarefulServerErrorRetryHandler(max_retry_count=SERVER_ERROR_RETRIES),
    ]
    if wait_out_rate_limits:
        retry_handlers.insert(1, CappedRateLimitRetryHandler(
            max_retry_count=RATE_LIMIT_RETRIES))
    return MeteredWebClient(token=settings.slack_bot_token, base_url=settings.slack_api_url,
                            session=session, retry_handlers=retry_handlers,
                            timeout=timeout)  # type: ignore[arg-type]


def build_gateway(settings: Settings, session: ClientSession | None = None) -> SlackGateway:
    return SlackGateway(build_web_client(settings, session=session),
                        cosmetic_client=build_web_client(settings, session=session,
                                                         wait_out_rate_limits=False))


def build_deps(settings: Settings, sessions: SessionFactory, *, clock: Clock,
               renderer: Renderer, http: ClientSession | None = None) -> Deps:
    """Everything handlers and use cases are given, wired once, as `sitrep serve` runs it."""
    pagerduty = (PagerDutyPeople(settings.pagerduty_api_url, settings.pagerduty_api_token,
                                 http) if settings.pagerduty_api_token else None)
    return Deps(settings=settings, sessions=sessions, clock=clock,
                slack=build_gateway(settings, http), retro=renderer,
                inbox_writes=GroupCommit(sessions, receive_many, name="event-inbox"),
                pagerduty=pagerduty)


def build_app(deps: Deps) -> AsyncApp:
    settings = deps.settings
    signatures = (SlackSignatures(settings.slack_signing_secret)
                  if settings.slack_signing_secret else None)
    with _single_workspace():
        app = _bolt_app(deps, signatures)
    log_context.register(app)
    for surface in SURFACES:
        surface.register(app, deps)
    app.error(error_handler(settings.slack_api_url, signatures))
    return app


# Bolt switches to OAuth-install mode by itself when these are in the environment, and then
# ignores the bot token. Sitrep is installed in one workspace; the dashboard's Sign in with
# Slack uses the same two variables (bot/web/sign_in.py).
_OAUTH_INSTALL_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET")


@contextmanager
def _single_workspace() -> Iterator[None]:
    """Bolt's constructor does not see SLACK_CLIENT_ID and SLACK_CLIENT_SECRET, so the app
    stays the single-workspace app of SLACK_BOT_TOKEN. Only the constructor reads them,
    once at start-up, before anything else runs."""
    hidden = {name: os.environ.pop(name) for name in _OAUTH_INSTALL_VARIABLES
              if name in os.environ}
    try:
        yield
    finally:
        os.environ.update(hidden)


def _bolt_app(deps: Deps, signatures: SlackSignatures | None) -> AsyncApp:
    settings = deps.settings
    return AsyncApp(
        # One client for listeners and the gateway: one set of retry handlers and limits.
        client=deps.slack.client,
        signing_secret=settings.slack_signing_secret,
        # The gate checks signatures (HTTP) and shapes (both modes) before anything reads
        # the request; Bolt's own check would log the unsigned body (handlers/request_gate).
        request_verification_enabled=False,
        before_authorize=RequestGate(signatures),
        # Unmatched requests reach the error handler, which logs one line without the body.
        raise_error_for_unhandled_request=True,
        logger=_bolt_logger(),
    )


def _bolt_logger() -> logging.Logger:
    """Bolt's logger, without the warning it gives whenever SLACK_BOT_TOKEN is set in the
    environment (Bolt reads it there by itself) and a client is passed: that client holds
    the very same token, so the warning only alarms whoever reads the log."""
    logger = logging.getLogger("sitrep.bolt")
    if not any(isinstance(f, _TokenUnusedWarning) for f in logger.filters):
        logger.addFilter(_TokenUnusedWarning())
    return logger


class _TokenUnusedWarning(logging.Filter):
    # Bolt's own words, so a new wording in a later Bolt is still matched.
    _WORDS = warning_client_prioritized_and_token_skipped()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.msg != self._WORDS


def error_handler(slack_api_url: str, signatures: SlackSignatures | None
                  ) -> Callable[..., Awaitable[BoltResponse | None]]:
    """The one place anything unexpected ends up: logged with its context for whoever runs
    Sitrep, and a short apology for the person (never a traceback in Slack). A refusal
    meant for the person is answered before it gets here (`handlers.replies.answer`).

    Only a request Slack sent is answered, and only through a response URL on Slack's
    side: the body of anything else is a stranger's, and so is its `response_url`."""

    # Bolt passes arguments by these names.
    async def log_and_apologise(error: Exception, request: AsyncBoltRequest,
                                body: dict[str, Any], respond: Any) -> BoltResponse | None:
        if not from_slack(request, signatures):
            log.warning("an error on a request without a valid Slack signature (%s)",
                        type(error).__name__)
            return None
        if isinstance(error, BoltUnhandledRequestError):
            log.info("no listener for a %s request", _kind(body))
            return None
        if isinstance(error, MalformedRequest):
            log.warning("refused a malformed request from Slack (%s)", error)
            return malformed()
        log.exception("unhandled error in a Slack listener (type=%s, team=%s, user=%s)",
                      _kind(body), _team_id(body), _user_id(body), exc_info=error)
        if respond is not None and may_answer(body.get("response_url"), slack_api_url):
            await respond(text=wording.APOLOGY, response_type="ephemeral",
                          replace_original=False)
        return None

    return log_and_apologise


def _kind(body: dict[str, Any]) -> str:
    kind = body.get("type") or body.get("command")
    return ascii(kind[:40]) if isinstance(kind, str) else "untyped"


def _team_id(body: dict[str, Any]) -> str | None:
    team = body.get("team")
    found = body.get("team_id") or (team.get("id") if isinstance(team, dict) else None)
    return ascii(found[:20]) if isinstance(found, str) else None


def _user_id(body: dict[str, Any]) -> str | None:
    user = body.get("user")
    found = body.get("user_id") or (user.get("id") if isinstance(user, dict) else None)
    return ascii(found[:20]) if isinstance(found, str) else None
